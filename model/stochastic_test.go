package model

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestStochasticLogits: MC dropout passes are seeded, independent of how
// examples are batched, average to the eval-mode logits (one dropout layer
// before the linear output), leave the training graph's gradients alone,
// and need a dropout layer.
func TestStochasticLogits(t *testing.T) {
	const n, d, c = 300, 6, 3
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, n*d)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	for _, spec := range []Spec{
		{Arch: MLP, Hidden: []int{16}, Activation: "relu", Dropout: 0.3},
		{Arch: CNN, Channels: []int{2}, Hidden: []int{8}, Activation: "relu", Dropout: 0.5, BatchNorm: true},
	} {
		shape := []int{d}
		xs := x
		if spec.Arch == CNN {
			shape = []int{1, 4, 4}
			xs = make([]float32, n*16)
			for i := range xs {
				xs[i] = float32(rng.NormFloat64())
			}
		}
		m, err := New(spec, shape, c, Options{TrainBatch: 8, EvalBatch: 64, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		// A training step leaves gradients behind; MC passes must not touch them.
		targets := make([]float32, 8*c)
		for i := range 8 {
			targets[i*c+i%c] = 1.0 / 8
		}
		if _, err := m.TrainStep(xs[:8*len(xs)/n], targets, 8, rand.New(rand.NewPCG(4, 4))); err != nil {
			t.Fatal(err)
		}
		grads, err := m.Grads()
		if err != nil {
			t.Fatal(err)
		}
		before := make([][]float32, len(grads))
		for i, g := range grads {
			before[i] = slices.Clone(g)
		}
		weights := m.Tensors()

		a := make([]float32, n*c)
		b := make([]float32, n*c)
		if err := m.StochasticLogits(xs, rand.New(rand.NewPCG(9, 9)), a); err != nil {
			t.Fatal(err)
		}
		if err := m.StochasticLogits(xs, rand.New(rand.NewPCG(9, 9)), b); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a, b) {
			t.Fatalf("%s: the same seed gave different passes", spec.Arch)
		}
		// The first 10 examples alone get the same masks as at the head of all n.
		head := make([]float32, 10*c)
		if err := m.StochasticLogits(xs[:10*len(xs)/n], rand.New(rand.NewPCG(9, 9)), head); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(head, a[:10*c]) {
			t.Fatalf("%s: masks depend on the batching", spec.Arch)
		}
		if err := m.StochasticLogits(xs, rand.New(rand.NewPCG(10, 9)), b); err != nil {
			t.Fatal(err)
		}
		if slices.Equal(a, b) {
			t.Fatalf("%s: different seeds gave the same pass", spec.Arch)
		}
		eval := make([]float32, n*c)
		if err := m.Logits(xs, eval); err != nil {
			t.Fatal(err)
		}
		if slices.Equal(a, eval) {
			t.Fatalf("%s: dropout changed nothing", spec.Arch)
		}
		// Inverted dropout before the linear output layer: the mean of
		// many passes is the eval-mode logit, within 5 standard errors.
		const passes = 400
		mean, sq := make([]float64, n*c), make([]float64, n*c)
		prng := rand.New(rand.NewPCG(11, 11))
		for range passes {
			if err := m.StochasticLogits(xs, prng, b); err != nil {
				t.Fatal(err)
			}
			for i, v := range b {
				mean[i] += float64(v) / passes
				sq[i] += float64(v) * float64(v) / passes
			}
		}
		var worst float64
		for i := range mean {
			se := math.Sqrt(math.Max(sq[i]-mean[i]*mean[i], 0) / passes)
			worst = math.Max(worst, math.Abs(mean[i]-float64(eval[i]))/(se+1e-6))
		}
		if worst > 5 {
			t.Errorf("%s: the mean of %d passes is %.1f standard errors from an eval logit", spec.Arch, passes, worst)
		}
		grads, _ = m.Grads()
		for i := range grads {
			if !slices.Equal(grads[i], before[i]) {
				t.Fatalf("%s: gradient %d changed", spec.Arch, i)
			}
		}
		for i, w := range m.Tensors() {
			if !slices.Equal(w.Data, weights[i].Data) {
				t.Fatalf("%s: tensor %s changed", spec.Arch, w.Name)
			}
		}
	}
	m, err := New(Spec{Arch: MLP, Hidden: []int{4}, Activation: "relu"}, []int{d}, c, Options{TrainBatch: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.StochasticLogits(x[:d], rand.New(rand.NewPCG(1, 1)), make([]float32, c)); err == nil {
		t.Error("a model without dropout ran MC dropout")
	}
}
