package explain

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/practica-ml/practica/model"
)

// dependsOn0And3 is n examples of 6 standard gaussian features whose label
// is 1 when x0 + x3 > 0: only features 0 and 3 matter.
func dependsOn0And3(n int, seed uint64) (x []float32, y []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	const d = 6
	x = make([]float32, n*d)
	y = make([]int, n)
	for i := range n {
		for j := range d {
			x[i*d+j] = float32(rng.NormFloat64())
		}
		if x[i*d]+x[i*d+3] > 0 {
			y[i] = 1
		}
	}
	return x, y
}

// fit trains m by plain full-batch gradient descent on the mean
// cross-entropy, enough for these small problems.
func fit(t *testing.T, m *model.Model, x []float32, y []int, steps int, lr float32) {
	t.Helper()
	n, c := len(y), m.Classes
	s := len(x) / n
	batch := m.TrainBatch()
	rng := rand.New(rand.NewPCG(9, 9))
	targets := make([]float32, batch*c)
	for step := range steps {
		start := (step * batch) % n
		k := min(batch, n-start)
		clear(targets)
		for i := range k {
			targets[i*c+y[start+i]] = 1 / float32(k)
		}
		if _, err := m.TrainStep(x[start*s:(start+k)*s], targets[:k*c], k, rng); err != nil {
			t.Fatal(err)
		}
		grads, err := m.Grads()
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range m.Learnables() {
			w := p.Float32s()
			for j, g := range grads[i] {
				w[j] -= lr * g
			}
		}
	}
}

func logitsOf(m *model.Model) LogitsFunc {
	return func(x []float32) ([]float32, error) {
		out := make([]float32, len(x)/inputSize(m.InputShape)*m.Classes)
		return out, m.Logits(x, out)
	}
}

