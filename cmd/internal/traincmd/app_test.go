package traincmd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTrainJSONSummaryAndRunDir(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"train", "--epochs", "2", "--batch-size", "32", "--model", "mlp", "--out", out, "--json", "-q"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var sum struct {
		RunDir      string  `json:"run_dir"`
		BestEpoch   int     `json:"best_epoch"`
		ValAccuracy float64 `json:"val_accuracy"`
		EpochsRun   int     `json:"epochs_run"`
		StopReason  string  `json:"stop_reason"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout.String())
	}
	if !filepath.IsAbs(sum.RunDir) || sum.EpochsRun != 2 || sum.StopReason != "max-epochs" || sum.ValAccuracy < 0.8 {
		t.Fatalf("summary %+v", sum)
	}
	for _, f := range []string{"config.yaml", "command.txt", "meta.json", "metrics.csv", "summary.json", "checkpoints/best.ckpt", "checkpoints/last.ckpt", "curves.png"} {
		if st, err := os.Stat(filepath.Join(sum.RunDir, f)); err != nil || st.Size() == 0 {
			t.Errorf("run directory lacks %s (%v)", f, err)
		}
	}
	m, _ := os.ReadFile(filepath.Join(sum.RunDir, "metrics.csv"))
	lines := strings.Split(strings.TrimSpace(string(m)), "\n")
	if lines[0] != "epoch,step,train_loss,train_eval_loss,val_loss,val_accuracy,lr,seconds,step_seconds" || len(lines) != 3 {
		t.Fatalf("metrics.csv:\n%s", m)
	}
}

// TestTrainRejectsBadInput: every bad input gives a one-line error and a
// non-zero exit before any run directory exists.
func TestTrainRejectsBadInput(t *testing.T) {
	tmp := t.TempDir()
	ragged := filepath.Join(tmp, "ragged.csv")
	os.WriteFile(ragged, []byte("a,b,label\n1,2,x\n3,y\n"), 0o644)
	badCfg := filepath.Join(tmp, "bad.yaml")
	os.WriteFile(badCfg, []byte("training:\n  epoch: 3\n"), 0o644)
	// A config file is validated as the flags are: an out-of-range or
	// fractional value names its key instead of training with another one.
	negEpochs, fracEpochs := filepath.Join(tmp, "neg.yaml"), filepath.Join(tmp, "frac.yaml")
	os.WriteFile(negEpochs, []byte("training:\n  epochs: -3\n"), 0o644)
	os.WriteFile(fracEpochs, []byte("training:\n  epochs: 2.5\n"), 0o644)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"negative lr", []string{"--lr", "-1"}, "optimizer.lr must be > 0, got -1 (--lr)"},
		{"lr not a number", []string{"--lr", "fast"}, `--lr must be a number, got "fast"`},
		{"zero epochs", []string{"--epochs", "0"}, "training.epochs must be in [1, 1000000], got 0"},
		{"unknown optimizer", []string{"--optimizer", "lion"}, `optimizer.name must be adam, adamw or sgd, got "lion" (--optimizer)`},
		{"unknown model", []string{"--model", "transformer"}, `model.arch must be linear, mlp, cnn, resnet or custom (a model.layers list), got "transformer"`},
		{"cnn on tabular", []string{"--model", "cnn", "--data", "../../../data/testdata/iris.csv"}, "cnn needs image input"},
		{"ragged csv", []string{"--data", ragged}, "ragged.csv"},
		{"missing file", []string{"--data", filepath.Join(tmp, "none.csv")}, "none.csv"},
		{"unknown source", []string{"--data", "imagenet"}, "imagenet"},
		{"unknown config key", []string{"--config", badCfg}, "field epoch not found"},
		{"negative epochs in a config file", []string{"--config", negEpochs}, "training.epochs must be in [1, 1000000], got -3"},
		{"fractional epochs in a config file", []string{"--config", fracEpochs}, `frac.yaml: training.epochs must be a whole number, got "2.5" (line 2`},
		{"bad hidden", []string{"--hidden", "12,x"}, "--hidden"},
		{"positional", []string{"digits"}, "unexpected arguments"},
		{"flag after positional", []string{"digits", "--epochs", "3"}, "put flags first"},
		{"unknown flag", []string{"--epoch", "3"}, "unknown flag --epoch; did you mean --epochs?"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(tmp, strings.ReplaceAll(c.name, " ", "-"))
			var stdout, stderr bytes.Buffer
			args := append([]string{"train", "--out", out, "-q"}, c.args...)
			code := run(args, &stdout, &stderr)
			if code == 0 {
				t.Fatalf("exit 0 for bad input; stderr %s", stderr.String())
			}
			if !strings.Contains(stderr.String(), c.want) {
				t.Fatalf("stderr %q does not contain %q", stderr.String(), c.want)
			}
			if strings.Contains(stderr.String(), "panic") || strings.Contains(stderr.String(), "goroutine") {
				t.Fatalf("stderr shows a panic: %s", stderr.String())
			}
			if _, err := os.Stat(out); err == nil {
				t.Fatalf("a run directory root %s was created for bad input", out)
			}
		})
	}
}

// TestMemProfile: --memprofile writes a gzip-compressed pprof profile at the
// end of the run; a path that cannot be written warns, keeps the run's exit
// code and leaves no file behind.
func TestMemProfile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, path string
		wantFile   bool
	}{
		{"writable", filepath.Join(dir, "mem.prof"), true},
		{"missing directory", filepath.Join(dir, "no", "such", "mem.prof"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run([]string{"train", "--epochs", "1", "--model", "linear", "--out", filepath.Join(dir, "runs"), "-q", "--memprofile", tc.path}, &stdout, &stderr)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			b, err := os.ReadFile(tc.path)
			if !tc.wantFile {
				if err == nil {
					t.Fatalf("%s was written", tc.path)
				}
				if !strings.Contains(stderr.String(), "heap profile not written to "+tc.path) {
					t.Fatalf("no warning naming %s: %q", tc.path, stderr.String())
				}
				return
			}
			if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
				t.Fatalf("profile %s: %d bytes, err %v", tc.path, len(b), err)
			}
		})
	}
}

// TestDivergedAtOnceSaysNoCheckpoint: a learning rate that makes the loss
// non-finite in the first epoch ends with exit 1 and an error that says no
// checkpoint was written (there is none to keep), and the summary for
// people prints no best epoch.
func TestDivergedAtOnceSaysNoCheckpoint(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"train", "--epochs", "2", "--model", "mlp", "--lr", "1e30", "--out", t.TempDir(), "-q"}, &stdout, &stderr)
	if code != 1 || !strings.HasSuffix(strings.TrimSpace(stderr.String()), "no epoch finished: no checkpoint was written") || strings.Contains(stderr.String(), "kept") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "mlp on digits: 0 epochs in ") || strings.Contains(stdout.String(), "best epoch") {
		t.Errorf("summary:\n%s", stdout.String())
	}
}
