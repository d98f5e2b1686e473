package model

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// latencyModels are the two models bench/infer.sh times against PyTorch's
// torch.no_grad() forward (bench/torch_infer.py builds the same layers):
// the cnn that `train` builds with no arguments on the 8×8 digits, and the
// mlp of `train --data fashion-mnist --model mlp`. Each spec goes through
// WithDefaults as the commands' configs do, so the presets expand to the
// layer lists those runs' checkpoints hold.
func latencyModels() []struct {
	name  string
	spec  Spec
	shape []int
} {
	return []struct {
		name  string
		spec  Spec
		shape []int
	}{
		{"digits-cnn", Spec{Arch: CNN}.WithDefaults([]int{1, 8, 8}), []int{1, 8, 8}},
		{"fashion-mlp", Spec{Arch: MLP}.WithDefaults([]int{1, 28, 28}), []int{1, 28, 28}},
	}
}

// BenchmarkLatency times Logits, the call every served request ends in,
// on 1 example (a request's latency) and on 64 (throughput), with the
// model built as inference builds a checkpoint's (training batch 1, no
// dropout, the default evaluation batch). Weights are random: the time
// does not depend on them. -test.cpu 1,2 sets GOMAXPROCS; the multiply
// then uses one goroutine, but the convolution and the elementwise ops
// split a large enough batch in two goroutines whatever GOMAXPROCS is
// (at GOMAXPROCS 1 they take turns on the one thread).
//
//	go test ./model -run '^$' -bench Latency -cpu 1,2
func BenchmarkLatency(b *testing.B) {
	const classes = 10
	for _, lm := range latencyModels() {
		for _, n := range []int{1, 64} {
			b.Run(lm.name+"/batch-"+strconv.Itoa(n), func(b *testing.B) {
				m, err := New(lm.spec, lm.shape, classes, Options{TrainBatch: 1, NoDropout: true, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(1, 2))
				x := make([]float32, n*size(lm.shape))
				for i := range x {
					x[i] = float32(rng.NormFloat64())
				}
				out := make([]float32, n*classes)
				// The first call builds the small evaluation graph of
				// this batch; a server pays that once per model.
				if err := m.Logits(x, out); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				calls := 0
				for b.Loop() {
					if err := m.Logits(x, out); err != nil {
						b.Fatal(err)
					}
					calls++
				}
				reportLatency(b, b.Elapsed(), calls, n)
			})
		}
	}
}

// reportLatency reports the time per example (µs), per call of n examples
// (ms) and the examples per second.
func reportLatency(b *testing.B, elapsed time.Duration, calls, n int) {
	perCall := elapsed.Seconds() / float64(calls)
	b.ReportMetric(perCall*1e6/float64(n), "us/example")
	b.ReportMetric(perCall*1e3, "ms/batch")
	b.ReportMetric(float64(n)/perCall, "examples/s")
}
