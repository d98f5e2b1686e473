package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLogitsAnyBatch: an example's logits are the same bits whether it is
// evaluated alone (the graph of 1), with others (the graphs of 2 to 128)
// or in a full evaluation batch, for every architecture, with and
// without batch norm: a served answer does not depend on what it was
// batched with, nor on the graph its batch ran through.
func TestLogitsAnyBatch(t *testing.T) {
	cases := []struct {
		name  string
		spec  Spec
		shape []int
	}{
		{"linear", Spec{Arch: Linear, Activation: "relu"}, []int{12}},
		{"mlp", Spec{Arch: MLP, Hidden: []int{16, 8}, Activation: "relu"}, []int{12}},
		{"mlp batch norm tanh", Spec{Arch: MLP, Hidden: []int{16}, Activation: "tanh", BatchNorm: true}, []int{12}},
		{"cnn", Spec{Arch: CNN, Channels: []int{4, 8}, Hidden: []int{16}, Activation: "relu"}, []int{1, 8, 8}},
		{"cnn batch norm rgb", Spec{Arch: CNN, Channels: []int{4}, Hidden: []int{8}, Activation: "relu", BatchNorm: true}, []int{3, 8, 8}},
	}
	const n, classes = 200, 5
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := New(c.spec, c.shape, classes, Options{TrainBatch: 8, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			s := size(c.shape)
			rng := rand.New(rand.NewPCG(7, 8))
			x := make([]float32, n*s)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			all := make([]float32, n*classes)
			if err := m.Logits(x, all); err != nil {
				t.Fatal(err)
			}
			if m.fastEval != nil {
				// The direct executor's logits are the graphs' bits; the
				// groups below then go through the graphs.
				direct := append([]float32(nil), all...)
				m.fastEval = nil
				if err := m.Logits(x, all); err != nil {
					t.Fatal(err)
				}
				for i, v := range direct {
					if math.Float32bits(v) != math.Float32bits(all[i]) {
						t.Fatalf("direct executor: logit %d is %v, the evaluation graph's %v", i, v, all[i])
					}
				}
			}
			for _, group := range []int{1, 2, 3, 8, 10, 20, 50, 64, 65, 129} {
				for start := 0; start < n; start += group {
					k := min(group, n-start)
					got := make([]float32, k*classes)
					if err := m.Logits(x[start*s:(start+k)*s], got); err != nil {
						t.Fatal(err)
					}
					for i, v := range got {
						if want := all[start*classes+i]; math.Float32bits(v) != math.Float32bits(want) {
							t.Fatalf("groups of %d: example %d, logit %d is %v, %v in one batch of %d", group, start+i/classes, i%classes, v, want, n)
						}
					}
				}
			}
			if m.fastEval == nil && len(m.small) != len(smallEvalBatches()) {
				t.Errorf("%d small graphs built, want the %d of %v", len(m.small), len(smallEvalBatches()), smallEvalBatches())
			}
		})
	}
}
