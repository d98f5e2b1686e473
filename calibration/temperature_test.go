package calibration

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestSoftmax(t *testing.T) {
	ln3 := float32(math.Log(3))
	cases := []struct {
		logits []float32
		temp   float64
		want   []float64
	}{
		{[]float32{0, ln3}, 1, []float64{0.25, 0.75}},
		{[]float32{0, ln3}, 2, []float64{1 / (1 + math.Sqrt(3)), math.Sqrt(3) / (1 + math.Sqrt(3))}},
		{[]float32{0, ln3}, 0, []float64{0.25, 0.75}}, // T ≤ 0 counts as 1
		{[]float32{1000, 0, -1000, 5, 5}, 1, []float64{1, 0, 0}},
	}
	for _, c := range cases {
		got := Softmax(c.logits, 3-len(c.logits)%2, c.temp)
		if len(c.logits) == 2 {
			got = Softmax(c.logits, 2, c.temp)
		}
		for k, w := range c.want {
			if !near(got[k], w, 1e-7) || math.IsNaN(got[k]) {
				t.Errorf("Softmax(%v, T=%v)[%d] = %v, want %v", c.logits, c.temp, k, got[k], w)
			}
		}
	}
	// Rows are independent: [1000, 0, -1000] then [5, 5, ...].
	p := Softmax([]float32{1000, 0, -1000, 5, 5, 5}, 3, 1)
	if p[0] != 1 || !near(p[3], 1.0/3, 1e-15) {
		t.Errorf("rows %v", p)
	}
}

// synthetic draws logits of n examples of c classes and labels sampled
// from softmax(logits / t0): a model whose probabilities are calibrated
// at temperature t0.
func synthetic(n, c int, t0 float64, seed uint64) ([]float32, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	logits := make([]float32, n*c)
	labels := make([]int, n)
	for i := range n {
		for k := range c {
			logits[i*c+k] = float32(3 * rng.NormFloat64())
		}
		labels[i] = sampleClass(rng, Softmax(logits[i*c:(i+1)*c], c, t0))
	}
	return logits, labels
}

// sampleClass draws a class from the probabilities p (inverse CDF; the
// last class takes what rounding leaves).
func sampleClass(rng *rand.Rand, p []float64) int {
	u, acc := rng.Float64(), 0.0
	for k, v := range p {
		if acc += v; u < acc {
			return k
		}
	}
	return len(p) - 1
}

func TestFitTemperatureRecoversKnownT(t *testing.T) {
	for _, t0 := range []float64{0.5, 1, 2.5, 6} {
		logits, labels := synthetic(8000, 5, t0, uint64(t0*10))
		got, err := FitTemperature(logits, labels, 5)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(math.Log(got/t0)) > 0.05 {
			t.Errorf("T0 = %v: fitted %v", t0, got)
		}
		// A minimum: NLL is no lower a little to either side.
		f := NLL(logits, labels, 5, got)
		if NLL(logits, labels, 5, got*1.01) < f || NLL(logits, labels, 5, got/1.01) < f {
			t.Errorf("T0 = %v: %v is not a minimum of the NLL", t0, got)
		}
		// Scaling never changes the predicted class, so accuracy stays.
		before := Evaluate(Softmax(logits, 5, 1), labels, 5, 15)
		after := Evaluate(Softmax(logits, 5, got), labels, 5, 15)
		if before.Accuracy != after.Accuracy {
			t.Errorf("accuracy %v -> %v", before.Accuracy, after.Accuracy)
		}
		if t0 != 1 && !(after.NLL < before.NLL && after.ECE < before.ECE) {
			t.Errorf("T0 = %v: NLL %v -> %v, ECE %v -> %v", t0, before.NLL, after.NLL, before.ECE, after.ECE)
		}
		if after.ECE > 0.02 {
			t.Errorf("T0 = %v: ECE after scaling %v", t0, after.ECE)
		}
	}
}

func TestFitTemperatureEdgeCases(t *testing.T) {
	// Every example right: no minimum.
	if T, err := FitTemperature([]float32{2, 0, 0, 3}, []int{0, 1}, 2); !errors.Is(err, ErrSeparable) || T != 1 {
		t.Errorf("separable: %v, %v", T, err)
	}
	// Wrong with more confidence than right: the best model is near uniform.
	T, err := FitTemperature([]float32{9, 0, 0, 9, 9, 0}, []int{1, 0, 0}, 2)
	if err != nil || T < 3 {
		t.Errorf("mostly confidently wrong: T = %v, %v", T, err)
	}
	// A model worse than chance: the minimum lies beyond the range.
	if T, err := FitTemperature([]float32{5, 0, 0, 5}, []int{1, 0}, 2); err != nil || T < MaxTemperature*0.99 {
		t.Errorf("all wrong: T = %v, %v", T, err)
	}
	bad := []struct {
		logits  []float32
		labels  []int
		classes int
	}{
		{nil, nil, 2},
		{[]float32{1, 2}, []int{0}, 1},
		{[]float32{1, 2, 3}, []int{0}, 2},
		{[]float32{1, float32(math.NaN())}, []int{0}, 2},
		{[]float32{1, 2}, []int{2}, 2},
	}
	for _, b := range bad {
		if _, err := FitTemperature(b.logits, b.labels, b.classes); err == nil || errors.Is(err, ErrSeparable) {
			t.Errorf("%v %v %d: err = %v", b.logits, b.labels, b.classes, err)
		}
	}
}

func TestFitWarning(t *testing.T) {
	cases := []struct {
		T      float64
		errors int
		want   string
	}{
		{MaxTemperature, 40, "is the top of its search range: the model's logits carry no information"},
		{99.99999999, 40, "is the top of its search range"},
		{1.5, 3, "rests on only 3 misclassified validation examples (fewer than 10)"},
		{0.228, 1, "rests on only 1 misclassified validation example (fewer than 10)"},
		{0.5, MinFitErrors, ""},
		{2, 100, ""},
	}
	for _, c := range cases {
		got := FitWarning(c.T, c.errors)
		if c.want == "" && got != "" || !strings.Contains(got, c.want) {
			t.Errorf("FitWarning(%v, %d) = %q, want %q", c.T, c.errors, got, c.want)
		}
	}
}
