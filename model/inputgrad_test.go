package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// inputGradCases are one model of each architecture and layer kind the
// input gradient goes through.
func inputGradCases() []struct {
	name  string
	spec  Spec
	shape []int
} {
	return []struct {
		name  string
		spec  Spec
		shape []int
	}{
		{"linear", Spec{Arch: Linear, Activation: "relu"}, []int{6}},
		{"mlp relu", Spec{Arch: MLP, Hidden: []int{7, 5}, Activation: "relu", Dropout: 0.3}, []int{6}},
		{"mlp tanh", Spec{Arch: MLP, Hidden: []int{7}, Activation: "tanh"}, []int{6}},
		{"cnn", Spec{Arch: CNN, Channels: []int{3, 4}, Hidden: []int{5}, Activation: "relu"}, []int{1, 8, 8}},
		{"cnn batch norm tanh", Spec{Arch: CNN, Channels: []int{3}, Hidden: []int{5}, Activation: "tanh", BatchNorm: true}, []int{2, 6, 6}},
	}
}

// setRunningStats gives batch-norm layers statistics far from the initial
// 0 and 1, so that a gradient that ignored them would show.
func setRunningStats(m *Model, rng *rand.Rand) {
	for _, sp := range m.statParams() {
		for c := 0; c < sp[0].value.Len(); c++ {
			set(sp[0].value, c, rng.NormFloat64())
			set(sp[1].value, c, 0.2+rng.Float64()*3)
		}
	}
	for _, p := range m.params {
		if p.Learnable && (len(p.Name) > 2 && p.Name[:2] == "bn") {
			for k := 0; k < p.value.Len(); k++ {
				set(p.value, k, 0.5+rng.Float64())
			}
		}
	}
}

// TestInputGradientFiniteDifferences checks, in float64, each example's
// gradient of its chosen logit against central differences of the
// evaluation graph's logits, and the logits against the evaluation graph's.
func TestInputGradientFiniteDifferences(t *testing.T) {
	for _, tc := range inputGradCases() {
		t.Run(tc.name, func(t *testing.T) {
			const classes, n = 3, 2
			m, err := New(tc.spec, tc.shape, classes, Options{TrainBatch: 4, Seed: 7, Float64: true, NoDropout: true})
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(3, 4))
			setRunningStats(m, rng)
			s := size(tc.shape)
			x := make([]float32, n*s)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			ig, err := m.NewInputGradient(4)
			if err != nil {
				t.Fatal(err)
			}
			defer ig.Close()
			chosen := []int{2, 0}
			logits, grads := make([]float32, n*classes), make([]float32, len(x))
			if err := ig.Run(x, chosen, logits, grads); err != nil {
				t.Fatal(err)
			}
			want := make([]float32, n*classes)
			if err := m.Logits(x, want); err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if math.Abs(float64(logits[i]-want[i])) > 1e-5 {
					t.Fatalf("logit %d = %v, the evaluation graph says %v", i, logits[i], want[i])
				}
			}
			// Small enough to cross no ReLU kink at these points, large enough
			// for logits rounded to float32.
			const h = 1e-4
			out := make([]float32, n*classes)
			worst := 0.0
			for k := range x {
				i := k / s
				orig := x[k]
				x[k] = orig + h
				if err := m.Logits(x, out); err != nil {
					t.Fatal(err)
				}
				plus := float64(out[i*classes+chosen[i]])
				x[k] = orig - h
				if err := m.Logits(x, out); err != nil {
					t.Fatal(err)
				}
				minus := float64(out[i*classes+chosen[i]])
				x[k] = orig
				fd := (plus - minus) / (2 * h)
				diff := math.Abs(fd - float64(grads[k]))
				worst = math.Max(worst, diff)
				if diff > 1e-3*math.Max(1, math.Abs(fd)) {
					t.Errorf("d logit[%d] / d x[%d] = %v, central difference %v", chosen[i], k, grads[k], fd)
				}
			}
			t.Logf("largest difference from central differences: %.2g over %d inputs", worst, len(x))
		})
	}
}

// TestInputGradientFloat32 checks the float32 graph against the float32
// evaluation graph, bit for bit on the logits, and that a run refuses
// what does not fit.
func TestInputGradientFloat32(t *testing.T) {
	m, err := New(Spec{Arch: CNN, Channels: []int{4}, Hidden: []int{6}, Activation: "relu", BatchNorm: true}, []int{1, 8, 8}, 3, Options{TrainBatch: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	setRunningStats(m, rand.New(rand.NewPCG(5, 6)))
	ig, err := m.NewInputGradient(2)
	if err != nil {
		t.Fatal(err)
	}
	defer ig.Close()
	x := make([]float32, 2*64)
	for i := range x {
		x[i] = float32(i%9) / 4
	}
	logits, grads, want := make([]float32, 6), make([]float32, len(x)), make([]float32, 6)
	if err := ig.Run(x, []int{0, 1}, logits, grads); err != nil {
		t.Fatal(err)
	}
	if err := m.Logits(x, want); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(float64(logits[i]-want[i])) > 1e-5*math.Max(1, math.Abs(float64(want[i]))) {
			t.Errorf("logit %d = %v, evaluation graph %v", i, logits[i], want[i])
		}
	}
	for _, bad := range []struct {
		name    string
		x       []float32
		classes []int
	}{
		{"too many examples", make([]float32, 3*64), []int{0, 0, 0}},
		{"class out of range", x, []int{0, 3}},
		{"classes missing", x, []int{0}},
	} {
		n := len(bad.x) / 64
		if err := ig.Run(bad.x, bad.classes, make([]float32, n*3), make([]float32, len(bad.x))); err == nil {
			t.Errorf("%s: no error", bad.name)
		}
	}
}
