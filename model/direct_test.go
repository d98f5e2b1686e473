package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDirectMatchesGraph: the direct executor gives the training graph's
// loss and gradients bit for bit, step after step, on every model it
// runs: dense layers with and without bias, relu after a dense layer or
// standing alone, dropout, a flattened image input, a partial (padded)
// batch, smoothed targets, and tied logits (zero weights), where the
// gradient of the row maximum goes to every tied place.
func TestDirectMatchesGraph(t *testing.T) {
	no := false
	cases := []struct {
		name  string
		spec  Spec
		shape []int
		n     int  // examples in the batch of 16
		zero  bool // all weights zero: every logit of a row tied
	}{
		{"linear", Spec{Arch: Linear, Activation: "relu"}, []int{12}, 16, false},
		{"mlp relu", Spec{Arch: MLP, Hidden: []int{32, 16}, Activation: "relu"}, []int{20}, 16, false},
		{"mlp relu dropout", Spec{Arch: MLP, Hidden: []int{32, 16}, Activation: "relu", Dropout: 0.3}, []int{20}, 16, false},
		{"mlp partial batch", Spec{Arch: MLP, Hidden: []int{24}, Activation: "relu"}, []int{20}, 11, false},
		{"tied logits", Spec{Arch: MLP, Hidden: []int{8}, Activation: "relu"}, []int{6}, 16, true},
		{"layer list", Spec{Arch: Custom, Layers: []Layer{
			{Type: Flatten},
			{Type: Dense, Units: 24, Bias: &no},
			{Type: Dropout, P: 0.5},
			{Type: ReLU},
			{Type: Dense, Units: 16},
			{Type: ReLU},
			{Type: ReLU},
			{Type: Dense, Units: 5},
		}}, []int{1, 4, 5}, 16, false},
	}
	cases = append(cases, []struct {
		name  string
		spec  Spec
		shape []int
		n     int
		zero  bool
	}{
		{"cnn", Spec{Arch: CNN, Channels: []int{4, 6}, Hidden: []int{8}, Activation: "relu"}, []int{1, 8, 8}, 16, false},
		{"cnn dropout rgb partial", Spec{Arch: CNN, Channels: []int{5}, Hidden: []int{8}, Activation: "relu", Dropout: 0.25}, []int{3, 6, 6}, 9, false},
		{"conv layer list", Spec{Arch: Custom, Layers: []Layer{
			{Type: Conv2D, Filters: 4, Kernel: 3, Stride: 1, Padding: "same", Bias: &no},
			{Type: ReLU},
			{Type: Conv2D, Filters: 3, Kernel: 3, Stride: 1, Padding: "same"},
			{Type: MaxPool, Size: 2, Stride: 2},
			{Type: ReLU},
			{Type: MaxPool, Size: 2, Stride: 2},
			{Type: Flatten},
			{Type: Dense, Units: 6},
			{Type: ReLU},
		}}, []int{2, 7, 9}, 16, false},
	}...)
	const classes, batch = 5, 16
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			direct, err := New(c.spec, c.shape, classes, Options{TrainBatch: batch, Seed: 5})
			if err != nil {
				t.Fatal(err)
			}
			graph, err := New(c.spec, c.shape, classes, Options{TrainBatch: batch, Seed: 5})
			if err != nil {
				t.Fatal(err)
			}
			if direct.fast == nil {
				t.Fatal("the direct executor does not run this model")
			}
			graph.fast = nil
			if c.zero {
				for _, m := range []*Model{direct, graph} {
					for _, p := range m.Learnables() {
						clear(p.Float32s())
					}
				}
			}
			s := size(c.shape)
			data := rand.New(rand.NewPCG(1, 2))
			rd, rg := rand.New(rand.NewPCG(3, 4)), rand.New(rand.NewPCG(3, 4))
			for stepNo := 0; stepNo < 4; stepNo++ {
				x := make([]float32, c.n*s)
				for i := range x {
					x[i] = float32(data.NormFloat64())
				}
				targets := make([]float32, c.n*classes)
				for i := 0; i < c.n; i++ {
					for j := 0; j < classes; j++ {
						targets[i*classes+j] = 0.02 / float32(c.n) // smoothed
					}
					targets[i*classes+data.IntN(classes)] += 0.9 / float32(c.n)
				}
				ld, err := direct.TrainStep(x, targets, c.n, rd)
				if err != nil {
					t.Fatal(err)
				}
				lg, err := graph.TrainStep(x, targets, c.n, rg)
				if err != nil {
					t.Fatal(err)
				}
				if math.Float64bits(ld) != math.Float64bits(lg) {
					t.Fatalf("step %d: loss %v, the graph's %v", stepNo, ld, lg)
				}
				gd, err := direct.Grads()
				if err != nil {
					t.Fatal(err)
				}
				gg, err := graph.Grads()
				if err != nil {
					t.Fatal(err)
				}
				nonzero := 0
				for k, p := range direct.Learnables() {
					for i, v := range gd[k] {
						if math.Float32bits(v) != math.Float32bits(gg[k][i]) {
							t.Fatalf("step %d: gradient of %s[%d] is %v, the graph's %v", stepNo, p.Name, i, v, gg[k][i])
						}
						if v != 0 {
							nonzero++
						}
					}
					// a plain gradient step on both, so that later steps
					// run on weights the earlier ones changed
					for _, m := range []*Model{direct, graph} {
						w := m.Learnables()[k].Float32s()
						for i := range w {
							w[i] -= 0.5 * gd[k][i]
						}
					}
				}
				if nonzero == 0 {
					t.Fatalf("step %d: every gradient is zero", stepNo)
				}
			}
		})
	}
}

// TestDirectOnlyWhereItRuns: models with a layer the direct executor does
// not know stay on gorgonia's machine.
func TestDirectOnlyWhereItRuns(t *testing.T) {
	cases := []struct {
		name  string
		spec  Spec
		shape []int
		want  bool
	}{
		{"mlp relu", Spec{Arch: MLP, Hidden: []int{8}, Activation: "relu"}, []int{6}, true},
		{"mlp tanh", Spec{Arch: MLP, Hidden: []int{8}, Activation: "tanh"}, []int{6}, false},
		{"batch norm", Spec{Arch: Custom, Layers: []Layer{{Type: Dense, Units: 8}, {Type: BatchNorm}, {Type: ReLU}}}, []int{6}, false},
		{"cnn", Spec{Arch: CNN, Channels: []int{4}, Hidden: []int{8}, Activation: "relu"}, []int{1, 8, 8}, true},
		{"strided conv", Spec{Arch: Custom, Layers: []Layer{{Type: Conv2D, Filters: 4, Kernel: 3, Stride: 2, Padding: "same"}}}, []int{1, 8, 8}, false},
		{"3x3 max-pool", Spec{Arch: Custom, Layers: []Layer{{Type: Conv2D, Filters: 4, Kernel: 3, Stride: 1, Padding: "same"}, {Type: MaxPool, Size: 3, Stride: 3}}}, []int{1, 9, 9}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := New(c.spec, c.shape, 3, Options{TrainBatch: 4, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			if got := m.fast != nil; got != c.want {
				t.Errorf("direct executor: %v, want %v", got, c.want)
			}
			m64, err := New(c.spec, c.shape, 3, Options{TrainBatch: 4, Seed: 1, Float64: true})
			if err != nil {
				t.Fatal(err)
			}
			if m64.fast != nil {
				t.Error("a float64 model runs on the direct executor")
			}
		})
	}
}
