package experiment

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/feasibility"
	"github.com/practica-ml/practica/internal/setting"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/modelrepo"
	"github.com/practica-ml/practica/rundir"
)

// sourceRun trains a small CNN with batch norm on the digits 0-4 for two
// epochs: the run fine-tuning starts from.
func sourceRun(t *testing.T) *rundir.Summary {
	t.Helper()
	cfg := config.Default()
	cfg.Data.Classes = []string{"0", "1", "2", "3", "4"}
	cfg.Model.Channels, cfg.Model.Hidden, cfg.Model.BatchNorm = []int{4, 8}, []int{16}, true
	cfg.Training.Epochs, cfg.Calibration.Bootstrap = 2, 0
	cfg.Output.Root = t.TempDir()
	sum, err := Train(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// fineTuneConfig fine-tunes sourceRun's model on the digits 5-8 (four
// classes: the output layer's shape differs) with the convolutions and
// their batch norm frozen until unfreezeAt.
func fineTuneConfig(t *testing.T, from string, epochs, unfreezeAt int) config.Experiment {
	cfg := config.Default()
	cfg.Data.Classes = []string{"5", "6", "7", "8"}
	cfg.Model.Channels, cfg.Model.Hidden, cfg.Model.BatchNorm = []int{4, 8}, []int{16}, true
	cfg.Training.Epochs, cfg.Calibration.Bootstrap = epochs, 0
	cfg.Training.InitFrom, cfg.Training.Freeze, cfg.Training.UnfreezeAt = from, []string{"conv", "bn"}, unfreezeAt
	cfg.Output.Root = t.TempDir()
	return cfg
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestFineTuneIsReproducibleAndRecorded: two fine-tuned runs with the same
// seed from the same checkpoint give the same best.ckpt and last.ckpt,
// byte for byte, and the same metrics; meta.json and model.json record
// the run and checkpoint they started from, its sha256, what was loaded
// and not, and what was frozen; config.yaml holds the settings, with the
// run's path absolute.
func TestFineTuneIsReproducibleAndRecorded(t *testing.T) {
	src := sourceRun(t)
	cfg := fineTuneConfig(t, src.RunDir, 3, 3)
	a, err := Train(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Train(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{rundir.BestCheckpoint, rundir.LastCheckpoint} {
		x, _ := os.ReadFile(filepath.Join(a.RunDir, f))
		y, _ := os.ReadFile(filepath.Join(b.RunDir, f))
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs of the same seed", f)
		}
	}
	if withoutSeconds(t, filepath.Join(a.RunDir, rundir.MetricsFile)) != withoutSeconds(t, filepath.Join(b.RunDir, rundir.MetricsFile)) {
		t.Error("metrics.csv differs between two runs of the same seed")
	}

	ckpt := filepath.Join(src.RunDir, filepath.FromSlash(rundir.BestCheckpoint))
	bn := []string{"conv0.weight", "bn0.scale", "bn0.shift", "bn0.running_mean", "bn0.running_var",
		"conv1.weight", "bn1.scale", "bn1.shift", "bn1.running_mean", "bn1.running_var"}
	wantInit := &rundir.InitFrom{Run: src.RunDir, Checkpoint: ckpt, SHA256: fileSHA256(t, ckpt),
		Loaded: append(slices.Clone(bn), "dense0.weight", "dense0.bias"),
		Skipped: []rundir.SkippedParam{{Name: "out.weight", Shape: []int{16, 4}, CheckpointShape: []int{16, 5}, Reason: "the output layer of classes [0 1 2 3 4], not this run's [5 6 7 8]: initialized afresh"},
			{Name: "out.bias", Shape: []int{1, 4}, CheckpointShape: []int{1, 5}, Reason: "the output layer of classes [0 1 2 3 4], not this run's [5 6 7 8]: initialized afresh"}}}
	wantFreeze := &rundir.Freeze{Prefixes: []string{"conv", "bn"}, Parameters: bn, UnfreezeAt: 3}
	var meta rundir.Meta
	if err := (&rundir.Dir{Path: a.RunDir}).ReadJSON(rundir.MetaFile, &meta); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(meta.InitFrom, wantInit) || !reflect.DeepEqual(meta.Freeze, wantFreeze) {
		t.Errorf("meta.json init_from %+v freeze %+v\nwant %+v and %+v", meta.InitFrom, meta.Freeze, wantInit, wantFreeze)
	}
	card, err := modelrepo.ReadCard(a.RunDir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(card.InitFrom, wantInit) || !reflect.DeepEqual(card.Freeze, wantFreeze) {
		t.Errorf("model.json init_from %+v freeze %+v", card.InitFrom, card.Freeze)
	}
	raw, _ := os.ReadFile(filepath.Join(a.RunDir, modelrepo.CardFile))
	for _, key := range []string{`"init_from": {`, `"sha256": "` + wantInit.SHA256 + `"`, `"checkpoint_shape": [`, `"unfreeze_at": 3`} {
		if !bytes.Contains(raw, []byte(key)) {
			t.Errorf("model.json lacks %s", key)
		}
	}
	saved, err := config.Load(filepath.Join(a.RunDir, rundir.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if saved.Training.InitFrom != src.RunDir || !slices.Equal(saved.Training.Freeze, cfg.Training.Freeze) || saved.Training.UnfreezeAt != 3 || !slices.Equal(saved.Data.Classes, cfg.Data.Classes) {
		t.Errorf("config.yaml training %+v data.classes %q", saved.Training, saved.Data.Classes)
	}
	// A model from scratch records neither.
	var srcMeta map[string]any
	if err := (&rundir.Dir{Path: src.RunDir}).ReadJSON(rundir.MetaFile, &srcMeta); err != nil {
		t.Fatal(err)
	}
	if _, ok := srcMeta["init_from"]; ok {
		t.Error("a run from scratch records init_from")
	}
	if _, ok := srcMeta["freeze"]; ok {
		t.Error("a run that freezes nothing records freeze")
	}
}

// TestResumeFineTunedRun: a fine-tuned run with the convolutions frozen
// until epoch 3, trained 2 epochs and resumed to 4, ends with the
// checkpoints and metrics of the run trained 4 epochs straight, even with
// its init-from checkpoint gone (a resumed run does not read it again).
// Killed before its first checkpoint, it starts over from the init-from
// checkpoint, and refuses to when that checkpoint changed.
func TestResumeFineTunedRun(t *testing.T) {
	src := sourceRun(t)
	from := filepath.Join(t.TempDir(), "source.ckpt")
	best, err := os.ReadFile(filepath.Join(src.RunDir, filepath.FromSlash(rundir.BestCheckpoint)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(from, best, 0o644); err != nil {
		t.Fatal(err)
	}
	straight, err := Train(context.Background(), fineTuneConfig(t, from, 4, 3), Options{})
	if err != nil {
		t.Fatal(err)
	}
	first, err := Train(context.Background(), fineTuneConfig(t, from, 2, 3), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(from, from+".away"); err != nil {
		t.Fatal(err)
	}
	resumed, err := Resume(context.Background(), first.RunDir, Epochs(4), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if resumed.EpochsRun != 4 {
		t.Fatalf("resumed to %d epochs", resumed.EpochsRun)
	}
	for _, f := range []string{rundir.LastCheckpoint, rundir.BestCheckpoint} {
		x, _ := os.ReadFile(filepath.Join(straight.RunDir, f))
		y, _ := os.ReadFile(filepath.Join(first.RunDir, f))
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s of the resumed run differs from the straight run's", f)
		}
	}
	if a, b := withoutSeconds(t, filepath.Join(straight.RunDir, rundir.MetricsFile)), withoutSeconds(t, filepath.Join(first.RunDir, rundir.MetricsFile)); a != b {
		t.Errorf("metrics differ:\nstraight\n%s\nresumed\n%s", a, b)
	}
	// The frozen layers did not move in epochs 1-2 and did in 3-4.
	c2, c4 := loadTensor(t, filepath.Join(src.RunDir, rundir.BestCheckpoint), "conv0.weight"), loadTensor(t, filepath.Join(first.RunDir, rundir.LastCheckpoint), "conv0.weight")
	if slices.Equal(c2, c4) {
		t.Error("conv0.weight never trained after training.unfreeze_at")
	}

	if err := os.Rename(from+".away", from); err != nil {
		t.Fatal(err)
	}
	want := outcome(t, straight.RunDir)
	killed := killedAt(t, straight.RunDir, false, rundir.SummaryFile, rundir.CalibrationFile, rundir.ReliabilityPlot, rundir.CurvesPlot,
		rundir.BestCheckpoint, rundir.LastCheckpoint, rundir.MetricsFile)
	if _, err := Resume(context.Background(), killed, nil, Options{}); err != nil {
		t.Fatal(err)
	}
	if outcome(t, killed) != want {
		t.Error("started over, the run differs from the one never killed")
	}
	// Started over from a checkpoint that changed meanwhile: refused.
	killed = killedAt(t, straight.RunDir, false, rundir.SummaryFile, rundir.CalibrationFile, rundir.ReliabilityPlot, rundir.CurvesPlot,
		rundir.BestCheckpoint, rundir.LastCheckpoint, rundir.MetricsFile)
	c, err := model.LoadCheckpoint(from)
	if err != nil {
		t.Fatal(err)
	}
	c.Temperature = 2
	if err := model.SaveCheckpoint(from, c); err != nil {
		t.Fatal(err)
	}
	_, err = Resume(context.Background(), killed, nil, Options{})
	var se *setting.Error
	if err == nil || !errors.As(err, &se) || se.Key != "training.init_from" || !strings.Contains(err.Error(), "is not the checkpoint the run started from") {
		t.Fatalf("starting over from a changed checkpoint: %v", err)
	}
}

func loadTensor(t *testing.T, path, name string) []float32 {
	t.Helper()
	c, err := model.LoadCheckpoint(filepath.FromSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	return c.Tensor(name).Data
}

// TestFeasibilityRefusesFineTuning: the feasibility tests check a model
// from its own initial weights; training.init_from or training.freeze is
// an error naming the key, before any run directory.
func TestFeasibilityRefusesFineTuning(t *testing.T) {
	for _, c := range []struct {
		key    string
		modify func(*config.Experiment)
	}{
		{"training.init_from", func(e *config.Experiment) { e.Training.InitFrom = "runs/x" }},
		{"training.freeze", func(e *config.Experiment) { e.Training.Freeze = []string{"conv"} }},
	} {
		cfg := config.Default()
		cfg.Output.Root = t.TempDir()
		c.modify(&cfg)
		_, err := Feasibility(context.Background(), cfg, feasibility.Options{OverfitOne: true}, Options{})
		var se *setting.Error
		if err == nil || !errors.As(err, &se) || se.Key != c.key {
			t.Errorf("%s: %v", c.key, err)
		}
		if entries, _ := os.ReadDir(cfg.Output.Root); len(entries) > 0 {
			t.Errorf("%s: a run directory was made", c.key)
		}
	}
}
