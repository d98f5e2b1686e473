package predictcmd

import (
	"bytes"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/practica-ml/practica/cmd/internal/traincmd"
	"github.com/practica-ml/practica/internal/cliutil"
)

type explainedJSON struct {
	Index        int `json:"index"`
	Attributions []struct {
		Feature     string  `json:"feature"`
		Value       float64 `json:"value"`
		Attribution float64 `json:"attribution"`
	} `json:"attributions"`
	AttributionSum *float64 `json:"attribution_sum"`
	LogitDelta     *float64 `json:"logit_delta"`
	Steps          int      `json:"attribution_steps"`
	Heatmap        string   `json:"attribution_heatmap"`
}

func explainedLines(t *testing.T, args []string) []explainedJSON {
	t.Helper()
	var out, stderr bytes.Buffer
	if code := run(append([]string{"predict"}, args...), &out, &stderr); code != 0 {
		t.Fatalf("predict %v: exit %d: %s", args, code, stderr.String())
	}
	var lines []explainedJSON
	dec := json.NewDecoder(&out)
	for dec.More() {
		var l explainedJSON
		if err := dec.Decode(&l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	return lines
}

// TestPredictExplainTabular: each line carries the K largest attributions
// by magnitude, with the raw input value, and a sum within 1% of the logit
// delta.
func TestPredictExplainTabular(t *testing.T) {
	runDir := trainedRun(t)
	lines := explainedLines(t, []string{"--run", runDir, "--split", "test", "--explain", "--explain-top", "3"})
	if len(lines) != 57 {
		t.Fatalf("%d lines, want 57", len(lines))
	}
	for _, l := range lines {
		if len(l.Attributions) != 3 || l.AttributionSum == nil || l.LogitDelta == nil {
			t.Fatalf("line %d: %+v, want 3 attributions, a sum and a delta", l.Index, l)
		}
		for k := 1; k < 3; k++ {
			if math.Abs(l.Attributions[k].Attribution) > math.Abs(l.Attributions[k-1].Attribution) {
				t.Errorf("line %d: attributions not by magnitude: %+v", l.Index, l.Attributions)
			}
		}
		if gap := math.Abs(*l.AttributionSum - *l.LogitDelta); gap > 0.01*math.Abs(*l.LogitDelta) {
			t.Errorf("line %d: sum %.5f, logit delta %.5f", l.Index, *l.AttributionSum, *l.LogitDelta)
		}
	}
	// The first test row's raw values, as the CSV holds them: a feature's
	// value is in raw units, not normalized.
	first := lines[0].Attributions[0]
	if first.Value == 0 || strings.TrimSpace(first.Feature) == "" {
		t.Errorf("first attribution %+v has no raw value or name", first)
	}
	t.Logf("line 0: %+v, sum %.4f, delta %.4f", lines[0].Attributions, *lines[0].AttributionSum, *lines[0].LogitDelta)

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--explain-top", "2"}, "--explain-top needs --explain"},
		{[]string{"--explain-dir", t.TempDir()}, "--explain-dir needs --explain"},
		{[]string{"--explain", "--explain-top", "0"}, "--explain-top must be at least 1"},
		{[]string{"--explain", "--explain-dir", t.TempDir()}, "--explain-dir is for image models"},
	} {
		var out, stderr bytes.Buffer
		code := run(append([]string{"predict", "--run", runDir, "--split", "test"}, c.args...), &out, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr.String(), c.want)
		}
	}
}

// TestPredictExplainImages: with --explain-dir each line names a heatmap
// PNG of the image's size; without it, lines carry the sum and delta only.
func TestPredictExplainImages(t *testing.T) {
	tmp := t.TempDir()
	var out, stderr bytes.Buffer
	args := []string{"train", "--data", "digits", "--model", "cnn", "--epochs", "1", "--out", filepath.Join(tmp, "runs"), "--json", "-q"}
	if code := cliutil.RunStandalone(traincmd.Command(), args, strings.NewReader(""), &out, &stderr); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr.String())
	}
	var sum struct {
		RunDir string `json:"run_dir"`
	}
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "heatmaps")
	lines := explainedLines(t, []string{"--run", sum.RunDir, "--explain", "--explain-dir", dir, "../../../examples/zero.png"})
	if len(lines) != 1 || lines[0].Heatmap == "" || lines[0].Attributions != nil {
		t.Fatalf("lines %+v, want one naming a heatmap and no attribution list", lines)
	}
	f, err := os.Open(lines[0].Heatmap)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 128 || b.Dy() != 128 {
		t.Errorf("heatmap of %v, want the 8×8 digit at 16× (128×128)", b)
	}
	plain := explainedLines(t, []string{"--run", sum.RunDir, "--explain", "../../../examples/zero.png"})
	if plain[0].Heatmap != "" || plain[0].AttributionSum == nil || plain[0].LogitDelta == nil {
		t.Errorf("without --explain-dir: %+v, want a sum and a delta and no heatmap", plain[0])
	}
}
