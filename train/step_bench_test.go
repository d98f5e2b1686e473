package train

import (
	"math/rand/v2"
	"testing"

	"github.com/practica-ml/practica/model"
)

// BenchmarkStep times one training step (forward, backward, Adam) of the
// Fashion-MNIST models that bench/compare.sh times against PyTorch, at batch 128 on random inputs, and
// reports the heap allocations per step (allocs/op, B/op) next to ms/step.
//
//	go test ./train -run '^$' -bench Step -benchmem
func BenchmarkStep(b *testing.B) {
	cases := []struct {
		name string
		spec model.Spec
	}{
		{"mlp-784-256-128-10", model.Spec{Arch: model.MLP, Hidden: []int{256, 128}, Activation: "relu"}},
		{"cnn-32-64-128-10", model.Spec{Arch: model.CNN, Channels: []int{32, 64}, Hidden: []int{128}, Activation: "relu"}},
	}
	const batch, classes = 128, 10
	shape := []int{1, 28, 28}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			m, err := model.New(c.spec, shape, classes, model.Options{TrainBatch: batch, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			var params [][]float32
			var sizes []int
			for _, p := range m.Learnables() {
				params = append(params, p.Float32s())
				sizes = append(sizes, len(p.Float32s()))
			}
			opt, err := NewOptimizer(OptimizerConfig{Name: "adam", LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, sizes)
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			x := make([]float32, batch*28*28)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			targets := make([]float32, batch*classes)
			for i := 0; i < batch; i++ {
				targets[i*classes+rng.IntN(classes)] = 1.0 / batch
			}
			step := func() {
				if _, err := m.TrainStep(x, targets, batch, rng); err != nil {
					b.Fatal(err)
				}
				grads, err := m.Grads()
				if err != nil {
					b.Fatal(err)
				}
				opt.Step(params, grads)
			}
			step() // first run lays out buffers
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				step()
			}
			b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/step")
		})
	}
}
