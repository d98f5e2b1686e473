package setup

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/internal/kerneltest"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/train"
)

func TestMain(m *testing.M) { kerneltest.Main(m) }

// TestPrepare: the splits are stratified per class (digits: 1439/179/179), the
// normalization is fitted on the training split only (its mean there is 0),
// the model spec is resolved for the data's shape, and the run is named
// after the model and the data.
func TestPrepare(t *testing.T) {
	cases := []struct {
		name              string
		source, arch      string
		train, val, test  int
		wantArch, runName string
	}{
		{"digits", "digits", "", 1439, 179, 179, model.CNN, "cnn-digits"},
		{"csv", "../data/testdata/breast_cancer.csv", "", 455, 57, 57, model.MLP, "mlp-breast_cancer"},
		{"synthetic", "noise:n=300,d=8,c=3", "linear", 238, 31, 31, model.Linear, "linear-noise"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.Data.Source, cfg.Model.Arch = c.source, c.arch
			p, err := Prepare(cfg, Env{})
			if err != nil {
				t.Fatal(err)
			}
			sp := p.Splits
			if sp.Train.Len() != c.train || sp.Val.Len() != c.val || sp.Test.Len() != c.test {
				t.Errorf("splits %d/%d/%d, want %d/%d/%d", sp.Train.Len(), sp.Val.Len(), sp.Test.Len(), c.train, c.val, c.test)
			}
			if p.Config.Model.Arch != c.wantArch || p.RunName() != c.runName {
				t.Errorf("arch %q, run name %q; want %q, %q", p.Config.Model.Arch, p.RunName(), c.wantArch, c.runName)
			}
			// Fitted on the training split: each feature's mean there is 0.
			n, d := sp.Train.Len(), len(sp.Train.X)/sp.Train.Len()
			g := p.Normalization.GroupSize
			for f := 0; f < d; f += g {
				var sum float64
				for i := range n {
					for j := f; j < f+g; j++ {
						sum += float64(sp.Train.X[i*d+j])
					}
				}
				if mean := sum / float64(n*g); math.Abs(mean) > 1e-4 {
					t.Fatalf("normalized training mean of group %d is %v", f/g, mean)
				}
			}
		})
	}
}

// TestClassWeights: "balanced" gives n/(C·count) per class, which weights
// every class equally in the loss; the default is nil (equal weights).
func TestClassWeights(t *testing.T) {
	cfg := config.Default()
	cfg.Data.Source = "../data/testdata/breast_cancer.csv"
	p, err := Prepare(cfg, Env{})
	if err != nil {
		t.Fatal(err)
	}
	if w := p.ClassWeights(); w != nil {
		t.Errorf("default weights %v, want nil", w)
	}
	p.Config.Training.ClassWeights = "balanced"
	counts := p.Splits.Train.ClassCounts()
	w := p.ClassWeights()
	n := float64(p.Splits.Train.Len())
	for k, c := range counts {
		if want := n / (2 * float64(c)); math.Abs(w[k]-want) > 1e-12 || math.Abs(w[k]*float64(c)-n/2) > 1e-9 {
			t.Errorf("class %d (%d examples): weight %v, want %v", k, c, w[k], want)
		}
	}
}

// TestNewLoop: the loop carries the config's training settings and the
// model's batch, and NewModel caps the batch at the training split.
func TestNewLoop(t *testing.T) {
	cfg := config.Default()
	cfg.Data.Source, cfg.Model.Arch = "noise:n=100,d=4,c=2", "linear"
	cfg.Training.BatchSize, cfg.Training.Epochs, cfg.Training.Seed, cfg.Training.LabelSmoothing = 1000, 7, 5, 0.1
	p, err := Prepare(cfg, Env{})
	if err != nil {
		t.Fatal(err)
	}
	m, o, err := p.NewModel(model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.TrainBatch() != p.Splits.Train.Len() {
		t.Errorf("training batch %d, want the split's %d", m.TrainBatch(), p.Splits.Train.Len())
	}
	l := p.NewLoop(m, o, nil)
	if l.Epochs != 7 || l.Seed != 5 || l.LabelSmoothing != 0.1 || !l.Shuffle || l.Train != p.Splits.Train || l.Val != p.Splits.Val || l.Eval != train.EvalTrainAndVal || len(l.Hooks) != 0 {
		t.Errorf("loop %+v", l)
	}
}

func TestAutoBatchSize(t *testing.T) {
	for _, c := range []struct{ n, want int }{{0, 1}, {5, 1}, {120, 12}, {455, 45}, {1279, 127}, {1280, 128}, {1439, 128}, {54000, 128}} {
		if got := AutoBatchSize(c.n); got != c.want {
			t.Errorf("AutoBatchSize(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}

// TestSplitRules: a training split without some class is refused naming
// data.val; validation and test splits under MinEvalExamples draw a
// warning naming their key; the digits' default splits draw none, and
// their batch stays 128.
func TestSplitRules(t *testing.T) {
	dir := t.TempDir()
	five := filepath.Join(dir, "eight.csv")
	if err := os.WriteFile(five, []byte("a,b,label\n1,2,x\n2,1,y\n3,3,x\n4,1,y\n0,5,x\n1,1,x\n2,2,x\n3,1,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Data.Source, cfg.Data.Val, cfg.Data.Test = five, 0.4, 0.3
	if _, err := Prepare(cfg, Env{}); err == nil || !strings.Contains(err.Error(), "data.val 0.4 with data.test 0.3 leaves no training example of class \"y\"") {
		t.Errorf("eight rows, two of class y: %v", err)
	}
	cfg = config.Default()
	cfg.Data.Source = "../data/testdata/breast_cancer.csv"
	p, err := Prepare(cfg, Env{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings) != 0 || p.Config.Training.BatchSize != 45 {
		t.Errorf("breast cancer: warnings %q, batch %d (want none, 45)", p.Warnings, p.Config.Training.BatchSize)
	}
	cfg.Data.Source = "noise:n=100,d=4,c=2"
	if p, err = Prepare(cfg, Env{}); err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings) != 2 || !strings.Contains(p.Warnings[0], "validation split has only 10 examples (data.val 0.1)") || !strings.Contains(p.Warnings[1], "test split has only 10 examples (data.test 0.1)") {
		t.Errorf("100 rows: warnings %q", p.Warnings)
	}
	cfg.Data.Source = "digits"
	if p, err = Prepare(cfg, Env{}); err != nil || len(p.Warnings) != 0 || p.Config.Training.BatchSize != 128 {
		t.Errorf("digits: %v, warnings %q, batch %d", err, p.Warnings, p.Config.Training.BatchSize)
	}
}
