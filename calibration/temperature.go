package calibration

import (
	"errors"
	"fmt"
	"math"
)

// Temperature search range: T in [MinTemperature, MaxTemperature].
const (
	MinTemperature = 0.01
	MaxTemperature = 100
)

// MinFitErrors is the fewest misclassified examples a temperature is
// fitted on without a warning: T is set by how confident the model is on
// its errors, and a handful of them does not pin it down.
const MinFitErrors = 10

// FitWarning says what a user should know about a temperature fitted on
// logits with errors misclassified examples ("" when nothing). At the top
// of the range the NLL was still falling as T grew: the logits carry no
// information, and near-uniform probabilities are the calibrated answer.
func FitWarning(T float64, errors int) string {
	switch {
	case T >= MaxTemperature*(1-1e-6):
		return fmt.Sprintf("T = %g is the top of its search range: the model's logits carry no information on the validation split, and its probabilities are close to uniform after calibration", T)
	case errors < MinFitErrors:
		noun := "examples"
		if errors == 1 {
			noun = "example"
		}
		return fmt.Sprintf("T = %.3g rests on only %d misclassified validation %s (fewer than %d): it may not carry over to new data; a larger data.val fits it more reliably", T, errors, noun, MinFitErrors)
	}
	return ""
}

// ErrSeparable is returned by FitTemperature (and FitVectorScaling) when
// every example's label is strictly its largest logit: the NLL then keeps
// falling as T → 0 and has no minimizer, so no temperature is fitted (a
// larger validation split, with some errors, is needed).
var ErrSeparable = errors.New("every example is classified correctly, so the NLL keeps decreasing as T → 0 and has no minimum; temperature left at 1")

// Softmax returns the N×classes probabilities of logits/temperature, each
// row computed stably in float64 (the row's maximum subtracted first).
// A temperature ≤ 0 or NaN counts as 1.
func Softmax(logits []float32, classes int, temperature float64) []float64 {
	if !(temperature > 0) {
		temperature = 1
	}
	out := make([]float64, len(logits))
	for i := 0; i+classes <= len(logits); i += classes {
		softmaxRow(logits[i:i+classes], 1/temperature, out[i:i+classes])
	}
	return out
}

// softmaxRow writes softmax(beta·row) into dst.
func softmaxRow(row []float32, beta float64, dst []float64) {
	m := math.Inf(-1)
	for _, v := range row {
		m = math.Max(m, beta*float64(v))
	}
	var s float64
	for k, v := range row {
		dst[k] = math.Exp(beta*float64(v) - m)
		s += dst[k]
	}
	for k := range dst {
		dst[k] /= s
	}
}

// NLL is the mean negative log-likelihood of labels under
// softmax(logits/temperature), computed in log space.
func NLL(logits []float32, labels []int, classes int, temperature float64) float64 {
	if len(labels) == 0 {
		return 0
	}
	beta := 1 / temperature
	var sum float64
	for i, y := range labels {
		row := logits[i*classes : (i+1)*classes]
		m := math.Inf(-1)
		for _, v := range row {
			m = math.Max(m, beta*float64(v))
		}
		var s float64
		for _, v := range row {
			s += math.Exp(beta*float64(v) - m)
		}
		sum += m + math.Log(s) - beta*float64(row[y])
	}
	return sum / float64(len(labels))
}

// checkLogits validates the inputs of a fit.
func checkLogits(logits []float32, labels []int, classes int) error {
	if classes < 2 {
		return fmt.Errorf("calibration needs at least 2 classes, got %d", classes)
	}
	if len(labels) == 0 {
		return errors.New("calibration needs at least one example")
	}
	if len(logits) != len(labels)*classes {
		return fmt.Errorf("%d logits for %d examples of %d classes", len(logits), len(labels), classes)
	}
	for i, v := range logits {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("logit %d of example %d is %v", i%classes, i/classes, v)
		}
	}
	for i, y := range labels {
		if y < 0 || y >= classes {
			return fmt.Errorf("label %d of example %d is not in [0, %d)", y, i, classes)
		}
	}
	return nil
}

// separable tells whether every example's label has the strictly largest
// logit.
func separable(logits []float32, labels []int, classes int) bool {
	for i, y := range labels {
		row := logits[i*classes : (i+1)*classes]
		for k, v := range row {
			if k != y && v >= row[y] {
				return false
			}
		}
	}
	return true
}

// FitTemperature finds the T > 0 minimizing the NLL of labels under
// softmax(logits/T): a grid over log T in [log 0.01, log 100] (steps of about 0.25)
// brackets the minimum, then a golden-section search refines it to 1e-6 in
// log T. The NLL is convex in 1/T, hence unimodal in log T, so the search
// finds the global minimum; no learning rate is involved and T cannot be
// negative. A minimum beyond the range returns the range's end. When every
// example is already classified correctly the NLL has no minimum: the
// result is 1 with ErrSeparable. Scaling by T never changes the argmax.
func FitTemperature(logits []float32, labels []int, classes int) (float64, error) {
	if err := checkLogits(logits, labels, classes); err != nil {
		return 1, err
	}
	if separable(logits, labels, classes) {
		return 1, ErrSeparable
	}
	f := func(logT float64) float64 { return NLL(logits, labels, classes, math.Exp(logT)) }
	lo, hi := math.Log(MinTemperature), math.Log(MaxTemperature)
	n := int(math.Round((hi-lo)/0.25)) + 1
	step := (hi - lo) / float64(n-1)
	best, bestV := 0, math.Inf(1)
	for i := range n {
		if v := f(lo + float64(i)*step); v < bestV {
			best, bestV = i, v
		}
	}
	a := lo + float64(max(best-1, 0))*step
	b := lo + float64(min(best+1, n-1))*step
	return math.Exp(goldenSection(f, a, b, 1e-6)), nil
}

// goldenSection minimizes a unimodal f on [a, b] to within tol.
func goldenSection(f func(float64) float64, a, b, tol float64) float64 {
	invPhi := (math.Sqrt(5) - 1) / 2
	c, d := b-invPhi*(b-a), a+invPhi*(b-a)
	fc, fd := f(c), f(d)
	for b-a > tol {
		if fc <= fd {
			b, d, fd = d, c, fc
			c = b - invPhi*(b-a)
			fc = f(c)
		} else {
			a, c, fc = c, d, fd
			d = a + invPhi*(b-a)
			fd = f(d)
		}
	}
	return (a + b) / 2
}
