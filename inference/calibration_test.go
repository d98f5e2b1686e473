package inference

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/practica-ml/practica/setup"

	"github.com/practica-ml/practica/calibration"
	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/experiment"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/train"
)

// calibratedRun trains a small dropout MLP on breast_cancer.csv with
// calibration on and returns its run directory and prepared data.
func calibratedRun(t *testing.T) (*rundir.Dir, *setup.Prepared) {
	t.Helper()
	cfg := config.Default()
	cfg.Data.Source = "../data/testdata/breast_cancer.csv"
	cfg.Training.Epochs, cfg.Training.Seed = 3, 2
	cfg.Model.Dropout = 0.3
	cfg.Calibration.Bootstrap = 0
	cfg.Output.Root = t.TempDir()
	sum, err := experiment.Train(context.Background(), cfg, experiment.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := rundir.Open(sum.RunDir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := setup.Prepare(cfg, setup.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return dir, p
}

// TestPredictAppliesTemperature: predict's probabilities are
// softmax(logits / T) with the T train stored in best.ckpt, its logits are
// bit-identical to the evaluation graph's on the best weights, and
// --uncalibrated (Temperature = 1) gives softmax(logits).
func TestPredictAppliesTemperature(t *testing.T) {
	dir, p := calibratedRun(t)
	c, err := model.LoadCheckpoint(dir.Join(rundir.BestCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	if c.Temperature == 1 || !(c.Temperature > 0) {
		t.Fatalf("best.ckpt has temperature %v: the fixture should be calibrated", c.Temperature)
	}
	m, _, err := p.NewModel(model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetTensors(c.Tensors); err != nil {
		t.Fatal(err)
	}
	ev, err := train.Evaluate(m, p.Splits.Test)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := Load(dir.Join(rundir.BestCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	if pr.Temperature != c.Temperature {
		t.Fatalf("predictor temperature %v, checkpoint %v", pr.Temperature, c.Temperature)
	}
	in, err := ReadSplit(dir, "test", setup.Env{})
	if err != nil {
		t.Fatal(err)
	}
	nc := len(p.Classes)
	for _, T := range []float64{c.Temperature, 1} {
		pr.Temperature = T
		preds, err := pr.Predict(in)
		if err != nil {
			t.Fatal(err)
		}
		want := calibration.Softmax(ev.Logits, nc, T)
		for i, pd := range preds {
			for k, v := range pd.Logits {
				if math.Float32bits(v) != math.Float32bits(ev.Logits[i*nc+k]) {
					t.Fatalf("T %v, example %d logit %d: predict %v, evaluation %v", T, i, k, v, ev.Logits[i*nc+k])
				}
			}
			if !slices.Equal(pd.Probabilities, want[i*nc:(i+1)*nc]) {
				t.Fatalf("T %v, example %d: probabilities %v, softmax(logits/T) %v", T, i, pd.Probabilities, want[i*nc:(i+1)*nc])
			}
			lp := train.LogSoftmax(pd.Logits)
			for k := range lp {
				if T == 1 && math.Abs(math.Exp(lp[k])-pd.Probabilities[k]) > 1e-12 {
					t.Fatalf("uncalibrated example %d: %v vs log-softmax %v", i, pd.Probabilities, lp)
				}
			}
			if pd.Predicted != train.Argmax(pd.Logits) {
				t.Fatalf("example %d: predicted %d", i, pd.Predicted)
			}
		}
	}
}

// TestMCDropoutAndRank: K passes give mean probabilities, entropy ≥ mutual
// information ≥ 0, reproducibly from the seed; ranking orders by score.
func TestMCDropoutAndRank(t *testing.T) {
	dir, p := calibratedRun(t)
	pr, err := Load(dir.Join(rundir.BestCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	in, err := ReadSplit(dir, "test", setup.Env{})
	if err != nil {
		t.Fatal(err)
	}
	run := func(seed uint64) []Prediction {
		preds, err := pr.Predict(in)
		if err != nil {
			t.Fatal(err)
		}
		if err := pr.AddMCDropout(preds, in, 10, seed); err != nil {
			t.Fatal(err)
		}
		return preds
	}
	a, b, other := run(1), run(1), run(2)
	if len(a) != p.Splits.Test.Len() {
		t.Fatalf("%d predictions", len(a))
	}
	differs := false
	for i, pd := range a {
		if !slices.Equal(pd.MCProbabilities, b[i].MCProbabilities) || *pd.MutualInformation != *b[i].MutualInformation {
			t.Fatalf("example %d: the same seed gave different MC results", i)
		}
		differs = differs || !slices.Equal(pd.MCProbabilities, other[i].MCProbabilities)
		var sum float64
		for _, v := range pd.MCProbabilities {
			sum += v
		}
		if math.Abs(sum-1) > 1e-9 || *pd.MutualInformation < 0 || *pd.MutualInformation > *pd.Entropy+1e-12 || *pd.Entropy > math.Log(2)+1e-12 {
			t.Fatalf("example %d: %+v", i, pd)
		}
	}
	if !differs {
		t.Error("seeds 1 and 2 gave the same MC probabilities")
	}
	for _, method := range calibration.Methods() {
		ranked, err := Rank(a, 2, method, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(ranked) != 5 {
			t.Fatalf("%s: %d ranked", method, len(ranked))
		}
		for r, pd := range ranked {
			if pd.Rank != r+1 || pd.Score == nil || (r > 0 && *pd.Score > *ranked[r-1].Score) {
				t.Fatalf("%s: rank %d: %+v", method, r+1, pd)
			}
		}
	}
	plain, _ := pr.Predict(in)
	if _, err := Rank(plain, 2, calibration.BALD, 5); err == nil {
		t.Error("bald without MC dropout was accepted")
	}
	if err := pr.AddMCDropout(plain, in, 1, 1); err == nil {
		t.Error("one MC pass was accepted")
	}
}
