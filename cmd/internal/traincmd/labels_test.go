package traincmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/practica-ml/practica/data"
)

// TestTrainPartialLabels checks that train --labels with an index,label
// file naming a third of the digits trains, validates and tests on exactly
// those, as data.Split draws them from the labeled examples alone, says so
// on stderr and records the counts in meta.json.
func TestTrainPartialLabels(t *testing.T) {
	src, err := data.Open("digits", data.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("index,label\n")
	labeled := 0
	for i := src.Train.Len() - 1; i >= 0; i -= 3 {
		fmt.Fprintf(&b, "%d,%s\n", i, src.Train.Classes[src.Train.Y[i]])
		labeled++
	}
	tmp := t.TempDir()
	labels := filepath.Join(tmp, "labels.csv")
	if err := os.WriteFile(labels, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// The splits train must draw: those of the labeled examples alone.
	part, err := data.Open("digits", data.OpenOptions{LabelsFile: labels})
	if err != nil {
		t.Fatal(err)
	}
	want, err := data.Split(part, data.SplitConfig{Val: 0.1, Test: 0.1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if n := want.Train.Len() + want.Val.Len() + want.Test.Len(); n != labeled || labeled != 599 {
		t.Fatalf("the splits of the labeled examples hold %d examples, the file labels %d", n, labeled)
	}

	var stdout, stderr bytes.Buffer
	code := run([]string{"train", "--labels", labels, "--model", "mlp", "--epochs", "1", "--no-calibrate", "--out", tmp, "--json"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var sum struct {
		RunDir   string `json:"run_dir"`
		TestSize int    `json:"test_size"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout.String())
	}
	if sum.TestSize != want.Test.Len() {
		t.Errorf("summary test_size %d, want %d", sum.TestSize, want.Test.Len())
	}
	m := regexp.MustCompile(`msg=training .* train=(\d+) val=(\d+) test=(\d+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("no training line on stderr:\n%s", stderr.String())
	}
	for i, w := range []int{want.Train.Len(), want.Val.Len(), want.Test.Len()} {
		if got, _ := strconv.Atoi(m[i+1]); got != w {
			t.Errorf("%s split: %d examples, want %d", []string{"train", "val", "test"}[i], got, w)
		}
	}
	unlabeled := src.Train.Len() - labeled
	if line := fmt.Sprintf("labeled=%d unlabeled=%d", labeled, unlabeled); !strings.Contains(stderr.String(), "partial labels") || !strings.Contains(stderr.String(), line) {
		t.Errorf("stderr does not report %q:\n%s", line, stderr.String())
	}
	var meta struct {
		Data struct {
			Labeled   int `json:"labeled"`
			Unlabeled int `json:"unlabeled"`
		} `json:"data"`
	}
	raw, err := os.ReadFile(filepath.Join(sum.RunDir, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		t.Fatal(err)
	}
	if meta.Data.Labeled != labeled || meta.Data.Unlabeled != unlabeled {
		t.Errorf("meta.json data: labeled %d unlabeled %d, want %d %d", meta.Data.Labeled, meta.Data.Unlabeled, labeled, unlabeled)
	}
}

// TestTrainPartialLabelsWithoutAClass: a partial labels file that labels
// no example of one of the source's classes stops training with an error
// naming the class and the labels file, not the validation split.
func TestTrainPartialLabelsWithoutAClass(t *testing.T) {
	src, err := data.Open("digits", data.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("index,label\n")
	for i := 0; i < src.Train.Len(); i += 2 {
		if c := src.Train.Classes[src.Train.Y[i]]; c != "9" {
			fmt.Fprintf(&b, "%d,%s\n", i, c)
		}
	}
	tmp := t.TempDir()
	labels := filepath.Join(tmp, "no9.csv")
	if err := os.WriteFile(labels, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"train", "--labels", labels, "--model", "mlp", "--epochs", "1", "--out", tmp, "-q"}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), `no9.csv labels no example of class "9"`) || !strings.Contains(stderr.String(), "data.labels") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}
