package model

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// trainSteps runs a few seeded training steps on m, so that its weights
// and batch-norm running statistics are no longer their initial values.
func trainSteps(t *testing.T, m *Model, steps int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 3))
	b, s, c := m.TrainBatch(), 1, m.Classes
	for _, d := range m.InputShape {
		s *= d
	}
	x := make([]float32, b*s)
	tg := make([]float32, b*c)
	for range steps {
		for i := range x {
			x[i] = float32(rng.NormFloat64()*2 + 1)
		}
		clear(tg)
		for i := range b {
			tg[i*c+i%c] = 1 / float32(b)
		}
		if _, err := m.TrainStep(x, tg, b, rng); err != nil {
			t.Fatal(err)
		}
		grads, err := m.Grads()
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range m.Learnables() {
			w := p.Float32s()
			for k := range w {
				w[k] -= 0.1 * grads[i][k]
				grads[i][k] = 0
			}
		}
	}
}

// TestInitFromCopiesMatchingTensors builds a source model, trains it a
// little, and initializes models of other shapes from its checkpoint:
// exactly the parameters with the same name and shape are copied, bit for
// bit (running statistics included), and every other keeps its own
// initial value.
func TestInitFromCopiesMatchingTensors(t *testing.T) {
	input := []int{1, 8, 8}
	cnn := func(hidden []int) Spec {
		return Spec{Arch: CNN, Channels: []int{3, 4}, Hidden: hidden, Activation: "relu", BatchNorm: true}
	}
	src, err := New(cnn([]int{8}), input, 3, Options{TrainBatch: 8, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	trainSteps(t, src, 3)
	ck := &Checkpoint{Spec: src.Spec, Tensors: append(src.Tensors(), Tensor{Name: "optimizer/m/out.bias", Shape: []int{3}, Data: []float32{1, 2, 3}})}
	bn := []string{"conv0.weight", "bn0.scale", "bn0.shift", "bn0.running_mean", "bn0.running_var",
		"conv1.weight", "bn1.scale", "bn1.shift", "bn1.running_mean", "bn1.running_var"}
	cases := []struct {
		name    string
		spec    Spec
		classes int
		loaded  []string
		skipped []string // Mismatch.String()
	}{
		{"same model", cnn([]int{8}), 3, append(slices.Clone(bn), "dense0.weight", "dense0.bias", "out.weight", "out.bias"), nil},
		{"another dense size", cnn([]int{6}), 3, append(slices.Clone(bn), "out.bias"),
			[]string{"dense0.weight: model [16 6], checkpoint [16 8]", "dense0.bias: model [1 6], checkpoint [1 8]", "out.weight: model [6 3], checkpoint [8 3]"}},
		{"an extra dense layer", cnn([]int{8, 8}), 3, append(slices.Clone(bn), "dense0.weight", "dense0.bias", "out.weight", "out.bias"),
			[]string{"dense1.weight [8 8]: absent in the checkpoint", "dense1.bias [1 8]: absent in the checkpoint"}},
		{"other classes", cnn([]int{8}), 5, append(slices.Clone(bn), "dense0.weight", "dense0.bias"),
			[]string{"out.weight: model [8 5], checkpoint [8 3]", "out.bias: model [1 5], checkpoint [1 3]"}},
		{"another number of channels", Spec{Arch: CNN, Channels: []int{3, 6}, Hidden: []int{8}, Activation: "relu", BatchNorm: true}, 3,
			[]string{"conv0.weight", "bn0.scale", "bn0.shift", "bn0.running_mean", "bn0.running_var", "dense0.bias", "out.weight", "out.bias"},
			[]string{"conv1.weight: model [6 3 3 3], checkpoint [4 3 3 3]", "bn1.scale: model [1 6 1 1], checkpoint [1 4 1 1]",
				"bn1.shift: model [1 6 1 1], checkpoint [1 4 1 1]", "bn1.running_mean: model [6], checkpoint [4]",
				"bn1.running_var: model [6], checkpoint [4]", "dense0.weight: model [24 8], checkpoint [16 8]"}},
		// Only names and shapes decide: an MLP's first bias has the
		// CNN's dense0 shape, its weight does not.
		{"an mlp from a cnn", Spec{Arch: MLP, Hidden: []int{8}, Activation: "relu"}, 3, []string{"dense0.bias", "out.weight", "out.bias"},
			[]string{"dense0.weight: model [64 8], checkpoint [16 8]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := New(c.spec, input, c.classes, Options{TrainBatch: 8, Seed: 9})
			if err != nil {
				t.Fatal(err)
			}
			before := m.Tensors()
			loaded, skipped, err := m.InitFrom(ck)
			if err != nil {
				t.Fatal(err)
			}
			var why []string
			for _, s := range skipped {
				why = append(why, s.String())
			}
			if !reflect.DeepEqual(loaded, c.loaded) || !reflect.DeepEqual(why, c.skipped) {
				t.Fatalf("loaded %q\nskipped %q\nwant %q\nand %q", loaded, why, c.loaded, c.skipped)
			}
			for i, p := range m.Params() {
				want := before[i].Data
				if slices.Contains(loaded, p.Name) {
					want = ck.Tensor(p.Name).Data
				}
				if !sameBits(p.Float32s(), want) {
					t.Errorf("%s: not the values it should hold (loaded: %v)", p.Name, slices.Contains(loaded, p.Name))
				}
				// The source was trained and seeded otherwise: a loaded
				// tensor that kept its value would prove nothing.
				if slices.Contains(loaded, p.Name) && sameBits(want, before[i].Data) {
					t.Errorf("%s: the source's value equals the model's own", p.Name)
				}
			}
		})
	}
	// Loaded whole, the model computes the source's logits bit for bit:
	// the running statistics reached the evaluation graph.
	m, err := New(cnn([]int{8}), input, 3, Options{TrainBatch: 8, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.InitFrom(ck); err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 5*64)
	for i := range x {
		x[i] = float32(i%17) / 4
	}
	want, got := make([]float32, 5*3), make([]float32, 5*3)
	if err := src.Logits(x, want); err != nil {
		t.Fatal(err)
	}
	if err := m.Logits(x, got); err != nil {
		t.Fatal(err)
	}
	if !sameBits(got, want) {
		t.Fatalf("logits %v, the source's %v", got, want)
	}
}

// TestInitFromErrorsLeaveTheModel: a tensor whose values do not fill its
// shape, and a float64 model, are errors, and nothing is written.
func TestInitFromErrorsLeaveTheModel(t *testing.T) {
	spec := Spec{Arch: MLP, Hidden: []int{4}, Activation: "relu"}
	m, err := New(spec, []int{6}, 2, Options{TrainBatch: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	before := m.Tensors()
	good := m.Tensors()
	for i := range good {
		for k := range good[i].Data {
			good[i].Data[k] = 7
		}
	}
	bad := append(slices.Clone(good), Tensor{Name: "out.bias", Shape: []int{1, 2}, Data: []float32{1}})
	if _, _, err := m.InitFrom(&Checkpoint{Tensors: bad}); err == nil || !strings.Contains(err.Error(), "out.bias: 1 values for shape [1 2]") {
		t.Fatalf("a short tensor: %v", err)
	}
	for i, p := range m.Params() {
		if !sameBits(p.Float32s(), before[i].Data) {
			t.Fatalf("%s changed by a failed InitFrom", p.Name)
		}
	}
	if _, _, err := m.InitFrom(nil); err == nil {
		t.Fatal("no checkpoint: no error")
	}
	m64, err := New(spec, []int{6}, 2, Options{TrainBatch: 2, Seed: 1, Float64: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m64.InitFrom(&Checkpoint{Tensors: good}); err == nil || !strings.Contains(err.Error(), "not float32") {
		t.Fatalf("a float64 model: %v", err)
	}
}

func TestLayerNames(t *testing.T) {
	m, err := New(Spec{Arch: CNN, Channels: []int{2, 2}, Hidden: []int{4}, Activation: "relu", BatchNorm: true}, []int{1, 8, 8}, 2, Options{TrainBatch: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.LayerNames(), []string{"conv0", "bn0", "conv1", "bn1", "dense0", "out"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("layers %q, want %q", got, want)
	}
}

// sameBits compares float32 slices bit for bit (NaN equal to itself, -0
// apart from 0).
func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}
