package calibration

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestFitVectorScalingRecoversScalesAndBiases(t *testing.T) {
	scale, bias := []float64{0.5, 1, 2}, []float64{0.3, -0.2, 0}
	rng := rand.New(rand.NewPCG(5, 6))
	const n, c = 20000, 3
	logits := make([]float32, n*c)
	labels := make([]int, n)
	for i := range n {
		row := logits[i*c : (i+1)*c]
		for k := range row {
			row[k] = float32(2 * rng.NormFloat64())
		}
		labels[i] = sampleClass(rng, VectorScaling{Scale: scale, Bias: bias}.Probabilities(row))
	}
	v, err := FitVectorScaling(logits, labels, c)
	if err != nil {
		t.Fatal(err)
	}
	// Softmax is unchanged by adding a constant to every bias: compare
	// biases centred on their mean.
	mean := func(x []float64) float64 { return (x[0] + x[1] + x[2]) / 3 }
	for k := range c {
		got, want := v.Bias[k]-mean(v.Bias), bias[k]-mean(bias)
		if math.Abs(v.Scale[k]-scale[k]) > 0.08 || math.Abs(got-want) > 0.08 {
			t.Errorf("class %d: scale %.3f centred bias %.3f, want %.3f %.3f", k, v.Scale[k], got, scale[k], want)
		}
	}
	T, _ := FitTemperature(logits, labels, c)
	if vs, ts := Evaluate(v.Probabilities(logits), labels, c, 15).NLL, NLL(logits, labels, c, T); vs >= ts {
		t.Errorf("vector scaling NLL %v is not below temperature scaling's %v", vs, ts)
	}
	if _, err := FitVectorScaling([]float32{2, 0, 0, 3}, []int{0, 1}, 2); !errors.Is(err, ErrSeparable) {
		t.Errorf("separable: %v", err)
	}
}

func TestFitPlatt(t *testing.T) {
	const a, b = 0.5, 0.3
	rng := rand.New(rand.NewPCG(7, 8))
	const n = 20000
	logits := make([]float32, 2*n)
	labels := make([]int, n)
	for i := range n {
		logits[2*i], logits[2*i+1] = float32(rng.NormFloat64()), float32(3*rng.NormFloat64())
		if rng.Float64() < sigmoid(a*float64(logits[2*i+1]-logits[2*i])+b) {
			labels[i] = 1
		}
	}
	p, err := FitPlatt(logits, labels)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(p.A-a) > 0.03 || math.Abs(p.B-b) > 0.05 {
		t.Errorf("fitted A %.3f B %.3f, want %v %v", p.A, p.B, a, b)
	}
	probs := p.Probabilities(logits[:4])
	if !near(probs[0]+probs[1], 1, 1e-15) || !near(probs[1], sigmoid(p.A*(float64(logits[1])-float64(logits[0]))+p.B), 1e-15) {
		t.Errorf("probabilities %v", probs)
	}
	// Separated classes: Platt's smoothed targets keep the fit finite.
	sep, err := FitPlatt([]float32{0, 5, 0, 4, 3, 0, 6, 0}, []int{1, 1, 0, 0})
	if err != nil || math.IsInf(sep.A, 0) || sep.A <= 0 || sep.A > 10 {
		t.Errorf("separable: %+v, %v", sep, err)
	}
	if _, err := FitPlatt([]float32{0, 1, 2}, []int{0}); err == nil {
		t.Error("three logits for one two-class example were accepted")
	}
}
