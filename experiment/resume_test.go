package experiment

import (
	"context"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/practica-ml/practica/setup"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/rundir"
)

// withoutSeconds drops the wall-time columns of metrics.csv (seconds,
// step_seconds).
func withoutSeconds(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), ",seconds,step_seconds\n", "\n", 1)
	return regexp.MustCompile(`,[0-9.]+,[0-9.]+\n`).ReplaceAllString(s, "\n")
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
	resumed, err := Resume(context.Background(), first.RunDir, Epochs(6), Options{})
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
	if *straight.TestAccuracy != *resumed.TestAccuracy || *straight.BestEpoch != *resumed.BestEpoch {
		t.Fatalf("summaries differ: %+v vs %+v", straight, resumed)
	}
	if _, err := Resume(context.Background(), first.RunDir, Epochs(6), Options{}); err == nil || !strings.Contains(err.Error(), "already has 6 of 6 epochs") {
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
	t.Logf("stopped after %d epochs, best %d, val loss %.5f", sum.EpochsRun, *sum.BestEpoch, *sum.ValLoss)
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
	if ev != *sum.ValLoss || *sum.ValLoss != best {
		t.Fatalf("best.ckpt val loss %v, summary %v, metrics.csv best %v", ev, *sum.ValLoss, best)
	}
}

// TestResumeWithOtherEarlyStopping continues on purpose a run that early
// stopping ended: resumed as it was, it refuses (it would stop again at
// once); with a smaller min_delta it trains on, and its epochs and best
// checkpoint are those of a run that had that min_delta from the start,
// since early stopping only decides when to stop. meta.json records the
// change; a change that would make another experiment is refused.
func TestResumeWithOtherEarlyStopping(t *testing.T) {
	cfg := config.Default()
	cfg.Model.Arch, cfg.Model.Hidden = "mlp", []int{32}
	cfg.Training.Epochs = 5
	cfg.Training.EarlyStopping = config.EarlyStopping{Enabled: true, Patience: 1, MinDelta: 10}
	cfg.Output.Root = t.TempDir()
	stopped, err := Train(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if stopped.StopReason != "patience" || stopped.EpochsRun != 2 {
		t.Fatalf("the fixture stopped by %q after %d epochs, want patience after 2", stopped.StopReason, stopped.EpochsRun)
	}
	straightCfg := cfg
	straightCfg.Training.EarlyStopping.MinDelta = 0
	straight, err := Train(context.Background(), straightCfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		edit    func(*config.Experiment) error
		wantErr string
	}{
		{"unchanged", nil, "training.early_stopping stopped the run after 2 epochs (patience)"},
		{"more epochs alone", Epochs(8), "would stop it again at once"},
		{"another learning rate", func(c *config.Experiment) error { c.Optimizer.LR = 0.1; return nil }, "optimizer.lr cannot change when resuming"},
		{"a bad patience", func(c *config.Experiment) error { c.Training.EarlyStopping.Patience = -1; return nil }, "patience"},
	}
	for _, c := range cases {
		if _, err := Resume(context.Background(), stopped.RunDir, c.edit, Options{}); err == nil || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("%s: resume error %v, want %q", c.name, err, c.wantErr)
		}
	}
	resumed, err := Resume(context.Background(), stopped.RunDir, func(c *config.Experiment) error {
		c.Training.EarlyStopping.MinDelta = 0
		return nil
	}, Options{Args: []string{"train", "--resume", stopped.RunDir, "--min-delta", "0"}})
	if err != nil {
		t.Fatal(err)
	}
	if resumed.EpochsRun != straight.EpochsRun || resumed.StopReason != straight.StopReason || resumed.EpochsRun <= 2 {
		t.Fatalf("resumed: %d epochs (%s); straight: %d (%s)", resumed.EpochsRun, resumed.StopReason, straight.EpochsRun, straight.StopReason)
	}
	if a, b := withoutSeconds(t, straight.RunDir+"/"+rundir.MetricsFile), withoutSeconds(t, stopped.RunDir+"/"+rundir.MetricsFile); a != b {
		t.Fatalf("metrics differ:\nstraight\n%s\nresumed\n%s", a, b)
	}
	for _, f := range []string{rundir.BestCheckpoint, rundir.ConfigFile} {
		a, _ := os.ReadFile(straight.RunDir + "/" + f)
		b, _ := os.ReadFile(stopped.RunDir + "/" + f)
		if len(a) == 0 || string(a) != string(b) {
			t.Errorf("%s differs from the straight run's", f)
		}
	}
	var meta rundir.Meta
	d, _ := rundir.Open(stopped.RunDir)
	if err := d.ReadJSON(rundir.MetaFile, &meta); err != nil {
		t.Fatal(err)
	}
	want := []rundir.Change{{Key: "training.early_stopping.min_delta", From: 10.0, To: 0.0}}
	if len(meta.Resumed) != 1 || !reflect.DeepEqual(meta.Resumed[0].Changes, want) {
		t.Fatalf("meta.json resumptions %+v, want one with changes %+v", meta.Resumed, want)
	}
}
