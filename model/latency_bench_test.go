package model

import (
	"math/rand/v2"
	"slices"
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
// dropout, the default evaluation batch); the figures are of the median
// call (reportLatency), ns/op is the mean. Weights are random: the time
// does not depend on them. -test.cpu 1,2 sets GOMAXPROCS. At GOMAXPROCS 1
// the multiply keeps to one goroutine, but the convolution (per half of
// the batch) and max-pool and ReLU (from 32768 values) still split a
// large enough batch between two goroutines, which then take turns on
// the one thread. One example is too small for any split: it runs on
// one goroutine at either setting.
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
				// Room for the calls of a few seconds, so that the timings'
				// own slice does not count in B/op.
				calls := make([]time.Duration, 0, 1<<16)
				for b.Loop() {
					t0 := time.Now()
					if err := m.Logits(x, out); err != nil {
						b.Fatal(err)
					}
					calls = append(calls, time.Since(t0))
				}
				reportLatency(b, calls, n)
			})
		}
	}
}

// reportLatency reports the median call of n examples: per example (µs),
// per call (ms) and as examples per second. The median, not ns/op's mean,
// is what bench/torch_infer.py reports for PyTorch, and it keeps a stray
// pause of the machine (another process, a collection) out of the figure.
func reportLatency(b *testing.B, calls []time.Duration, n int) {
	if len(calls) == 0 {
		return
	}
	slices.Sort(calls)
	med := calls[len(calls)/2].Seconds()
	if len(calls)%2 == 0 {
		med = (calls[len(calls)/2-1].Seconds() + med) / 2
	}
	b.ReportMetric(med*1e6/float64(n), "us/example")
	b.ReportMetric(med*1e3, "ms/batch")
	b.ReportMetric(float64(n)/med, "examples/s")
}
