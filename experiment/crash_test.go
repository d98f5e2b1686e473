package experiment

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/internal/atomicfile"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/setup"
	"github.com/practica-ml/practica/train"
)

// copyRun copies a run directory (flat, plus checkpoints/) to a new place.
func copyRun(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	for _, sub := range []string{".", rundir.CheckpointsDir} {
		entries, err := os.ReadDir(filepath.Join(src, sub))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dst, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			b, err := os.ReadFile(filepath.Join(src, sub, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dst, sub, e.Name()), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dst
}

// outcome is what a run must reproduce whether or not it was killed:
// best.ckpt, calibration.json, the metrics rows but their seconds, and
// the summary but its directory and wall time.
func outcome(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	for _, f := range []string{rundir.BestCheckpoint, rundir.CalibrationFile} {
		c, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		b.Write(c)
	}
	b.WriteString(withoutSeconds(t, filepath.Join(dir, rundir.MetricsFile)))
	var s rundir.Summary
	js, err := os.ReadFile(filepath.Join(dir, rundir.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(js, &s); err != nil {
		t.Fatal(err)
	}
	s.RunDir, s.Seconds = "", 0
	js, _ = json.Marshal(s)
	b.Write(js)
	return b.String()
}

// killedAt turns a copy of a finished run into what a SIGKILL at some
// moment leaves: remove deletes files, uncalibrated writes best.ckpt back
// without its temperature, and temporary files of writes cut short are
// planted next to them.
func killedAt(t *testing.T, src string, uncalibrated bool, remove ...string) string {
	t.Helper()
	dir := copyRun(t, src)
	for _, f := range remove {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	if uncalibrated {
		p := filepath.Join(dir, rundir.BestCheckpoint)
		c, err := model.LoadCheckpoint(p)
		if err != nil {
			t.Fatal(err)
		}
		c.Temperature = 0
		if err := model.SaveCheckpoint(p, c); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"checkpoints/.best.ckpt.tmp1234", ".summary.json.tmp99"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("half"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func assertNoTemps(t *testing.T, dir string) {
	t.Helper()
	for _, sub := range []string{".", rundir.CheckpointsDir} {
		entries, _ := os.ReadDir(filepath.Join(dir, sub))
		for _, e := range entries {
			if atomicfile.IsTemp(e.Name()) {
				t.Errorf("%s/%s left behind", sub, e.Name())
			}
		}
	}
}

// TestResumeFinishesWhatAKillCutShort: the states a SIGKILL can leave
// that random kills rarely hit, each built from a finished run, and what
// --resume makes of them: the end (test split, calibration, plots,
// summary) done without training when the last epoch was saved; the run
// started over when no epoch was; temporary files removed; in every case
// the outcome of the run that was never killed. cmd/train's
// TestKillAnywhereThenResume kills real processes.
func TestResumeFinishesWhatAKillCutShort(t *testing.T) {
	cfg := config.Default()
	cfg.Model.Arch = "mlp"
	cfg.Training.Epochs, cfg.Training.BatchSize = 4, 64
	cfg.Output.Root = t.TempDir()
	ref, err := Train(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := outcome(t, ref.RunDir)
	rows, err := os.ReadFile(filepath.Join(ref.RunDir, rundir.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	first := strings.Join(strings.SplitAfter(string(rows), "\n")[:2], "")

	cases := []struct {
		name         string
		uncalibrated bool
		remove       []string
		// metrics, when set, replaces metrics.csv.
		metrics string
	}{
		{"after the last epoch, before calibration", true, []string{rundir.SummaryFile, rundir.CalibrationFile, rundir.ReliabilityPlot, rundir.CurvesPlot}, ""},
		{"after best.ckpt's temperature, before calibration.json", false, []string{rundir.SummaryFile, rundir.CalibrationFile, rundir.ReliabilityPlot, rundir.CurvesPlot}, ""},
		{"after calibration.json, before reliability.png", false, []string{rundir.SummaryFile, rundir.ReliabilityPlot, rundir.CurvesPlot}, ""},
		{"after calibration, before summary.json", false, []string{rundir.SummaryFile, rundir.CurvesPlot}, ""},
		{"after meta.json's end time, before summary.json", false, []string{rundir.SummaryFile}, ""},
		{"before the first checkpoint", false, []string{rundir.SummaryFile, rundir.CalibrationFile, rundir.ReliabilityPlot, rundir.CurvesPlot, rundir.BestCheckpoint, rundir.LastCheckpoint, rundir.MetricsFile}, ""},
		{"after the first epoch's metrics.csv, before its checkpoints", false, []string{rundir.SummaryFile, rundir.CalibrationFile, rundir.ReliabilityPlot, rundir.CurvesPlot, rundir.BestCheckpoint, rundir.LastCheckpoint}, first},
		{"before meta.json", false, []string{rundir.SummaryFile, rundir.CalibrationFile, rundir.ReliabilityPlot, rundir.CurvesPlot, rundir.BestCheckpoint, rundir.LastCheckpoint, rundir.MetricsFile, rundir.MetaFile, rundir.CommandFile}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := killedAt(t, ref.RunDir, c.uncalibrated, c.remove...)
			if c.metrics != "" {
				os.WriteFile(filepath.Join(dir, rundir.MetricsFile), []byte(c.metrics), 0o644)
			}
			sum, err := Resume(context.Background(), dir, nil, Options{Args: []string{"train", "--resume", dir}})
			if err != nil {
				t.Fatal(err)
			}
			if sum.EpochsRun != 4 || sum.StopReason != train.StopMaxEpochs {
				t.Fatalf("summary %+v", sum)
			}
			if got := outcome(t, dir); got != want {
				t.Error("the outcome differs from the run never killed")
			}
			assertNoTemps(t, dir)
			var meta rundir.Meta
			b, _ := os.ReadFile(filepath.Join(dir, rundir.MetaFile))
			if err := json.Unmarshal(b, &meta); err != nil || len(meta.Resumed) != 1 || meta.End.IsZero() {
				t.Errorf("meta.json %s (%v)", b, err)
			}
			if _, err := Resume(context.Background(), dir, nil, Options{}); err == nil || !strings.Contains(err.Error(), "already has 4 of 4 epochs") {
				t.Errorf("resuming it again: %v", err)
			}
		})
	}

	t.Run("last.ckpt lost after several epochs", func(t *testing.T) {
		dir := killedAt(t, ref.RunDir, false, rundir.SummaryFile, rundir.LastCheckpoint)
		_, err := Resume(context.Background(), dir, nil, Options{})
		if err == nil || !strings.Contains(err.Error(), "last.ckpt is missing, yet") {
			t.Fatalf("got %v", err)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, rundir.BestCheckpoint)); !bytes.Equal(b[:8], []byte("PRCTCKPT")) {
			t.Error("best.ckpt was touched")
		}
	})

	// Early stopping ends this run after 3 of 10 epochs (epoch 3 does not
	// improve on epoch 2 by min_delta). Killed before its summary, the
	// resume must write the end of a run stopped by patience, not train a
	// fourth epoch.
	t.Run("early-stopped, before summary.json", func(t *testing.T) {
		cfg := cfg
		cfg.Training.Epochs = 10
		cfg.Training.EarlyStopping.Enabled, cfg.Training.EarlyStopping.Patience, cfg.Training.EarlyStopping.MinDelta = true, 1, 0.5
		cfg.Output.Root = t.TempDir()
		ref, err := Train(context.Background(), cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if ref.StopReason != train.StopPatience || ref.EpochsRun >= 10 {
			t.Fatalf("the reference run stopped by %q after %d epochs", ref.StopReason, ref.EpochsRun)
		}
		dir := killedAt(t, ref.RunDir, true, rundir.SummaryFile, rundir.CalibrationFile, rundir.ReliabilityPlot, rundir.CurvesPlot)
		sum, err := Resume(context.Background(), dir, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if sum.StopReason != train.StopPatience || sum.EpochsRun != ref.EpochsRun {
			t.Fatalf("resumed: stopped by %q after %d epochs, want %q after %d", sum.StopReason, sum.EpochsRun, ref.StopReason, ref.EpochsRun)
		}
		if outcome(t, dir) != outcome(t, ref.RunDir) {
			t.Error("the outcome differs from the run never killed")
		}
	})
}

// TestCheckpointerWritesBestBeforeLast: when an epoch improves, best.ckpt
// is written before last.ckpt, so that a process killed between the two
// leaves last.ckpt behind (resume redoes the epoch and writes the same
// best.ckpt), never best.ckpt behind a last.ckpt that has passed an
// improvement. Here the second write fails, as a kill would stop it.
func TestCheckpointerWritesBestBeforeLast(t *testing.T) {
	cfg := config.Default()
	cfg.Model.Arch = "linear"
	p, err := setup.Prepare(cfg, setup.Env{})
	if err != nil {
		t.Fatal(err)
	}
	m, o, err := p.NewModel(model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	h := &train.Checkpointer{LastPath: filepath.Join(dir, "last.ckpt"), BestPath: filepath.Join(dir, "best.ckpt"), Base: p.BaseCheckpoint(), Seed: 1}
	// A directory where last.ckpt should go: renaming a file over it fails.
	if err := os.Mkdir(h.LastPath, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &train.State{Model: m, Optimizer: o, History: []train.EpochMetrics{{Epoch: 1, ValLoss: 1}}, Improved: true}
	if err := h.AfterEpoch(s); err == nil || !strings.Contains(err.Error(), h.LastPath) {
		t.Fatalf("writing last.ckpt over a directory: %v", err)
	}
	if _, err := model.LoadCheckpoint(h.BestPath); err != nil {
		t.Fatalf("best.ckpt was not written first: %v", err)
	}
}
