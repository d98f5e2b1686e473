package experiment

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/practica-ml/practica/setup"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/rundir"
)

// withoutSeconds drops the wall-time column of metrics.csv.
func withoutSeconds(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return regexp.MustCompile(`,[0-9.]+\n`).ReplaceAllString(string(b), "\n")
}

// TestResumeMatchesStraightRun: 6 epochs straight against 3 then --resume to
// 6 give identical metrics.csv rows (seconds aside), with dropout,
// augmentation-free CNN with batch norm and a cosine schedule's
// per-step rates depending on the total.
func TestResumeMatchesStraightRun(t *testing.T) {
	cfg := config.Default()
	cfg.Model.Arch = "cnn"
	cfg.Model.Channels, cfg.Model.Hidden, cfg.Model.Dropout, cfg.Model.BatchNorm = []int{4}, []int{16}, 0.2, true
	cfg.Training.BatchSize = 64
	cfg.Output.Root = t.TempDir()
	cfg.Training.Epochs = 6
	straight, err := Train(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Training.Epochs = 3
	first, err := Train(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	resumed, err := Resume(context.Background(), first.RunDir, 6, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if resumed.RunDir != first.RunDir || resumed.EpochsRun != 6 {
		t.Fatalf("resumed into %s with %d epochs", resumed.RunDir, resumed.EpochsRun)
	}
	a := withoutSeconds(t, straight.RunDir+"/"+rundir.MetricsFile)
	b := withoutSeconds(t, first.RunDir+"/"+rundir.MetricsFile)
	if a != b || strings.Count(a, "\n") != 7 {
		t.Fatalf("metrics differ:\nstraight\n%s\nresumed\n%s", a, b)
	}
	if *straight.TestAccuracy != *resumed.TestAccuracy || straight.BestEpoch != resumed.BestEpoch {
		t.Fatalf("summaries differ: %+v vs %+v", straight, resumed)
	}
	if _, err := Resume(context.Background(), first.RunDir, 6, Options{}); err == nil || !strings.Contains(err.Error(), "already has 6 of 6 epochs") {
		t.Fatalf("resuming a finished run: %v", err)
	}
}

// TestEarlyStoppingKeepsBestWeights: an over-sized MLP on digits stops well
// before 200 epochs by patience, and the saved model's validation loss is
// the best epoch's in metrics.csv.
func TestEarlyStoppingKeepsBestWeights(t *testing.T) {
	cfg := config.Default()
	cfg.Model.Arch, cfg.Model.Hidden = "mlp", []int{256, 256}
	cfg.Training.Epochs = 200
	cfg.Training.EarlyStopping.Enabled = true
	cfg.Output.Root = t.TempDir()
	sum, err := Train(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.StopReason != "patience" || sum.EpochsRun >= 100 {
		t.Fatalf("stopped by %q after %d epochs", sum.StopReason, sum.EpochsRun)
	}
	t.Logf("stopped after %d epochs, best %d, val loss %.5f", sum.EpochsRun, sum.BestEpoch, sum.ValLoss)
	rows := strings.Split(strings.TrimSpace(withoutSeconds(t, sum.RunDir+"/"+rundir.MetricsFile)), "\n")[1:]
	best := -1.0
	for _, r := range rows {
		f := strings.Split(r, ",")
		var v float64
		if _, err := fmtSscan(f[4], &v); err != nil {
			t.Fatal(err)
		}
		if best < 0 || v < best {
			best = v
		}
	}
	// The saved best model, evaluated again, gives that loss.
	p, err := setup.Prepare(cfg, setup.Env{})
	if err != nil {
		t.Fatal(err)
	}
	ev := evalCheckpoint(t, sum.RunDir+"/"+rundir.BestCheckpoint, p)
	if ev != sum.ValLoss || sum.ValLoss != best {
		t.Fatalf("best.ckpt val loss %v, summary %v, metrics.csv best %v", ev, sum.ValLoss, best)
	}
}
