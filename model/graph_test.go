package model

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestLogSoftmaxStable guards the workaround for gorgonia's SoftMax and
// LogSoftMax, which overflow on rows like [100, 0, 0].
func TestLogSoftmaxStable(t *testing.T) {
	rows := [][]float32{{100, 0, 0}, {0, 100, 0}, {-1000, 0, 1000}, {1, 2, 3}}
	want := func(r []float32) []float64 {
		m := math.Inf(-1)
		for _, v := range r {
			m = math.Max(m, float64(v))
		}
		var s float64
		for _, v := range r {
			s += math.Exp(float64(v) - m)
		}
		out := make([]float64, len(r))
		for i, v := range r {
			out[i] = float64(v) - m - math.Log(s)
		}
		return out
	}
	flat := []float32{}
	for _, r := range rows {
		flat = append(flat, r...)
	}
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(len(rows), 3), G.WithValue(tensor.New(tensor.WithShape(len(rows), 3), tensor.WithBacking(flat))))
	ours, err := logSoftmax(x)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := G.LogSoftMax(x)
	if err != nil {
		t.Fatal(err)
	}
	var ov, tv G.Value
	G.Read(ours, &ov)
	G.Read(theirs, &tv)
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	got := ov.Data().([]float32)
	for i, r := range rows {
		for j, w := range want(r) {
			v := float64(got[i*3+j])
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v-w) > 1e-4*math.Max(1, math.Abs(w)) {
				t.Errorf("row %v: log-softmax[%d] = %v, want %v", r, j, v, w)
			}
		}
	}
	// The fault we route around: if gorgonia's own LogSoftMax becomes finite
	// on every row, this workaround may be retired.
	finite := true
	for _, v := range tv.Data().([]float32) {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			finite = false
		}
	}
	if finite {
		t.Log("gorgonia's LogSoftMax is finite on these rows now; the workaround may be retired")
	}
}

// TestGradientCheck compares the training graph's gradients with central
// differences in float64 for every layer type.
func TestGradientCheck(t *testing.T) {
	cases := []struct {
		name  string
		spec  Spec
		shape []int
	}{
		{"linear", Spec{Arch: Linear, Activation: "relu"}, []int{5}},
		{"mlp-tanh", Spec{Arch: MLP, Hidden: []int{6, 4}, Activation: "tanh"}, []int{5}},
		{"mlp-relu-dropout", Spec{Arch: MLP, Hidden: []int{7}, Activation: "relu", Dropout: 0.3}, []int{5}},
		{"cnn", Spec{Arch: CNN, Channels: []int{2}, Hidden: []int{4}, Activation: "relu"}, []int{1, 4, 4}},
		{"cnn-batchnorm", Spec{Arch: CNN, Channels: []int{3}, Hidden: []int{4}, Activation: "relu", BatchNorm: true}, []int{2, 4, 4}},
	}
	const batch, classes = 4, 3
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := New(c.spec, c.shape, classes, Options{TrainBatch: batch, Float64: true, Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			x := make([]float32, batch*size(c.shape))
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			targets := make([]float32, batch*classes)
			for i := 0; i < batch; i++ {
				targets[i*classes+i%classes] = 1.0 / batch
			}
			checked, _ := checkWeightGradients(t, m, x, targets, batch, 7)
			if checked < 6 {
				t.Fatalf("checked only %d entries", checked)
			}
		})
	}
}

// checkWeightGradients runs one training step of the float64 model m on
// batch examples x with targets and compares the gradient of every
// len/parts-th entry of each learnable parameter with central differences
// of the loss, failing the test where they differ by more than 1e-5
// relative to max(1, |numeric|). It returns how many entries it checked
// and the worst relative difference. The running statistics are left as
// the first step set them (each differenced step updates them again).
func checkWeightGradients(t *testing.T, m *Model, x, targets []float32, batch, parts int) (checked int, worst float64) {
	t.Helper()
	loss := func() float64 {
		zeroGrads64(t, m)
		l, err := m.TrainStep(x, targets, batch, rand.New(rand.NewPCG(3, 4)))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	loss()
	analytic := make([][]float64, len(m.train.gradNodes))
	for i, n := range m.train.gradNodes {
		analytic[i] = append([]float64(nil), n.Value().Data().([]float64)...)
	}
	stats := map[string][]float64{}
	for _, p := range m.params {
		if !p.Learnable {
			stats[p.Name] = append([]float64(nil), p.value.Data().([]float64)...)
		}
	}
	const eps = 1e-6
	for i, p := range m.Learnables() {
		w := p.value.Data().([]float64)
		for k := 0; k < len(w); k += 1 + len(w)/parts {
			orig := w[k]
			w[k] = orig + eps
			up := loss()
			w[k] = orig - eps
			down := loss()
			w[k] = orig
			num := (up - down) / (2 * eps)
			d := math.Abs(num-analytic[i][k]) / math.Max(1, math.Abs(num))
			worst = math.Max(worst, d)
			if d > 1e-5 {
				t.Errorf("%s[%d]: analytic %.9g, numeric %.9g", p.Name, k, analytic[i][k], num)
			}
			checked++
		}
	}
	for _, p := range m.params {
		if !p.Learnable {
			copy(p.value.Data().([]float64), stats[p.Name])
		}
	}
	return checked, worst
}

func zeroGrads64(t *testing.T, m *Model) {
	t.Helper()
	for _, n := range m.train.gradNodes {
		if g := n.Value(); g != nil {
			clear(g.Data().([]float64))
		}
	}
}
