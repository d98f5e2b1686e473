package traincmd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/practica-ml/practica/config"
)

// TestLRSweepJSON: --lr-sweep --json prints lr_sweep.json (suggestions,
// recommended, grid) and writes the four files into a run directory of its
// own, with no training.
func TestLRSweepJSON(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"train", "--lr-sweep", "--model", "mlp", "--batch-size", "64", "--lr-steps", "40", "--lr-sweep-seeds", "2",
		"--grid", "auto", "--sweep-epochs", "1", "--out", out, "--json", "-q"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var rep struct {
		RunDir      string `json:"run_dir"`
		Suggestions map[string]struct {
			PerSeed []struct{ LR float64 } `json:"per_seed"`
			Median  float64                `json:"median"`
		} `json:"suggestions"`
		Recommended float64 `json:"recommended"`
		Grid        *struct {
			Runs      []struct{ LR float64 } `json:"runs"`
			Best      float64                `json:"best"`
			Suggested float64                `json:"suggested"`
		} `json:"grid"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout.String())
	}
	if rep.Recommended < 1e-4 || rep.Recommended > 1e-1 || rep.Recommended != rep.Suggestions["valley"].Median {
		t.Errorf("recommended %v, valley median %v", rep.Recommended, rep.Suggestions["valley"].Median)
	}
	for _, n := range []string{"steepest", "valley", "minimum/10"} {
		if len(rep.Suggestions[n].PerSeed) != 2 {
			t.Errorf("%s: %d seeds", n, len(rep.Suggestions[n].PerSeed))
		}
	}
	if rep.Grid == nil || len(rep.Grid.Runs) < 3 || len(rep.Grid.Runs) > 5 || rep.Grid.Suggested != rep.Recommended || rep.Grid.Best <= 0 {
		t.Fatalf("grid %+v", rep.Grid)
	}
	if !strings.Contains(filepath.Base(rep.RunDir), "lrsweep-mlp-digits") {
		t.Errorf("run directory %s", rep.RunDir)
	}
	for _, f := range []string{"lr_sweep.csv", "lr_sweep.json", "lr_sweep.png", "lr_grid.png", "config.yaml", "command.txt", "meta.json"} {
		if st, err := os.Stat(filepath.Join(rep.RunDir, f)); err != nil || st.Size() == 0 {
			t.Errorf("run directory lacks %s (%v)", f, err)
		}
	}
	for _, f := range []string{"metrics.csv", "summary.json"} {
		if _, err := os.Stat(filepath.Join(rep.RunDir, f)); err == nil {
			t.Errorf("a sweep alone wrote %s", f)
		}
	}
}

// TestLRSweepText: the human report names every rule, the spread and the
// recommendation.
func TestLRSweepText(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"train", "--lr-sweep", "--model", "linear", "--lr-steps", "30", "--lr-sweep-seeds", "1", "--out", t.TempDir(), "-q"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"steepest", "valley", "minimum/10", "spread over seeds", "recommended lr", "run directory:"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, stdout.String())
		}
	}
}

// TestLRAuto: --lr auto runs the range test in the training run's
// directory and trains with its recommendation: lr_sweep.json records it as
// trained_with, config.yaml and metrics.csv show it.
func TestLRAuto(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"train", "--lr", "auto", "--model", "mlp", "--epochs", "2", "--batch-size", "64", "--lr-steps", "40", "--lr-sweep-seeds", "1",
		"--out", out, "--json", "-q"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var sum struct {
		RunDir    string `json:"run_dir"`
		EpochsRun int    `json:"epochs_run"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		t.Fatalf("stdout is not the summary: %v\n%s", err, stdout.String())
	}
	var rep struct {
		Recommended float64 `json:"recommended"`
		TrainedWith float64 `json:"trained_with"`
		Grid        struct {
			Best       float64 `json:"best"`
			Candidates []struct {
				LR      float64  `json:"lr"`
				Sources []string `json:"sources"`
			} `json:"candidates"`
		} `json:"grid"`
	}
	b, err := os.ReadFile(filepath.Join(sum.RunDir, "lr_sweep.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(sum.RunDir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The short trainings' winner trains, not the range test's
	// recommendation; the candidates hold the default rate.
	if rep.Recommended <= 0 || rep.TrainedWith != rep.Grid.Best || cfg.Optimizer.LR != rep.TrainedWith || sum.EpochsRun != 2 {
		t.Fatalf("recommended %v, grid best %v, trained_with %v, config lr %v, epochs %d", rep.Recommended, rep.Grid.Best, rep.TrainedWith, cfg.Optimizer.LR, sum.EpochsRun)
	}
	hasDefault := false
	for _, c := range rep.Grid.Candidates {
		hasDefault = hasDefault || slices.Contains(c.Sources, "default")
	}
	if len(rep.Grid.Candidates) < 2 || !hasDefault {
		t.Errorf("candidates %+v, want the rules' suggestions and the default rate", rep.Grid.Candidates)
	}
	m, _ := os.ReadFile(filepath.Join(sum.RunDir, "metrics.csv"))
	rows := strings.Split(strings.TrimSpace(string(m)), "\n")
	header := strings.Split(rows[0], ",")
	col := -1
	for i, h := range header {
		if h == "lr" {
			col = i
		}
	}
	lr, err := strconv.ParseFloat(strings.Split(rows[1], ",")[col], 64)
	if col < 0 || err != nil || lr != rep.TrainedWith {
		t.Errorf("metrics.csv lr %v (column %d), want %v", lr, col, rep.TrainedWith)
	}
	for _, f := range []string{"lr_sweep.csv", "lr_sweep.png", "lr_grid.png", "summary.json", "checkpoints/best.ckpt"} {
		if _, err := os.Stat(filepath.Join(sum.RunDir, f)); err != nil {
			t.Errorf("run directory lacks %s", f)
		}
	}
	// The same command again: the same bytes (the run directory's path
	// aside).
	out2 := t.TempDir()
	stdout.Reset()
	if code := run([]string{"train", "--lr", "auto", "--model", "mlp", "--epochs", "2", "--batch-size", "64", "--lr-steps", "40", "--lr-sweep-seeds", "1",
		"--out", out2, "--json", "-q"}, &stdout, &stderr); code != 0 {
		t.Fatalf("second run: exit %d: %s", code, stderr.String())
	}
	var sum2 struct {
		RunDir string `json:"run_dir"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &sum2); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"checkpoints/best.ckpt", "checkpoints/last.ckpt", "lr_sweep.csv", "lr_sweep.json", "config.yaml"} {
		a, _ := os.ReadFile(filepath.Join(sum.RunDir, f))
		b, _ := os.ReadFile(filepath.Join(sum2.RunDir, f))
		a = bytes.ReplaceAll(a, []byte(sum.RunDir), nil)
		a = bytes.ReplaceAll(a, []byte(out), nil)
		b = bytes.ReplaceAll(b, []byte(sum2.RunDir), nil)
		b = bytes.ReplaceAll(b, []byte(out2), nil)
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs of the same command", f)
		}
	}
}

// TestLRSweepBadFlags: bad sweep flags end with a one-line error and no run
// directory.
func TestLRSweepBadFlags(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--lr-sweep", "--lr-min", "0"}, "--lr-min must be a positive number, got 0"},
		{[]string{"--lr-sweep", "--lr-min", "1e-2", "--lr-max", "1e-3"}, "--lr-max must be a number above --lr-min (0.01), got 0.001"},
		{[]string{"--lr-sweep", "--lr-steps", "5"}, "--lr-steps must be in [11, 1000000], got 5"},
		{[]string{"--lr-sweep", "--lr-sweep-seeds", "0"}, "--lr-sweep-seeds must be in [1, 100], got 0"},
		{[]string{"--lr-sweep", "--lr-suggestion", "median"}, `--lr-suggestion must be steepest, valley or minimum/10, got "median"`},
		{[]string{"--lr-sweep", "--grid", "1e-3,fast"}, `--grid wants auto or positive learning rates separated by commas (e.g. 1e-4,3e-4,1e-3), got "1e-3,fast"`},
		{[]string{"--lr-sweep", "--grid", "auto", "--sweep-epochs", "0"}, "--sweep-epochs must be in [1, 1000], got 0"},
		{[]string{"--grid", "auto"}, "--grid needs --lr-sweep (or --lr auto)"},
		{[]string{"--lr-steps", "50"}, "--lr-steps needs --lr-sweep (or --lr auto)"},
		{[]string{"--lr", "fast"}, `--lr must be a number, got "fast"`},
	}
	for _, c := range cases {
		out := t.TempDir()
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"train", "--out", out, "-q"}, c.args...), &stdout, &stderr)
		// A sweep flag without a sweep is a usage error: exit 2 and the
		// help's command on a second line.
		wantCode, want := 1, "train: "+c.want+"\n"
		if strings.HasSuffix(c.want, "needs --lr-sweep (or --lr auto)") {
			wantCode, want = 2, want+"run 'train --help'\n"
		}
		if code != wantCode || stderr.String() != want {
			t.Errorf("%v: exit %d, stderr %q, want %d, %q", c.args, code, stderr.String(), wantCode, want)
		}
		if ents, _ := os.ReadDir(out); len(ents) > 0 {
			t.Errorf("%v: a run directory was made", c.args)
		}
	}
}
