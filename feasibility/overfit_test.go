package feasibility

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/practica-ml/practica/setup"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/model"
)

// prepare resolves a config on a source, with edits.
func prepare(t *testing.T, source string, edit func(*config.Experiment)) *setup.Prepared {
	t.Helper()
	cfg := config.Default()
	cfg.Data.Source = source
	if edit != nil {
		edit(&cfg)
	}
	p, err := setup.Prepare(cfg, setup.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// handmade builds a prepared tabular experiment from arrays (an mlp with 32
// hidden units), for cases no source produces.
func handmade(t *testing.T, x []float32, dim int, y []int, classes int) *setup.Prepared {
	t.Helper()
	names := make([]string, classes)
	for i := range names {
		names[i] = string(rune('a' + i))
	}
	ds := &data.Dataset{Source: "handmade", Kind: data.Tabular, Shape: []int{dim}, X: x, Y: y, Classes: names}
	cfg := config.Default()
	cfg.Model = model.Spec{Arch: model.MLP, Hidden: []int{32}, Activation: "relu"}
	return &setup.Prepared{Config: cfg, Splits: &data.Splits{Train: ds, Val: ds, Test: ds}, Classes: names,
		Schema: model.InputSchema{Kind: data.Tabular, Shape: []int{dim}}}
}

func TestOverfitVerdicts(t *testing.T) {
	cases := []struct {
		name     string
		source   string
		edit     func(*config.Experiment)
		examples int
		steps    int
		verdict  string
		reason   []string // substrings of the reason
		check    func(t *testing.T, r *OverfitResult)
	}{
		{
			name: "digits cnn memorizes one example", source: "digits", examples: 1, verdict: Pass,
			reason: []string{"every example classified correctly", "ln 10"},
			check: func(t *testing.T, r *OverfitResult) {
				// Adam at 1e-3 memorizes one 8×8 digit in a handful of steps.
				if r.Steps < 2 || r.Steps > 30 || r.PassStep != r.Steps || r.Model != "cnn" {
					t.Errorf("steps %d, pass step %d, model %s", r.Steps, r.PassStep, r.Model)
				}
				if ratio := float64(r.InitialLossRatio); ratio < 0.9 || ratio > 1.6 {
					t.Errorf("initial loss ratio %v, want near 1", ratio)
				}
				if float64(r.Threshold) != math.Max(0.01, 0.01*float64(r.InitialLoss)) || float64(r.FinalLoss) >= float64(r.Threshold) {
					t.Errorf("threshold %v, final %v", r.Threshold, r.FinalLoss)
				}
				if len(r.LossCurve) != r.Steps+1 || r.LossCurve[0] != r.InitialLoss || r.Accuracy != 1 {
					t.Errorf("curve of %d points, accuracy %v", len(r.LossCurve), r.Accuracy)
				}
			},
		},
		{
			name: "digits mlp memorizes 16 and needs its inputs", source: "digits", examples: 16, verdict: Pass,
			edit:   func(c *config.Experiment) { c.Model.Arch = "mlp" },
			reason: []string{"with the inputs zeroed the loss only reaches"},
			check: func(t *testing.T, r *OverfitResult) {
				z := r.ZeroInput
				// 16 examples round-robin over 10 classes: six classes twice,
				// four once; entropy 0.75 ln 8 + 0.25 ln 16.
				want := 0.75*math.Log(8) + 0.25*math.Log(16)
				if !near(z.LabelEntropy, want, 1e-12) {
					t.Errorf("label entropy %v, want %v", z.LabelEntropy, want)
				}
				// The zero-input model can only learn the label frequencies: it
				// never goes below that floor, and gets near it. With zeroed inputs
				// and zero biases every hidden unit sits at exactly 0, where ReLU's
				// gradient is 0 (PyTorch's convention), so only the output bias
				// learns and 300 steps may end a few thousandths above the floor.
				if l := float64(z.FinalLoss); l < want || l >= want+0.01 || z.AtFloor != (l < want+floorTolerance) || !z.ClearlyWorse {
					t.Errorf("zero-input final loss %v after %d steps (at floor %v), clearly worse %v", z.FinalLoss, z.Steps, z.AtFloor, z.ClearlyWorse)
				}
				if float64(z.LossRatio) < 50 || float64(z.LossGap) < 2 {
					t.Errorf("ratio %v gap %v", z.LossRatio, z.LossGap)
				}
			},
		},
		{
			name: "a learning rate of 1e-9 cannot learn", source: "digits", examples: 1, steps: 60, verdict: Fail,
			edit:   func(c *config.Experiment) { c.Optimizer.LR = 1e-9 },
			reason: []string{"the loss did not move", "the learning rate (1e-09) may be far too low", "ln 10"},
			check: func(t *testing.T, r *OverfitResult) {
				if r.Steps != 60 || r.PassStep != 0 || math.Abs(float64(r.FinalLoss-r.InitialLoss)) > 1e-3 {
					t.Errorf("steps %d, initial %v, final %v", r.Steps, r.InitialLoss, r.FinalLoss)
				}
			},
		},
		{
			name: "a huge learning rate diverges", source: "noise:n=200,d=8,c=3", examples: 4, steps: 50, verdict: Fail,
			edit: func(c *config.Experiment) {
				c.Optimizer.Name, c.Optimizer.LR = "sgd", 1e30
			},
			reason: []string{"at step 1", "training diverged", "try a lower --lr (now 1e+30)"},
			check: func(t *testing.T, r *OverfitResult) {
				if r.NonFiniteStep < 1 || r.NonFiniteStep > 5 {
					t.Errorf("non-finite step %d", r.NonFiniteStep)
				}
				if _, err := json.Marshal(r); err != nil {
					t.Errorf("a NaN loss must still encode: %v", err)
				}
			},
		},
		{
			name: "too little time: still falling", source: "noise:n=200,d=8,c=3", examples: 32, steps: 5, verdict: Fail,
			edit:   func(c *config.Experiment) { c.Optimizer.LR = 3e-3 },
			reason: []string{"after 5 steps", "still falling", "--overfit-steps"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := prepare(t, c.source, c.edit)
			r, err := overfit(context.Background(), p, overfitConfig{Examples: c.examples, Steps: c.steps, Baseline: c.examples > 1})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %s", r.Verdict, r.Reason)
			if r.Verdict != c.verdict {
				t.Fatalf("verdict %s, want %s", r.Verdict, c.verdict)
			}
			for _, s := range c.reason {
				if !strings.Contains(r.Reason, s) {
					t.Errorf("reason lacks %q", s)
				}
			}
			if c.check != nil {
				c.check(t, r)
			}
		})
	}
}

// TestOverfitFlagsAModelThatNeedsNoInputs: when the batch has one label,
// zeroed inputs fit it as well as real ones, and overfit-batch says so.
func TestOverfitFlagsAModelThatNeedsNoInputs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	x := make([]float32, 40*4)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	y := make([]int, 40) // every training label is class a; b exists but is absent
	p := handmade(t, x, 4, y, 2)
	p.Config.Optimizer.LR = 0.01
	r, err := overfit(context.Background(), p, overfitConfig{Examples: 8, Baseline: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %s", r.Verdict, r.Reason)
	if r.Verdict != Fail || !strings.Contains(r.Reason, "does as well without its inputs") || r.ZeroInput.ClearlyWorse || r.ZeroInput.LabelEntropy != 0 {
		t.Fatalf("verdict %s, zero input %+v", r.Verdict, r.ZeroInput)
	}
}

// TestOverfitWarnsOfAFarInitialLoss: raw inputs in the thousands give
// logits far from zero and a mean initial loss far from ln C.
func TestOverfitWarnsOfAFarInitialLoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	x := make([]float32, 30*6)
	for i := range x {
		x[i] = float32(1000 * rng.NormFloat64())
	}
	y := make([]int, 30)
	for i := range y {
		y[i] = i % 3
	}
	p := handmade(t, x, 6, y, 3)
	// Several examples: one alone may be right by a huge margin (loss 0).
	r, err := overfit(context.Background(), p, overfitConfig{Examples: 6, Steps: 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %s; %v", r.Verdict, r.Reason, r.Warnings)
	all := r.Reason + strings.Join(r.Warnings, " ")
	if float64(r.InitialLossRatio) < initRatioHigh || !strings.Contains(all, "bad initialization") || !strings.Contains(all, "outside [0.5, 2.0]× ln C") {
		t.Fatalf("ratio %v; reason and warnings: %s", r.InitialLossRatio, all)
	}
}

func TestOverfitIsDeterministic(t *testing.T) {
	p := prepare(t, "noise:n=300,d=16,c=4", nil)
	a, err := overfit(context.Background(), p, overfitConfig{Examples: 8, Steps: 40})
	if err != nil {
		t.Fatal(err)
	}
	b, err := overfit(context.Background(), p, overfitConfig{Examples: 8, Steps: 40})
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatalf("two runs differ:\n%s\n%s", ja, jb)
	}
}

func TestOverfitRejectsBadSizes(t *testing.T) {
	p := prepare(t, "noise:n=50,d=4,c=2", nil)
	for _, n := range []int{0, -1, p.Splits.Train.Len() + 1} {
		if _, err := overfit(context.Background(), p, overfitConfig{Examples: n}); err == nil {
			t.Errorf("%d examples: no error", n)
		}
	}
}

func TestPickExamples(t *testing.T) {
	labels := []int{0, 0, 0, 0, 1, 1, 2, 0, 0, 1}
	got := pickExamples(labels, 3, 5, 1)
	counts := make([]int, 3)
	for _, i := range got {
		counts[labels[i]]++
	}
	// Round-robin: one of each class first, then a second of two classes.
	if len(got) != 5 || counts[2] != 1 || counts[0] != 2 || counts[1] != 2 {
		t.Fatalf("picked %v (classes %v), want 2-2-1 over the three classes", got, counts)
	}
	if !slices.Equal(got, pickExamples(labels, 3, 5, 1)) {
		t.Fatal("not deterministic")
	}
	if one := pickExamples(labels, 3, 1, 1); one[0] != got[0] {
		t.Fatalf("overfit-one picks %v, the batch starts with %v", one, got[0])
	}
}