// TestFeaturesThatMatterComeFirst: labels that depend on features 0 and 3
// only put those two on top of the permutation importance and of the mean
// |attribution|, and the other four change nothing.
func TestFeaturesThatMatterComeFirst(t *testing.T) {
	x, y := dependsOn0And3(400, 1)
	names := []string{"f0", "f1", "f2", "f3", "f4", "f5"}
	for _, spec := range []model.Spec{
		{Arch: model.Linear, Activation: "relu"},
		{Arch: model.MLP, Hidden: []int{16}, Activation: "relu"},
	} {
		t.Run(spec.Arch, func(t *testing.T) {
			m, err := model.New(spec, []int{6}, 2, model.Options{TrainBatch: 100, Seed: 2, NoDropout: true})
			if err != nil {
				t.Fatal(err)
			}
			fit(t, m, x, y, 400, 0.5)
			imp, err := Permutation(logitsOf(m), x, y, PermutationOptions{Names: names, Classes: 2, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			if imp.Accuracy < 0.95 {
				t.Fatalf("the model learnt too little to be explained: accuracy %.3f", imp.Accuracy)
			}
			top := []string{imp.Features[0].Feature, imp.Features[1].Feature}
			slices.Sort(top)
			if !slices.Equal(top, []string{"f0", "f3"}) {
				t.Errorf("top features by permutation %v, want f0 and f3: %+v", top, imp.Features)
			}
			for _, f := range imp.Features[:2] {
				if f.AccuracyDropMean < 0.2 || f.NLLRiseMean < 0.2 {
					t.Errorf("%s: shuffling it drops accuracy by %.3f and raises the NLL by %.3f, want both > 0.2", f.Feature, f.AccuracyDropMean, f.NLLRiseMean)
				}
			}
			for _, f := range imp.Features[2:] {
				if math.Abs(f.AccuracyDropMean) > 0.03 {
					t.Errorf("%s: shuffling it drops accuracy by %.3f, want about 0", f.Feature, f.AccuracyDropMean)
				}
			}
			t.Logf("accuracy %.3f; %s drop %.3f±%.3f, %s drop %.3f±%.3f, then %s %.3f", imp.Accuracy,
				imp.Features[0].Feature, imp.Features[0].AccuracyDropMean, imp.Features[0].AccuracyDropStd,
				imp.Features[1].Feature, imp.Features[1].AccuracyDropMean, imp.Features[1].AccuracyDropStd,
				imp.Features[2].Feature, imp.Features[2].AccuracyDropMean)

			ig, err := NewIntegratedGradients(m, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer ig.Close()
			meanAbs := make([]float64, 6)
			baseline := make([]float32, 6)
			for i := range 100 {
				a, err := ig.Explain(x[i*6:(i+1)*6], baseline)
				if err != nil {
					t.Fatal(err)
				}
				for j, v := range a.Values {
					meanAbs[j] += math.Abs(float64(v)) / 100
				}
			}
			order := []int{0, 1, 2, 3, 4, 5}
			slices.SortFunc(order, func(a, b int) int { return -cmpFloat(meanAbs[a], meanAbs[b]) })
			top2 := []int{order[0], order[1]}
			slices.Sort(top2)
			if !slices.Equal(top2, []int{0, 3}) {
				t.Errorf("top features by mean |attribution| %v, want 0 and 3: %.3f", top2, meanAbs)
			}
			t.Logf("mean |attribution| per feature: %.3f", meanAbs)
		})
	}
}

func inputSize(shape []int) int {
	s := 1
	for _, d := range shape {
		s *= d
	}
	return s
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestCompleteness: on every architecture, the attributions sum to the
// predicted class's f(x) − f(baseline) within 1%.
func TestCompleteness(t *testing.T) {
	cases := []struct {
		name  string
		spec  model.Spec
		shape []int
	}{
		{"linear", model.Spec{Arch: model.Linear, Activation: "relu"}, []int{6}},
		{"mlp relu", model.Spec{Arch: model.MLP, Hidden: []int{32, 16}, Activation: "relu"}, []int{6}},
		{"mlp tanh", model.Spec{Arch: model.MLP, Hidden: []int{32}, Activation: "tanh"}, []int{6}},
		{"cnn relu", model.Spec{Arch: model.CNN, Channels: []int{4, 8}, Hidden: []int{16}, Activation: "relu"}, []int{1, 8, 8}},
		{"cnn batch norm relu", model.Spec{Arch: model.CNN, Channels: []int{4}, Hidden: []int{16}, Activation: "relu", BatchNorm: true}, []int{1, 8, 8}},
		{"cnn batch norm tanh", model.Spec{Arch: model.CNN, Channels: []int{4, 4}, Hidden: []int{16}, Activation: "tanh", BatchNorm: true}, []int{3, 8, 8}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			const classes, n = 3, 200
			s := inputSize(tc.shape)
			m, err := model.New(tc.spec, tc.shape, classes, model.Options{TrainBatch: 50, Seed: 4, NoDropout: true})
			if err != nil {
				t.Fatal(err)
			}
			// A few steps of training on inputs whose label is the sign
			// pattern of their first values moves batch-norm statistics
			// and weights away from their initial values.
			rng := rand.New(rand.NewPCG(5, 5))
			x := make([]float32, n*s)
			y := make([]int, n)
			for i := range n {
				for j := range s {
					x[i*s+j] = float32(rng.NormFloat64())
				}
				y[i] = int(math.Abs(float64(x[i*s]+x[i*s+1]))*2) % classes
			}
			fit(t, m, x, y, 20, 0.1)
			ig, err := NewIntegratedGradients(m, DefaultSteps)
			if err != nil {
				t.Fatal(err)
			}
			defer ig.Close()
			baseline := make([]float32, s)
			worst, refined := 0.0, 0
			for i := range 10 {
				a, err := ig.Explain(x[i*s:(i+1)*s], baseline)
				if err != nil {
					t.Fatal(err)
				}
				e := a.CompletenessError()
				worst = math.Max(worst, e)
				if a.Steps > DefaultSteps {
					refined++
				}
				if e > 0.01 {
					t.Errorf("example %d, class %d: attributions sum to %.5f, f(x) − f(baseline) = %.5f (%.2f%% off)", i, a.Class, a.Sum, a.Delta, 100*e)
				}
				if len(a.Values) != s {
					t.Fatalf("%d attributions for %d inputs", len(a.Values), s)
				}
			}
			t.Logf("largest completeness error over 10 examples: %.3f%%; %d needed more than %d steps", 100*worst, refined, DefaultSteps)
		})
	}
}

// TestBadInput: mismatched sizes and settings are errors, not panics.
func TestBadInput(t *testing.T) {
	m, err := model.New(model.Spec{Arch: model.Linear, Activation: "relu"}, []int{3}, 2, model.Options{TrainBatch: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewIntegratedGradients(m, -1); err == nil {
		t.Error("-1 steps: no error")
	}
	ig, err := NewIntegratedGradients(m, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer ig.Close()
	if _, err := ig.Explain([]float32{1, 2}, []float32{0, 0, 0}); err == nil {
		t.Error("example of 2 values for a baseline of 3: no error")
	}
	x := []float32{1, 2, 3, 4, 5, 6}
	for name, opt := range map[string]PermutationOptions{
		"no names":    {Classes: 2},
		"wrong width": {Names: []string{"a", "b"}, Classes: 2},
		"one class":   {Names: []string{"a", "b", "c"}, Classes: 1},
		"repeats":     {Names: []string{"a", "b", "c"}, Classes: 2, Repeats: -1},
	} {
		if _, err := Permutation(logitsOf(m), x, []int{0, 1}, opt); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
