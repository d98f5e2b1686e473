package predictcmd

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestPredictCalibrationAndUncertainty: by default the probabilities are
// softmax(logits / T) with the T of summary.json, --uncalibrated gives
// softmax(logits), --mc-dropout adds its keys, --rank orders by score and
// --top keeps N lines; bad combinations are errors.
func TestPredictCalibrationAndUncertainty(t *testing.T) {
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "train")
	if out, err := exec.Command("go", "build", "-o", bin, "../../../cmd/train").CombinedOutput(); err != nil {
		t.Fatalf("building train: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--data", "../../../data/testdata/breast_cancer.csv", "--epochs", "3", "--seed", "2", "--dropout", "0.3",
		"--bootstrap", "0", "--out", filepath.Join(tmp, "runs"), "--json", "-q").Output()
	if err != nil {
		t.Fatalf("train: %v", err)
	}
	var sum struct {
		RunDir      string  `json:"run_dir"`
		Temperature float64 `json:"temperature"`
	}
	if err := json.Unmarshal(out, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Temperature <= 0 || sum.Temperature == 1 {
		t.Fatalf("the fixture run was not calibrated: T = %v", sum.Temperature)
	}
	type line struct {
		Index             int       `json:"index"`
		Probabilities     []float64 `json:"probabilities"`
		Logits            []float32 `json:"logits"`
		MCProbabilities   []float64 `json:"mc_probabilities"`
		Entropy           *float64  `json:"entropy"`
		MutualInformation *float64  `json:"mutual_information"`
		Rank              int       `json:"rank"`
		Score             *float64  `json:"score"`
	}
	cases := []struct {
		name    string
		args    []string
		check   func(t *testing.T, lines []line)
		wantErr string
	}{
		{"calibrated by default", nil, func(t *testing.T, lines []line) {
			checkSoftmax(t, lines[0].Logits, lines[0].Probabilities, sum.Temperature)
			if len(lines) != 57 || lines[0].MCProbabilities != nil || lines[0].Rank != 0 {
				t.Errorf("%d lines, first %+v", len(lines), lines[0])
			}
		}, ""},
		{"uncalibrated", []string{"--uncalibrated"}, func(t *testing.T, lines []line) {
			checkSoftmax(t, lines[0].Logits, lines[0].Probabilities, 1)
		}, ""},
		{"mc dropout", []string{"--mc-dropout", "5"}, func(t *testing.T, lines []line) {
			if len(lines) != 57 || len(lines[3].MCProbabilities) != 2 || lines[3].Entropy == nil || lines[3].MutualInformation == nil {
				t.Errorf("line %+v", lines[3])
			}
		}, ""},
		{"rank bald", []string{"--mc-dropout", "5", "--rank", "bald", "--top", "4"}, func(t *testing.T, lines []line) {
			if len(lines) != 4 {
				t.Fatalf("%d lines, want 4", len(lines))
			}
			for i, l := range lines {
				if l.Rank != i+1 || l.Score == nil || *l.Score != *l.MutualInformation || (i > 0 && *l.Score > *lines[i-1].Score) {
					t.Errorf("line %d: %+v", i, l)
				}
			}
		}, ""},
		{"rank margin", []string{"--rank", "margin"}, func(t *testing.T, lines []line) {
			if len(lines) != 57 || lines[0].Rank != 1 || lines[56].Rank != 57 || *lines[0].Score < *lines[56].Score {
				t.Errorf("%d lines: first %+v last %+v", len(lines), lines[0], lines[56])
			}
		}, ""},
		{"bald without mc", []string{"--rank", "bald"}, nil, "needs --mc-dropout"},
		{"unknown rank", []string{"--rank", "random"}, nil, "--rank must be"},
		{"top without rank", []string{"--top", "3"}, nil, "--top needs --rank"},
		{"one pass", []string{"--mc-dropout", "1"}, nil, "at least 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, ok := runPredict(t, append(append([]string{"predict", "--run", sum.RunDir}, c.args...), "--split", "test"), c.wantErr)
			if !ok {
				return
			}
			var lines []line
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				var l line
				if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
					t.Fatal(err)
				}
				lines = append(lines, l)
			}
			c.check(t, lines)
		})
	}
	t.Run("old spelling of --mc-seed", func(t *testing.T) {
		args := []string{"predict", "--run", sum.RunDir, "--mc-dropout", "3", "--split", "test"}
		var renamed, old, renamedErr, oldErr bytes.Buffer
		if code := run(append(args, "--mc-seed", "7"), &renamed, &renamedErr); code != 0 {
			t.Fatalf("--mc-seed: exit %d: %s", code, renamedErr.String())
		}
		if code := run(append(args, "--seed", "7"), &old, &oldErr); code != 0 {
			t.Fatalf("--seed: exit %d: %s", code, oldErr.String())
		}
		if old.String() != renamed.String() || renamedErr.Len() != 0 {
			t.Errorf("--seed 7 and --mc-seed 7 differ, or --mc-seed warned: %q", renamedErr.String())
		}
		if oldErr.String() != "warning: --seed is now --mc-seed; the old spelling will go away\n" {
			t.Errorf("--seed warned %q, want one line", oldErr.String())
		}
		var other bytes.Buffer
		run(append(args, "--mc-seed", "8"), &other, &bytes.Buffer{})
		if other.String() == renamed.String() {
			t.Errorf("--mc-seed 8 gives the masks of --mc-seed 7: the seed is not used")
		}
	})
}

// checkSoftmax checks that probs is softmax(logits / T).
func checkSoftmax(t *testing.T, logits []float32, probs []float64, T float64) {
	t.Helper()
	d := (float64(logits[1]) - float64(logits[0])) / T
	p1 := 1 / (1 + math.Exp(-d))
	if math.Abs(probs[1]-p1) > 1e-12 || math.Abs(probs[0]-(1-p1)) > 1e-12 {
		t.Errorf("probabilities %v, softmax(%v / %v) = [%v %v]", probs, logits, T, 1-p1, p1)
	}
}
