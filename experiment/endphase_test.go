package experiment

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/lrsweep"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/train"
)

// TestLRAutoCutShortLeavesNoRunDirectory: lr auto's range test runs
// before its run directory exists. A directory made before it, with the
// configured rate in config.yaml, would be what an interrupt or a kill
// during the test leaves, and --resume would start it over at that rate,
// not at the one the test would have chosen.
func TestLRAutoCutShortLeavesNoRunDirectory(t *testing.T) {
	cfg := config.Default()
	cfg.Model.Arch = "mlp"
	cfg.Training.Epochs = 1
	cfg.Output.Root = t.TempDir()
	sc := lrsweep.DefaultConfig()
	sc.Steps, sc.Seeds = 20, 1
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sum, _, err := TrainLRAuto(ctx, cfg, sc, Options{})
	if sum != nil || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "before the run directory was made") {
		t.Fatalf("summary %v, error %v", sum, err)
	}
	if entries, err := os.ReadDir(cfg.Output.Root); err != nil || len(entries) != 0 {
		t.Fatalf("the runs directory holds %v (%v), want nothing", entries, err)
	}
}

// TestRunWithoutAnEpochSaysSo: a run that ends before its first epoch
// has no best epoch: summary.json says null, not zeros that read as a
// loss and an accuracy, and a loss that diverges at once says that no
// checkpoint was written rather than that one is kept.
func TestRunWithoutAnEpochSaysSo(t *testing.T) {
	cases := []struct {
		name        string
		lr          float64
		interrupted bool
		wantErr     string
		wantStop    string
	}{
		{"a loss that diverges at once", 1e30, false, "training stopped (try a lower optimizer.lr); no epoch finished: no checkpoint was written", train.StopNonFinite},
		{"interrupted before its first step", 1e-3, true, "", train.StopInterrupted},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.Model.Arch = "mlp"
			cfg.Training.Epochs = 2
			cfg.Optimizer.LR = c.lr
			cfg.Output.Root = t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if c.interrupted {
				cancel()
			}
			sum, trainErr := Train(ctx, cfg, Options{})
			if c.wantErr == "" && trainErr != nil || c.wantErr != "" && (trainErr == nil || !strings.HasSuffix(trainErr.Error(), c.wantErr)) {
				t.Fatalf("error %v, want one ending %q", trainErr, c.wantErr)
			}
			if sum == nil || sum.StopReason != c.wantStop || sum.EpochsRun != 0 {
				t.Fatalf("summary %+v", sum)
			}
			var js map[string]any
			b, err := os.ReadFile(filepath.Join(sum.RunDir, rundir.SummaryFile))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &js); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"best_epoch", "val_loss", "val_accuracy"} {
				if v, ok := js[k]; !ok || v != nil {
					t.Errorf("summary.json %s = %v (present %v), want null", k, v, ok)
				}
			}
			if c.wantErr != "" {
				if _, err := os.Stat(filepath.Join(sum.RunDir, rundir.CheckpointsDir)); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s: %v, want none", rundir.CheckpointsDir, err)
				}
				if js["error"] != trainErr.Error() {
					t.Errorf("summary.json error %q", js["error"])
				}
			}
		})
	}
}

// cancelOn is a progress writer that cancels a run once a line contains
// at: an interrupt at a known moment.
type cancelOn struct {
	at     string
	cancel context.CancelFunc
}

func (c cancelOn) Write(b []byte) (int, error) {
	if strings.Contains(string(b), c.at) {
		c.cancel()
	}
	return len(b), nil
}

// TestResumeDecidesEarlyStoppingFirst: a run interrupted inside an epoch
// and resumed with a lower patience, which its finished epochs already
// run out, trains no more: it ends as a run that had that patience from
// the start, with its epochs, steps, best.ckpt and calibration.
func TestResumeDecidesEarlyStoppingFirst(t *testing.T) {
	cfg := config.Default()
	cfg.Model.Arch, cfg.Model.Hidden = "mlp", []int{32}
	cfg.Training.Epochs, cfg.Training.BatchSize = 6, 64
	cfg.Training.EarlyStopping = config.EarlyStopping{Enabled: true, Patience: 3, MinDelta: 10}
	cfg.Output.Root = t.TempDir()

	straightCfg := cfg
	straightCfg.Training.EarlyStopping.Patience = 1
	straight, err := Train(context.Background(), straightCfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if straight.StopReason != train.StopPatience || straight.EpochsRun != 2 {
		t.Fatalf("the straight run stopped by %q after %d epochs, want patience after 2", straight.StopReason, straight.EpochsRun)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cut, err := Train(ctx, cfg, Options{Progress: cancelOn{at: "epoch 2/6", cancel: cancel}})
	if err != nil || cut.StopReason != train.StopInterrupted || cut.EpochsRun != 2 {
		t.Fatalf("the interrupted run: %v, stopped by %q after %d epochs", err, cut.StopReason, cut.EpochsRun)
	}
	resumed, err := Resume(context.Background(), cut.RunDir, func(c *config.Experiment) error {
		c.Training.EarlyStopping.Patience = 1
		return nil
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if resumed.StopReason != train.StopPatience || resumed.EpochsRun != 2 || resumed.Steps != straight.Steps {
		t.Fatalf("resumed: stopped by %q after %d epochs and %d steps; straight: %q after %d and %d", resumed.StopReason, resumed.EpochsRun, resumed.Steps, straight.StopReason, straight.EpochsRun, straight.Steps)
	}
	if outcome(t, cut.RunDir) != outcome(t, straight.RunDir) {
		t.Error("the outcome differs from the straight run's")
	}
}

// TestInterruptedEndIsResumed: an interrupt after the last epoch stops
// the end of the run (test split, calibration, figures) instead of being
// ignored: the summary says interrupted, best.ckpt and calibration.json
// are not written as if calibrated, and --resume writes the end of the
// run never interrupted.
func TestInterruptedEndIsResumed(t *testing.T) {
	cfg := config.Default()
	cfg.Model.Arch = "mlp"
	cfg.Training.Epochs, cfg.Training.BatchSize = 2, 64
	cfg.Output.Root = t.TempDir()
	ref, err := Train(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cut, err := Train(ctx, cfg, Options{Progress: cancelOn{at: "epoch 2/2", cancel: cancel}})
	if err != nil || cut.StopReason != train.StopInterrupted || cut.EpochsRun != 2 || cut.TestECEAfter != nil {
		t.Fatalf("interrupted after the last epoch: %v, summary %+v", err, cut)
	}
	if _, err := os.Stat(filepath.Join(cut.RunDir, rundir.CalibrationFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("calibration.json after the interrupt: %v", err)
	}
	sum, err := Resume(context.Background(), cut.RunDir, nil, Options{})
	if err != nil || sum.StopReason != train.StopMaxEpochs {
		t.Fatalf("resumed: %v, summary %+v", err, sum)
	}
	if outcome(t, cut.RunDir) != outcome(t, ref.RunDir) {
		t.Error("the outcome differs from the run never interrupted")
	}
}
