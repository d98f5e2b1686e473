package train

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/model"
)

// BenchmarkEpoch runs whole epochs of the MLP 784-256-128-10 through the
// Loop on random Fashion-MNIST-sized data (54,000 training and 6,000
// validation images of 1x28x28, 10 classes; batch 128, Adam, the default
// evaluation of 1,000 training and the validation images), and reports
// the epoch's time over its steps' (the loop's StepSeconds) next to
// ms/step: what an epoch costs beyond its optimizer steps. Profile it with
//
//	go test ./train -run '^$' -bench Epoch -benchtime 3x -cpuprofile cpu.out
func BenchmarkEpoch(b *testing.B) {
	const train, val, classes, batch = 54000, 6000, 10, 128
	shape := []int{1, 28, 28}
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) *data.Dataset {
		d := &data.Dataset{Kind: data.Image, Shape: shape, X: make([]float32, n*28*28), Y: make([]int, n)}
		for i := range d.X {
			d.X[i] = float32(rng.NormFloat64())
		}
		for i := range d.Y {
			d.Y[i] = rng.IntN(classes)
		}
		for c := range classes {
			d.Classes = append(d.Classes, string(rune('a'+c)))
		}
		return d
	}
	tr, va := random(train), random(val)
	spec := model.Spec{Arch: model.MLP, Hidden: []int{256, 128}, Activation: "relu"}
	m, err := model.New(spec, shape, classes, model.Options{TrainBatch: batch, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	var sizes []int
	for _, p := range m.Learnables() {
		sizes = append(sizes, len(p.Float32s()))
	}
	opt, err := NewOptimizer(adamConfig(1e-3), sizes)
	if err != nil {
		b.Fatal(err)
	}
	l := &Loop{Model: m, Optimizer: opt, Train: tr, Val: va, BatchSize: batch, Seed: 1, Shuffle: true}
	var epochs, steps float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.Epochs = len(l.History) + 1
		res, err := l.Run(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		l.History, l.Step = res.History, res.Steps
		e := res.History[len(res.History)-1]
		epochs += e.Seconds
		steps += e.StepSeconds
	}
	b.ReportMetric(epochs/steps, "epoch/steps")
	b.ReportMetric(steps*1000/float64(b.N)/float64((train+batch-1)/batch), "ms/step")
}
