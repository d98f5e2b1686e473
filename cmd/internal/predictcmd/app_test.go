package predictcmd

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/internal/testfile"
)

// trainedRun trains a tiny tabular model with the train command's binary
// built from this module, so that predict is tested on a real run.
func trainedRun(t *testing.T) string {
	t.Helper()
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "train")
	if out, err := exec.Command("go", "build", "-o", bin, "../../../cmd/train").CombinedOutput(); err != nil {
		t.Fatalf("building train: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--data", "../../../data/testdata/breast_cancer.csv", "--epochs", "3", "--out", filepath.Join(tmp, "runs"), "--json", "-q")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("train: %v", err)
	}
	var sum struct {
		RunDir string `json:"run_dir"`
	}
	if err := json.Unmarshal(out, &sum); err != nil {
		t.Fatal(err)
	}
	return sum.RunDir
}

func TestPredict(t *testing.T) {
	runDir := trainedRun(t)
	tmp := t.TempDir()
	outFile := filepath.Join(tmp, "preds.jsonl")
	cases := []struct {
		name      string
		args      []string
		wantLines int
		wantErr   string
	}{
		{"test split", []string{"--split", "test"}, 57, ""},
		{"csv with labels", []string{"../../../data/testdata/breast_cancer.csv"}, 569, ""},
		{"output file", []string{"--output", outFile, "../../../data/testdata/breast_cancer.csv"}, 0, ""},
		{"output a directory", []string{"--output", tmp, "../../../data/testdata/breast_cancer.csv"}, 0, "--output " + tmp + " is a directory: give a file"},
		{"wrong features", []string{"../../../data/testdata/iris.csv"}, 0, "iris.csv"},
		{"flag after file", []string{"../../../data/testdata/breast_cancer.csv", "--split", "test"}, 0, "put flags first"},
		{"split and files", []string{"--split", "test", "../../../data/testdata/breast_cancer.csv"}, 0, "not both"},
		{"bad split", []string{"--split", "dev"}, 0, "--split must be train, val or test"},
		{"no inputs", nil, 0, "no inputs"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, ok := runPredict(t, append([]string{"predict", "--run", runDir}, c.args...), c.wantErr)
			if !ok {
				return
			}
			n := 0
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				var p struct {
					Index         int       `json:"index"`
					Label         *int      `json:"label"`
					Predicted     int       `json:"predicted"`
					Class         string    `json:"class"`
					Probabilities []float64 `json:"probabilities"`
					Logits        []float32 `json:"logits"`
				}
				if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
					t.Fatal(err)
				}
				if p.Index != n || p.Label == nil || len(p.Probabilities) != 2 || len(p.Logits) != 2 || (p.Class != "benign" && p.Class != "malignant") {
					t.Fatalf("line %d: %s", n, sc.Text())
				}
				n++
			}
			if n != c.wantLines {
				t.Fatalf("%d lines, want %d", n, c.wantLines)
			}
		})
	}
	b, err := os.ReadFile(outFile)
	if err != nil || strings.Count(string(b), "\n") != 569 {
		t.Fatalf("--output file: %d lines, %v", strings.Count(string(b), "\n"), err)
	}
	// The same CSV on standard input ("-"), plain and gzipped, scores the same.
	csvBytes, err := os.ReadFile("../../../data/testdata/breast_cancer.csv")
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string][]byte{"plain": csvBytes, "gzipped": testfile.Gzip(csvBytes)} {
		var fromStdin, stderr bytes.Buffer
		if code := cliutil.RunStandalone(Command(), []string{"predict", "--run", runDir, "-"}, bytes.NewReader(in), &fromStdin, &stderr); code != 0 || fromStdin.String() != string(b) {
			t.Errorf("stdin %s: exit %d, %d bytes; want the %d bytes of the file's predictions", name, code, fromStdin.Len(), len(b))
		}
	}
	var stderr bytes.Buffer
	if code := cliutil.RunStandalone(Command(), []string{"predict", "--run", runDir, "-"}, strings.NewReader("a,b\n1,2\n"), &bytes.Buffer{}, &stderr); code != 1 || !strings.Contains(stderr.String(), "standard input") {
		t.Errorf("a bad CSV on stdin: exit %d, %q; want 1 and a message naming standard input", code, stderr.String())
	}
}

// runPredict runs the command on args. With wantErr set it asserts a
// non-zero exit whose stderr contains wantErr and returns ok false;
// otherwise it asserts exit 0 and returns stdout.
func runPredict(t *testing.T, args []string, wantErr string) (stdout *bytes.Buffer, ok bool) {
	t.Helper()
	var out, stderr bytes.Buffer
	code := run(args, &out, &stderr)
	if wantErr != "" {
		if code == 0 || !strings.Contains(stderr.String(), wantErr) {
			t.Fatalf("exit %d, stderr %q; want an error containing %q", code, stderr.String(), wantErr)
		}
		return nil, false
	}
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	return &out, true
}

// TestPredictWarnsOfAnUnfinishedRun: a run whose end was never written
// (killed before summary.json, or interrupted) may have a best.ckpt
// without its calibration temperature; predict still serves it, with a
// warning that says how to finish the run. A finished run, or a
// checkpoint given by name, gets none.
func TestPredictWarnsOfAnUnfinishedRun(t *testing.T) {
	runDir := trainedRun(t)
	summary, err := os.ReadFile(filepath.Join(runDir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	interrupted := strings.Replace(string(summary), `"stop_reason": "max-epochs"`, `"stop_reason": "interrupted"`, 1)
	cases := []struct {
		name    string
		summary string // "" removes summary.json
		args    []string
		want    string // the warning's start, "" for none
	}{
		{"finished", string(summary), nil, ""},
		{"killed before summary.json", "", nil, "warning: the run " + runDir + " has no summary.json: its training or the end of it"},
		{"interrupted", interrupted, nil, "warning: the run " + runDir + " was interrupted: "},
		{"a checkpoint by name", "", []string{"--checkpoint", filepath.Join(runDir, "checkpoints", "best.ckpt")}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(runDir, "summary.json")
			if c.summary == "" {
				os.Remove(p)
			} else if err := os.WriteFile(p, []byte(c.summary), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			args := append(append([]string{"predict", "--run", runDir}, c.args...), "--split", "test")
			if code := run(args, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			got := stderr.String()
			if c.want == "" && got != "" || c.want != "" && (!strings.HasPrefix(got, c.want) || !strings.HasSuffix(got, "train --resume "+runDir+" finishes it\n")) {
				t.Errorf("stderr %q, want %q", got, c.want)
			}
			if strings.Count(stdout.String(), "\n") != 57 {
				t.Errorf("%d predictions", strings.Count(stdout.String(), "\n"))
			}
		})
	}
}
