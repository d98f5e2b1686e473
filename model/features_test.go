package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFeaturesFeedTheOutputLayer: the features of the last hidden layer,
// times the output layer's weights plus its bias, are the eval-mode logits;
// for a one-layer mlp they are relu(x·W + b) computed by hand.
func TestFeaturesFeedTheOutputLayer(t *testing.T) {
	cases := []struct {
		name  string
		spec  Spec
		shape []int
	}{
		{"mlp", Spec{Arch: MLP, Hidden: []int{7}, Activation: "relu"}, []int{5}},
		{"mlp tanh two layers", Spec{Arch: MLP, Hidden: []int{6, 4}, Activation: "tanh", Dropout: 0.5}, []int{5}},
		{"cnn", Spec{Arch: CNN, Channels: []int{3}, Hidden: []int{6}, Activation: "relu"}, []int{1, 4, 4}},
		{"cnn batch norm", Spec{Arch: CNN, Channels: []int{2, 3}, Hidden: []int{5}, Activation: "relu", BatchNorm: true}, []int{1, 4, 4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			const n, classes = 300, 3 // more than one 256-example chunk
			m, err := New(c.spec, c.shape, classes, Options{TrainBatch: 2, Seed: 4})
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			x := make([]float32, n*size(c.shape))
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			feats, dim, err := m.Features(x)
			if err != nil {
				t.Fatal(err)
			}
			if want := c.spec.Hidden[len(c.spec.Hidden)-1]; dim != want || len(feats) != n*dim {
				t.Fatalf("dim %d, %d values; want %d, %d", dim, len(feats), want, n*want)
			}
			logits := make([]float32, n*classes)
			if err := m.Logits(x, logits); err != nil {
				t.Fatal(err)
			}
			var w, b []float32
			for _, p := range m.Params() {
				switch p.Name {
				case "out.weight":
					w = p.Float32s()
				case "out.bias":
					b = p.Float32s()
				}
			}
			for i := 0; i < n; i++ {
				for k := 0; k < classes; k++ {
					v := float64(b[k])
					for j := 0; j < dim; j++ {
						v += float64(feats[i*dim+j]) * float64(w[j*classes+k])
					}
					if math.Abs(v-float64(logits[i*classes+k])) > 1e-4 {
						t.Fatalf("example %d class %d: features·W+b = %v, logits %v", i, k, v, logits[i*classes+k])
					}
				}
			}
			if c.name == "mlp" {
				w0, b0 := m.Params()[0].Float32s(), m.Params()[1].Float32s()
				for i := 0; i < n; i++ {
					for j := 0; j < dim; j++ {
						v := float64(b0[j])
						for f := 0; f < 5; f++ {
							v += float64(x[i*5+f]) * float64(w0[f*dim+j])
						}
						if math.Abs(math.Max(v, 0)-float64(feats[i*dim+j])) > 1e-5 {
							t.Fatalf("feature %d of example %d = %v, want %v", j, i, feats[i*dim+j], math.Max(v, 0))
						}
					}
				}
			}
		})
	}
}

func TestFeaturesOfLinearModelIsAnError(t *testing.T) {
	m, err := New(Spec{Arch: Linear, Activation: "relu"}, []int{4}, 2, Options{TrainBatch: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Features(make([]float32, 4)); err == nil {
		t.Fatal("want an error: a linear model has no hidden layer")
	}
}
