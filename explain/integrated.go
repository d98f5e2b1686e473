package explain

import (
	"fmt"
	"math"

	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/train"
)

// DefaultSteps is the number of intervals of the path integral.
const DefaultSteps = 50

// IntegratedGradients attributes a model's predictions to its inputs.
// It is not safe for use by several goroutines at once.
type IntegratedGradients struct {
	model *model.Model
	steps int
	grad  *model.InputGradient
	// path, chosen, logits and grads are the buffers of one batch.
	path, logits, grads []float32
	chosen              []int
}

// Attribution is one example's Integrated Gradients for one class.
type Attribution struct {
	// Class is the class explained: the one the model predicts.
	Class int
	// Values are the attributions, one per model input value, in logit
	// units.
	Values []float32
	// Sum is the sum of Values; Delta is Logit − BaselineLogit, the
	// chosen class's logits at the example and at the baseline, which Sum
	// approximates (completeness).
	Sum, Delta, Logit, BaselineLogit float64
	// Steps are the intervals the path was cut into.
	Steps int
}

// CompletenessError is |Sum − Delta| relative to |Delta| (0 when both are
// 0).
func (a Attribution) CompletenessError() float64 {
	gap := math.Abs(a.Sum - a.Delta)
	if gap == 0 {
		return 0
	}
	return gap / math.Abs(a.Delta)
}

// NewIntegratedGradients prepares Integrated Gradients with steps
// intervals (DefaultSteps when 0): the steps+1 points of one example's
// path run through the model as one batch.
func NewIntegratedGradients(m *model.Model, steps int) (*IntegratedGradients, error) {
	if steps == 0 {
		steps = DefaultSteps
	}
	if steps < 1 || steps > 1000 {
		return nil, fmt.Errorf("integrated gradients need 1 to 1000 steps, got %d", steps)
	}
	g, err := m.NewInputGradient(steps + 1)
	if err != nil {
		return nil, err
	}
	return &IntegratedGradients{model: m, steps: steps, grad: g}, nil
}

// Close releases the model graph built for the gradients.
func (ig *IntegratedGradients) Close() error { return ig.grad.Close() }

// MaxSteps bounds the refinement of Explain.
const MaxSteps = 3200

// Tolerance is the completeness error Explain refines the path until.
const Tolerance = 0.01

// Explain attributes the predicted class's logit at x (one normalized
// example) to its input values, from baseline (same size) along the
// straight path, by the trapezoid rule:
// (x − x′) · Σₖ wₖ ∇f(x′ + k/m·(x − x′)), w = 1/m inside, 1/(2m) at both
// ends, m the steps of NewIntegratedGradients.
//
// Along the path a ReLU network's gradient jumps wherever a unit (or a
// max-pool window) switches, which 50 points can miss by a few percent of
// f(x) − f(baseline). When the sum is off by more than Tolerance, the
// steps are doubled (the midpoints added, the old points kept) until it is
// within, or MaxSteps is reached; Attribution.Steps says how many were
// used, and CompletenessError how far the sum still is.
func (ig *IntegratedGradients) Explain(x, baseline []float32) (Attribution, error) {
	m := ig.model
	s := len(baseline)
	if len(x) != s || s == 0 {
		return Attribution{}, fmt.Errorf("an example of %d values and a baseline of %d: they must match", len(x), s)
	}
	// The last point of the path is x itself: its logits name the class.
	at := make([]float32, m.Classes)
	if err := m.Logits(x, at); err != nil {
		return Attribution{}, err
	}
	att := Attribution{Class: train.Argmax(at), Values: make([]float32, s)}
	steps := ig.steps
	points := make([]float64, steps+1)
	for k := range points {
		points[k] = float64(k) / float64(steps)
	}
	ends := make([]float64, s)
	inner := make([]float64, s)
	if err := ig.gradients(x, baseline, att.Class, points, func(k int, g []float32, logits []float32) {
		sum, w := inner, 1.0
		if k == 0 || k == steps {
			sum, w = ends, 0.5
		}
		for i, v := range g {
			sum[i] += w * float64(v)
		}
		switch k {
		case 0:
			att.BaselineLogit = float64(logits[att.Class])
		case steps:
			att.Logit = float64(logits[att.Class])
		}
	}); err != nil {
		return Attribution{}, err
	}
	att.Delta = att.Logit - att.BaselineLogit
	for {
		att.Steps = steps
		att.Sum = 0
		for i := range att.Values {
			a := float64(x[i]-baseline[i]) * (ends[i] + inner[i]) / float64(steps)
			att.Values[i] = float32(a)
			att.Sum += a
		}
		if att.CompletenessError() <= Tolerance || 2*steps > MaxSteps {
			return att, nil
		}
		mid := make([]float64, steps)
		for k := range mid {
			mid[k] = (float64(k) + 0.5) / float64(steps)
		}
		if err := ig.gradients(x, baseline, att.Class, mid, func(_ int, g []float32, _ []float32) {
			for i, v := range g {
				inner[i] += float64(v)
			}
		}); err != nil {
			return Attribution{}, err
		}
		steps *= 2
	}
}

// gradients runs the points x′ + a·(x − x′), a in alphas, through the
// input gradient graph in batches and hands each point's gradient of the
// class's logit, and its logits, to use.
func (ig *IntegratedGradients) gradients(x, baseline []float32, class int, alphas []float64, use func(k int, grad, logits []float32)) error {
	s, classes, batch := len(x), ig.model.Classes, ig.grad.Batch()
	if len(ig.logits) != batch*classes {
		ig.path = make([]float32, batch*s)
		ig.logits, ig.grads = make([]float32, batch*classes), make([]float32, batch*s)
		ig.chosen = make([]int, batch)
	}
	for start := 0; start < len(alphas); start += batch {
		n := min(batch, len(alphas)-start)
		for k, a := range alphas[start : start+n] {
			row := ig.path[k*s : (k+1)*s]
			for i := range row {
				row[i] = baseline[i] + float32(a)*(x[i]-baseline[i])
			}
			ig.chosen[k] = class
		}
		if err := ig.grad.Run(ig.path[:n*s], ig.chosen[:n], ig.logits[:n*classes], ig.grads[:n*s]); err != nil {
			return err
		}
		for k := range n {
			use(start+k, ig.grads[k*s:(k+1)*s], ig.logits[k*classes:(k+1)*classes])
		}
	}
	return nil
}
