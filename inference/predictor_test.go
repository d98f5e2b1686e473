package inference

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/practica-ml/practica/setup"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/train"
)

// trainRun trains a small model for a few epochs into a run directory and
// returns the directory, the prepared data and the trained loop's model.
func trainRun(t *testing.T, cfg config.Experiment) (*rundir.Dir, *setup.Prepared, train.Evaluation) {
	t.Helper()
	p, err := setup.Prepare(cfg, setup.Env{})
	if err != nil {
		t.Fatal(err)
	}
	m, o, err := p.NewModel(model.Options{TrainBatch: 32, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := rundir.Create(t.TempDir(), "test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	y, _ := p.Config.Marshal()
	if err := dir.WriteFile(rundir.ConfigFile, y); err != nil {
		t.Fatal(err)
	}
	l := &train.Loop{Model: m, Optimizer: o, Train: p.Splits.Train, Val: p.Splits.Val, Epochs: cfg.Training.Epochs, Seed: 1, Shuffle: true,
		Hooks: []train.Hook{&train.Checkpointer{LastPath: dir.Join(rundir.LastCheckpoint), BestPath: dir.Join(rundir.BestCheckpoint), Base: p.BaseCheckpoint()}}}
	if _, err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	ev, err := train.Evaluate(m, p.Splits.Test)
	if err != nil {
		t.Fatal(err)
	}
	return dir, p, ev
}

// TestPredictEqualsEvaluation: the logits predict computes from the raw
// test split, through the checkpoint's stored normalization, are
// bit-identical to the evaluation graph's during training.
func TestPredictEqualsEvaluation(t *testing.T) {
	cases := []struct {
		name string
		cfg  func() config.Experiment
	}{
		{"digits-cnn-bn", func() config.Experiment {
			c := config.Default()
			c.Model.Channels, c.Model.Hidden, c.Model.BatchNorm, c.Model.Dropout = []int{4}, []int{16}, true, 0.2
			c.Training.Epochs = 1
			return c
		}},
		{"breast-cancer-mlp", func() config.Experiment {
			c := config.Default()
			c.Data.Source = "../data/testdata/breast_cancer.csv"
			c.Training.Epochs = 2
			return c
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, p, ev := trainRun(t, c.cfg())
			// ev comes from the model as the last epoch left it: last.ckpt.
			pr, err := Load(dir.Join(rundir.LastCheckpoint))
			if err != nil {
				t.Fatal(err)
			}
			in, err := ReadSplit(dir, "test", setup.Env{})
			if err != nil {
				t.Fatal(err)
			}
			preds, err := pr.Predict(in)
			if err != nil {
				t.Fatal(err)
			}
			nc := len(p.Classes)
			if len(preds) != p.Splits.Test.Len() {
				t.Fatalf("%d predictions for %d test examples", len(preds), p.Splits.Test.Len())
			}
			for i, pd := range preds {
				var sum float64
				for k, v := range pd.Logits {
					if math.Float32bits(v) != math.Float32bits(ev.Logits[i*nc+k]) {
						t.Fatalf("example %d logit %d: predict %v, evaluation %v", i, k, v, ev.Logits[i*nc+k])
					}
					sum += pd.Probabilities[k]
				}
				if math.Abs(sum-1) > 1e-9 || pd.Label == nil || *pd.Label != p.Splits.Test.Y[i] {
					t.Fatalf("example %d: probabilities sum to %v, label %v", i, sum, pd.Label)
				}
			}
		})
	}
}

func TestPredictRejectsMismatchedInputs(t *testing.T) {
	cfg := config.Default()
	cfg.Data.Source = "../data/testdata/breast_cancer.csv"
	cfg.Training.Epochs = 1
	dir, _, _ := trainRun(t, cfg)
	pr, err := Load(dir.Join(rundir.BestCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	iris := "../data/testdata/iris.csv"
	bad := filepath.Join(tmp, "bad.png")
	os.WriteFile(bad, []byte("not a png"), 0o644)
	cases := []struct {
		name  string
		files []string
		want  string
	}{
		{"other features", []string{iris}, "iris.csv"},
		{"image for a tabular model", []string{bad}, "tabular"},
		{"unknown kind", []string{"predictor.go"}, "unknown input kind"},
		{"missing", []string{filepath.Join(tmp, "none.csv")}, "none.csv"},
	}
	for _, c := range cases {
		_, err := pr.ReadFiles(c.files, "diagnosis", "")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.want)
		}
	}
	in, err := pr.ReadFiles([]string{"../data/testdata/breast_cancer.csv"}, "diagnosis", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Y) != 569 {
		t.Fatalf("read %d labelled rows, want 569", len(in.Y))
	}
}

// TestProbabilitiesArePredictions: Probabilities is Predict's rows, in
// order, as one row-major slice.
func TestProbabilitiesArePredictions(t *testing.T) {
	cfg := config.Default()
	cfg.Data.Source, cfg.Training.Epochs = "../data/testdata/breast_cancer.csv", 1
	dir, prep, _ := trainRun(t, cfg)
	p, err := Load(dir.Join(rundir.BestCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	in := Input{X: prep.Splits.Test.X, Y: prep.Splits.Test.Y}
	preds, err := p.Predict(in)
	if err != nil {
		t.Fatal(err)
	}
	probs, err := p.Probabilities(in)
	if err != nil {
		t.Fatal(err)
	}
	c := len(p.Checkpoint.Classes)
	if len(probs) != len(preds)*c {
		t.Fatalf("%d probabilities for %d predictions of %d classes", len(probs), len(preds), c)
	}
	for i, q := range preds {
		if !slices.Equal(probs[i*c:(i+1)*c], q.Probabilities) {
			t.Fatalf("row %d: %v, Predict gave %v", i, probs[i*c:(i+1)*c], q.Probabilities)
		}
	}
}
