package labelcmd

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/practica-ml/practica/internal/cliutil"
)

// run runs the label command as cmd/label does, with no standard input.
func run(args []string, stdout, stderr io.Writer) int {
	return cliutil.RunStandalone(Command(), append([]string{"label"}, args...), strings.NewReader(""), stdout, stderr)
}

// TestSimulateDigits runs label --simulate on the digits with a small
// budget: label_curve.csv has the contract's header, the three
// strategies each with one row per round at increasing label counts,
// the same bytes for the same seed; the PNG and the JSON are written and
// --json prints the JSON.
func TestSimulateDigits(t *testing.T) {
	simulate := func(dir string, extra ...string) (string, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		args := append([]string{"--simulate", "--data", "digits", "--budget", "60", "--round", "20", "--epochs", "5", "--seed", "3", "--out", dir}, extra...)
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		return stdout.String(), stderr.String()
	}
	dir1, dir2 := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	_, progress := simulate(dir1)
	stdout, _ := simulate(dir2, "--json", "-q")

	raw, err := os.ReadFile(filepath.Join(dir1, CurveCSV))
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(filepath.Join(dir2, CurveCSV)); !bytes.Equal(raw, again) {
		t.Errorf("the same seed gave two curves:\n%s\n---\n%s", raw, again)
	}
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "strategy,labels,test_accuracy" {
		t.Fatalf("header %q", rows[0])
	}
	labels := map[string][]int{}
	for _, r := range rows[1:] {
		n, err := strconv.Atoi(r[1])
		if err != nil {
			t.Fatalf("row %q: %v", r, err)
		}
		acc, err := strconv.ParseFloat(r[2], 64)
		if err != nil || acc < 0 || acc > 1 {
			t.Fatalf("row %q: accuracy %v (%v)", r, acc, err)
		}
		labels[r[0]] = append(labels[r[0]], n)
	}
	for _, s := range []string{"random", "uncertain", "cluster"} {
		if !slices.Equal(labels[s], []int{20, 40, 60}) {
			t.Errorf("%s: label counts %v, want 20 40 60", s, labels[s])
		}
	}
	if len(labels) != 3 {
		t.Errorf("strategies %v", labels)
	}
	png, err := os.ReadFile(filepath.Join(dir1, CurvePNG))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("label_curve.png: %d bytes (%v)", len(png), err)
	}
	var sim struct {
		Settings struct {
			Budget, Round int
			Seed          uint64
			Pool          int
			TestSize      int `json:"test_size"`
		} `json:"settings"`
		Curve []struct {
			Strategy     string  `json:"strategy"`
			Labels       int     `json:"labels"`
			TestAccuracy float64 `json:"test_accuracy"`
		} `json:"curve"`
		FullyLabeled struct {
			Labels       int     `json:"labels"`
			TestAccuracy float64 `json:"test_accuracy"`
		} `json:"fully_labeled"`
	}
	if err := json.Unmarshal([]byte(stdout), &sim); err != nil {
		t.Fatalf("--json: %v\n%s", err, stdout)
	}
	st := sim.Settings
	// The digits' 1797 examples less a stratified fifth held out.
	if st.Budget != 60 || st.Round != 20 || st.Seed != 3 || st.Pool != 1438 || st.TestSize != 359 || len(sim.Curve) != 9 || sim.FullyLabeled.Labels != 1438 {
		t.Errorf("label_curve.json: %+v, %d points, fully labeled %+v", st, len(sim.Curve), sim.FullyLabeled)
	}
	if sim.FullyLabeled.TestAccuracy < 0.9 {
		t.Errorf("fully labeled accuracy %v", sim.FullyLabeled.TestAccuracy)
	}
	written, err := os.ReadFile(filepath.Join(dir2, CurveJSON))
	if err != nil || !strings.Contains(string(written), `"fully_labeled"`) {
		t.Errorf("label_curve.json: %v", err)
	}
	for _, part := range []string{"strategy=uncertain", "round=3", "labels=60", "test_accuracy=", "eta="} {
		if !strings.Contains(progress, part) {
			t.Errorf("progress on stderr lacks %q:\n%s", part, progress)
		}
	}
}

// TestSimulateUsageErrors: flags that cannot work are usage errors (exit
// 2) naming the flag, before any training.
func TestSimulateUsageErrors(t *testing.T) {
	out := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"round above budget", []string{"--simulate", "--out", out, "--budget", "50", "--round", "60"}, "--round 60 is more than --budget 50"},
		{"budget above the pool", []string{"--simulate", "--out", out, "--budget", "1500", "--round", "50"}, "--budget 1500 is more than the 1438 examples"},
		{"zero round", []string{"--simulate", "--out", out, "--round", "0"}, "--round 0"},
		{"zero epochs", []string{"--simulate", "--out", out, "--epochs", "0"}, "--epochs 0"},
		{"no out", []string{"--simulate"}, "--simulate needs --out"},
		{"labels", []string{"--simulate", "--out", out, "--labels", "x.csv"}, "--labels applies to the labeling page"},
		{"unknown strategy", []string{"--strategy", "newest"}, `--strategy "newest"`},
		{"unknown strategies", []string{"--simulate", "--out", out, "--strategies", "random,best"}, `--strategies: "best"`},
		{"unknown score", []string{"--score", "loudest"}, `--score "loudest"`},
		{"budget without simulate", []string{"--budget", "10"}, "--budget applies to --simulate"},
		{"stray argument", []string{"digits"}, "unexpected arguments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			if code != cliutil.ExitUsage || !strings.Contains(stderr.String(), tc.want) || stdout.Len() != 0 {
				t.Errorf("exit %d, stderr %q, stdout %q; want exit 2 mentioning %q", code, stderr.String(), stdout.String(), tc.want)
			}
		})
	}
}
