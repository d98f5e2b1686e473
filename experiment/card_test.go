package experiment

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/modelrepo"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/setup"
	"github.com/practica-ml/practica/train"
)

// checkCard fails the test unless the run's model.json describes its
// best.ckpt with the values of its meta.json and summary.json, and
// hashes its raw training split as the documentation of
// data.SplitSHA256 spells it out (computed here from the run's config.yaml, prepared
// afresh).
func checkCard(t *testing.T, run string) *modelrepo.Card {
	t.Helper()
	card, err := modelrepo.ReadCard(run)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := rundir.Open(run)
	if err != nil {
		t.Fatal(err)
	}
	var meta rundir.Meta
	var sum rundir.Summary
	if err := dir.ReadJSON(rundir.MetaFile, &meta); err != nil {
		t.Fatal(err)
	}
	if err := dir.ReadJSON(rundir.SummaryFile, &sum); err != nil {
		t.Fatal(err)
	}
	ckpt, err := os.ReadFile(dir.Join(rundir.BestCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	c, err := model.UnmarshalCheckpoint(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	hash := sha256.Sum256(ckpt)
	if card.SHA256 != hex.EncodeToString(hash[:]) || card.Checkpoint != rundir.BestCheckpoint || card.Name != filepath.Base(run) || card.Run != run {
		t.Errorf("sha256 %s (best.ckpt's %x), checkpoint %q, name %q, run %q", card.SHA256, hash, card.Checkpoint, card.Name, card.Run)
	}
	if !card.Created.Equal(meta.End) || card.PracticaVersion != meta.Version || card.Temperature != sum.Temperature || card.Temperature != c.Temperature {
		t.Errorf("created %v (end %v), version %q, T %v (summary %v, best.ckpt %v)", card.Created, meta.End, card.PracticaVersion, card.Temperature, sum.Temperature, c.Temperature)
	}
	if card.Test == nil || card.Test.N != sum.TestSize || card.Test.Accuracy != *sum.TestAccuracy || *card.Test.ECEAfter != *sum.TestECEAfter {
		t.Errorf("test %+v, summary %+v", card.Test, sum)
	}
	cfg, err := config.Load(dir.Join(rundir.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	// The raw split, as read: before imputation and normalization.
	sp, err := setup.OpenSplits(cfg, setup.Env{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, sp.Train.X)
	for _, y := range sp.Train.Y {
		binary.Write(&b, binary.LittleEndian, int64(y))
	}
	split := sha256.Sum256(b.Bytes())
	if card.Data == nil || card.Data.TrainSplitSHA256 != hex.EncodeToString(split[:]) || *card.Data.Fingerprint != *meta.DataFingerprint() {
		t.Errorf("data %+v, want train_split_sha256 %x and meta.json's fingerprint %+v", card.Data, split, meta.DataFingerprint())
	}
	return card
}

// withoutRun is a card's JSON but for what differs between two runs of
// one config: where the run is and when it ended.
func withoutRun(t *testing.T, c *modelrepo.Card) string {
	t.Helper()
	d := *c
	d.Name, d.Run, d.Created = "", "", time.Time{}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTrainWritesModelCard: train writes model.json at the end of a run;
// a second run with the same seed writes the same card but for its
// directory and time; a resumed run removes it before it trains, since
// best.ckpt may change, so that one interrupted has none, and its end
// writes it for the new best.ckpt.
func TestTrainWritesModelCard(t *testing.T) {
	cfg := config.Default()
	cfg.Data.Source = "../data/testdata/breast_cancer.csv"
	cfg.Model.Arch = model.Linear
	cfg.Optimizer.LR = 0.01
	cfg.Training.Epochs, cfg.Training.Seed = 2, 4
	cfg.Calibration.Bootstrap = 20
	cfg.Output.Root = t.TempDir()
	first, err := Train(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := Train(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	firstCard, againCard := checkCard(t, first.RunDir), checkCard(t, again.RunDir)
	if withoutRun(t, firstCard) != withoutRun(t, againCard) {
		t.Errorf("two runs of one seed wrote different cards:\n%s\n%s", withoutRun(t, firstCard), withoutRun(t, againCard))
	}

	interrupted, cancel := context.WithCancel(context.Background())
	cancel()
	steps := []struct {
		name string
		ctx  context.Context
		// card says whether the run has a card after the step.
		card bool
	}{
		{"resumed to 3 epochs, interrupted at once", interrupted, false},
		{"resumed to 3 epochs", context.Background(), true},
	}
	for _, s := range steps {
		sum, err := Resume(s.ctx, first.RunDir, Epochs(3), Options{})
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		_, statErr := os.Stat(filepath.Join(first.RunDir, modelrepo.CardFile))
		if !s.card {
			if sum.StopReason != train.StopInterrupted || !errors.Is(statErr, fs.ErrNotExist) {
				t.Errorf("%s: stopped by %q, model.json %v; want it gone", s.name, sum.StopReason, statErr)
			}
			continue
		}
		resumed := checkCard(t, first.RunDir)
		if sum.EpochsRun != 3 || resumed.SHA256 == firstCard.SHA256 || !resumed.Created.After(firstCard.Created) {
			t.Errorf("%s: %d epochs, sha256 %s (before %s), created %v (before %v)", s.name, sum.EpochsRun, resumed.SHA256, firstCard.SHA256, resumed.Created, firstCard.Created)
		}
	}
}
