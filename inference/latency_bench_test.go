package inference

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/model"
)

// BenchmarkPredictLatency times what a served request costs on top of the
// model: Predictor.Predict (what serve's batching worker calls: a
// normalized copy of the raw values, the logits, softmax, one Prediction
// per example), Predictor.Logits (the copy and normalization, then the
// model) and prepare (the copy and normalization alone), against
// model.Logits on inputs already normalized, on 1 and 64 examples.
// The predictors are loaded from checkpoint bytes (LoadBytes, as serve
// loads them) of the models model.BenchmarkLatency times: the digits cnn
// and the Fashion-MNIST mlp, random weights, normalization of raw pixels.
//
//	go test ./inference -run '^$' -bench PredictLatency -cpu 1
func BenchmarkPredictLatency(b *testing.B) {
	cases := []struct {
		name   string
		spec   model.Spec
		shape  []int
		rawMax float32
	}{
		{"digits-cnn", model.Spec{Arch: model.CNN}, []int{1, 8, 8}, 16},
		{"fashion-mlp", model.Spec{Arch: model.MLP}, []int{1, 28, 28}, 255},
	}
	classes := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	for _, c := range cases {
		p := benchPredictor(b, c.spec.WithDefaults(c.shape), c.shape, classes, c.rawMax)
		s := data.ShapeSize(c.shape)
		for _, n := range []int{1, 64} {
			rng := rand.New(rand.NewPCG(1, 2))
			raw := make([]float32, n*s)
			for i := range raw {
				raw[i] = float32(rng.IntN(int(c.rawMax) + 1))
			}
			x, err := p.prepare(raw)
			if err != nil {
				b.Fatal(err)
			}
			out := make([]float32, n*len(classes))
			paths := []struct {
				name string
				call func() error
			}{
				{"model-logits", func() error { return p.Model.Logits(x, out) }},
				{"prepare", func() error { _, err := p.prepare(raw); return err }},
				{"predictor-logits", func() error { _, err := p.Logits(raw); return err }},
				{"predict", func() error { _, err := p.Predict(Input{X: raw}); return err }},
			}
			for _, path := range paths {
				b.Run(c.name+"/batch-"+strconv.Itoa(n)+"/"+path.name, func(b *testing.B) {
					if err := path.call(); err != nil { // builds the batch's graph
						b.Fatal(err)
					}
					b.ReportAllocs()
					calls := make([]time.Duration, 0, 1<<16)
					for b.Loop() {
						t0 := time.Now()
						if err := path.call(); err != nil {
							b.Fatal(err)
						}
						calls = append(calls, time.Since(t0))
					}
					// The median call, as model.BenchmarkLatency reports it:
					// the machine's stray pauses stay out of the figure.
					slices.Sort(calls)
					b.ReportMetric(calls[len(calls)/2].Seconds()*1e6/float64(n), "us/example")
				})
			}
		}
	}
}

// benchPredictor builds a model with random weights, writes it as a
// checkpoint with a per-channel normalization of raw pixels in [0, rawMax]
// and loads it back as serve does.
func benchPredictor(b testing.TB, spec model.Spec, shape []int, classes []string, rawMax float32) *Predictor {
	b.Helper()
	m, err := model.New(spec, shape, len(classes), model.Options{TrainBatch: 1, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	c := &model.Checkpoint{
		Spec:          spec,
		Input:         model.InputSchema{Kind: data.Image, Shape: shape, RawMax: rawMax},
		Classes:       classes,
		Normalization: &data.Normalization{Groups: 1, GroupSize: data.ShapeSize(shape), Mean: []float32{rawMax / 3}, Std: []float32{rawMax / 3}},
		Tensors:       m.Tensors(),
	}
	bs, err := c.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	p, err := LoadBytes("bench.ckpt", bs, LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return p
}
