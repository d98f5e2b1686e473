package model

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Model is an architecture with its weights and its two compiled graphs.
// A Model is not safe for use by several goroutines at once.
type Model struct {
	Spec       Spec
	InputShape []int
	Classes    int

	dtype  tensor.Dtype
	steps  []*step // the layers, shapes inferred
	params []*Param
	train  *graph
	eval   *graph
	// dropoutOn is false for feasibility tests, which train without dropout.
	dropoutOn bool
	// small are evaluation graphs of the batches of smallEvalBatches
	// below eval's, built on first use, so that a few examples (a served
	// request) do not pay for a full evaluation batch of padding.
	small map[int]*graph
	// stoch is the eval-mode graph with dropout masks of StochasticLogits,
	// built on first use (stochastic.go).
	stoch *graph
	// fast and fastEval run the training step and the evaluation of
	// models whose every layer the direct executor knows (direct.go), nil
	// for the others; the graphs above stay for everything else a model
	// does. fastStepped tells whether fast holds gradients yet.
	fast, fastEval *direct
	fastStepped    bool
}

// Options are the knobs of New beyond the architecture.
type Options struct {
	// TrainBatch is the training graph's fixed batch size.
	TrainBatch int
	// EvalBatch is the evaluation graph's batch size (DefaultEvalBatch); any
	// number of examples can be evaluated through it.
	EvalBatch int
	// Seed draws the initial weights.
	Seed uint64
	// NoDropout builds the training graph without dropout.
	NoDropout bool
	// Float64 builds the model in float64 (for gradient checks).
	Float64 bool
}

// DefaultEvalBatch is the evaluation graph's batch when Options leave it 0.
const DefaultEvalBatch = 256

// New builds a model: weights drawn from opt.Seed, a training graph of
// opt.TrainBatch examples and an evaluation graph sharing its weights.
func New(spec Spec, inputShape []int, classes int, opt Options) (*Model, error) {
	if err := spec.Validate(inputShape); err != nil {
		return nil, err
	}
	if classes < 2 {
		return nil, fmt.Errorf("a classifier needs at least 2 classes, got %d", classes)
	}
	if opt.TrainBatch <= 0 {
		return nil, fmt.Errorf("training batch size must be > 0, got %d", opt.TrainBatch)
	}
	if opt.EvalBatch <= 0 {
		opt.EvalBatch = DefaultEvalBatch
	}
	m := &Model{Spec: spec, InputShape: append([]int(nil), inputShape...), Classes: classes, dtype: tensor.Float32, dropoutOn: !opt.NoDropout}
	if opt.Float64 {
		m.dtype = tensor.Float64
	}
	var err error
	if m.steps, err = spec.steps(inputShape, classes); err != nil {
		return nil, err
	}
	m.params = newParams(planOf(m.steps), m.dtype, opt.Seed)
	if m.train, err = buildGraph(m.steps, inputShape, classes, m.params, m.dtype, opt.TrainBatch, true, m.dropoutOn); err != nil {
		return nil, err
	}
	if m.eval, err = buildGraph(m.steps, inputShape, classes, m.params, m.dtype, opt.EvalBatch, false, false); err != nil {
		return nil, err
	}
	// A new training machine resets batch-norm statistics; put ours back.
	if err := m.pushStats(); err != nil {
		return nil, err
	}
	m.fast = newDirect(m, opt.TrainBatch, true)
	m.fastEval = newDirect(m, opt.EvalBatch, false)
	return m, nil
}

// Params returns every tensor of the model in a fixed order: learnable
// weights and batch-norm running statistics.
func (m *Model) Params() []*Param { return m.params }

// Learnables returns the learnable parameters in the order an optimizer
// indexes its state by.
func (m *Model) Learnables() []*Param {
	var out []*Param
	for _, p := range m.params {
		if p.Learnable {
			out = append(out, p)
		}
	}
	return out
}

// Grads returns the gradient of each learnable parameter (in Learnables
// order) as computed by the last TrainStep. They are the outputs of the
// compiled program, overwritten by the next step (an optimizer may zero
// them after use; they do not accumulate).
func (m *Model) Grads() ([][]float32, error) {
	if m.fast != nil {
		if !m.fastStepped {
			return nil, fmt.Errorf("gradients: no step run yet")
		}
		return m.fast.paramGrads, nil
	}
	out := make([][]float32, len(m.train.gradNodes))
	for i, n := range m.train.gradNodes {
		g := n.Value()
		if g == nil {
			return nil, fmt.Errorf("gradient of %s: no value (no step run yet)", m.train.paramNodes[i].Name())
		}
		d, ok := g.Data().([]float32)
		if !ok {
			return nil, fmt.Errorf("gradient of %s is %T, not float32", n.Name(), g.Data())
		}
		out[i] = d
	}
	return out, nil
}

// TrainBatch is the training graph's fixed batch size.
func (m *Model) TrainBatch() int { return m.train.batch }

// TrainStep runs the training graph forward and backward on one batch of
// n ≤ TrainBatch() examples and returns the loss. targets holds n×Classes
// weights: the loss is -Σ targets ⊙ log-softmax(logits), so one-hot rows
// scaled by 1/n give the mean cross-entropy, smoothed rows give label
// smoothing, and rows past n are zero (padding that adds nothing). Dropout
// masks are drawn from rng. Gradients accumulate into Grads().
func (m *Model) TrainStep(x []float32, targets []float32, n int, rng *rand.Rand) (float64, error) {
	gr := m.train
	if n > gr.batch || n <= 0 {
		return 0, fmt.Errorf("batch of %d examples does not fit the training graph of %d", n, gr.batch)
	}
	s := size(m.InputShape)
	if len(x) != n*s || len(targets) != n*m.Classes {
		return 0, fmt.Errorf("batch of %d examples needs %d features and %d targets, got %d and %d", n, n*s, n*m.Classes, len(x), len(targets))
	}
	if d := m.fast; d != nil {
		d.setInput(x)
		copy(d.target, targets)
		clear(d.target[len(targets):])
		d.drawMasks(rng)
		m.fastStepped = true
		return d.step(), nil
	}
	fill(gr.xT, x)
	fill(gr.targT, targets)
	for i, mt := range gr.maskT {
		p := gr.maskP[i]
		keep := 1 / (1 - p)
		for k := 0; k < mt.Len(); k++ {
			v := keep
			if rng.Float64() < p {
				v = 0
			}
			set(mt, k, v)
		}
	}
	if err := gr.run(); err != nil {
		return 0, err
	}
	if err := m.pullStats(); err != nil {
		return 0, err
	}
	return scalar(gr.loss.Value())
}

// Logits evaluates n examples (row-major in x) through the evaluation graph
// in eval mode and writes n×Classes logits into out. Any n works: the last
// partial chunk is padded, and in eval mode rows do not interact.
func (m *Model) Logits(x []float32, out []float32) error {
	n, err := m.examples(x, out)
	if err != nil {
		return err
	}
	s := size(m.InputShape)
	if m.fastEval != nil {
		m.fastEval.logits(x, s, out)
		return nil
	}
	if err := m.pushStats(); err != nil {
		return err
	}
	for start := 0; start < n; {
		k := min(m.eval.batch, n-start)
		gr, err := m.evalGraph(k)
		if err != nil {
			return err
		}
		fill(gr.xT, x[start*s:(start+k)*s])
		if err := gr.run(); err != nil {
			return err
		}
		if err := copyLogits(out[start*m.Classes:(start+k)*m.Classes], gr.logitsVal); err != nil {
			return err
		}
		start += k
	}
	return nil
}

// smallEvalBatches are the batches of the smaller evaluation graphs:
// one example costs a graph of 1, not of DefaultEvalBatch, and k examples
// less than twice k.
func smallEvalBatches() [8]int { return [...]int{1, 2, 4, 8, 16, 32, 64, 128} }

// evalGraph returns the evaluation graph for k examples: the smallest of
// smallEvalBatches that holds them, when it is below the evaluation
// batch, else the evaluation graph. Rows are independent in eval mode and
// the kernels sum each output element in the same order whatever the
// batch, so every graph gives a row the same bits (TestLogitsAnyBatch).
func (m *Model) evalGraph(k int) (*graph, error) {
	for _, b := range smallEvalBatches() {
		if b >= m.eval.batch {
			break
		}
		if k > b {
			continue
		}
		if gr := m.small[b]; gr != nil {
			return gr, nil
		}
		gr, err := buildGraph(m.steps, m.InputShape, m.Classes, m.params, m.dtype, b, false, false)
		if err != nil {
			return nil, err
		}
		for i, sp := range m.statParams() {
			if err := gr.bnOps[i].SetStats(sp[0].value, sp[1].value); err != nil {
				return nil, fmt.Errorf("batch norm %d: %w", i, err)
			}
		}
		if m.small == nil {
			m.small = map[int]*graph{}
		}
		m.small[b] = gr
		return gr, nil
	}
	return m.eval, nil
}

// copyLogits copies the first len(dst) logits of an evaluation run.
func copyLogits(dst []float32, v G.Value) error {
	switch ld := v.Data().(type) {
	case []float32:
		copy(dst, ld)
	case []float64:
		for j := range dst {
			dst[j] = float32(ld[j])
		}
	default:
		return fmt.Errorf("logits are %T, not float32", ld)
	}
	return nil
}

// statParams returns the running-mean and running-variance parameters of
// each batch-norm layer, in layer order.
func (m *Model) statParams() [][2]*Param {
	var out [][2]*Param
	for i, p := range m.params {
		if !p.Learnable && i+1 < len(m.params) && !m.params[i+1].Learnable {
			out = append(out, [2]*Param{p, m.params[i+1]})
		}
	}
	return out
}

// pullStats copies the training graph's batch-norm running statistics (they
// live inside gorgonia's ops) into the model's parameters.
func (m *Model) pullStats() error {
	for i, sp := range m.statParams() {
		if sp[0].Frozen {
			// A frozen layer keeps its statistics: put them back into the
			// op, which has just updated its own copy.
			if err := m.train.bnOps[i].SetStats(sp[0].value, sp[1].value); err != nil {
				return fmt.Errorf("batch norm %d: %w", i, err)
			}
			continue
		}
		mean, variance := m.train.bnOps[i].Stats()
		copyData(sp[0].value, mean)
		copyData(sp[1].value, variance)
	}
	return nil
}

// pushStats copies the model's running statistics into both graphs' ops.
func (m *Model) pushStats() error {
	for i, sp := range m.statParams() {
		for _, gr := range append([]*graph{m.train, m.eval}, m.smallGraphs()...) {
			if err := gr.bnOps[i].SetStats(sp[0].value, sp[1].value); err != nil {
				return fmt.Errorf("batch norm %d: %w", i, err)
			}
		}
	}
	return nil
}

// smallGraphs are the small evaluation graphs built so far, by batch.
func (m *Model) smallGraphs() []*graph {
	var grs []*graph
	for _, b := range smallEvalBatches() {
		if gr := m.small[b]; gr != nil {
			grs = append(grs, gr)
		}
	}
	return grs
}

// fill copies src into the tensor t (float32 or float64) and zeroes the rest.
func fill(t *tensor.Dense, src []float32) {
	switch d := t.Data().(type) {
	case []float32:
		copy(d, src)
		clear(d[len(src):])
	case []float64:
		for i := range d {
			d[i] = 0
			if i < len(src) {
				d[i] = float64(src[i])
			}
		}
	}
}

// set writes one value into a float32 or float64 tensor.
func set(t *tensor.Dense, i int, v float64) {
	switch d := t.Data().(type) {
	case []float32:
		d[i] = float32(v)
	case []float64:
		d[i] = v
	}
}

// copyData copies the values of src into dst of the same dtype.
func copyData(dst *tensor.Dense, src tensor.Tensor) {
	switch d := dst.Data().(type) {
	case []float32:
		copy(d, src.Data().([]float32))
	case []float64:
		copy(d, src.Data().([]float64))
	}
}

// scalar reads a scalar value as float64.
func scalar(v G.Value) (float64, error) {
	switch d := v.Data().(type) {
	case float32:
		return float64(d), nil
	case float64:
		return d, nil
	case []float32:
		if len(d) == 1 {
			return float64(d[0]), nil
		}
	case []float64:
		if len(d) == 1 {
			return d[0], nil
		}
	}
	return 0, fmt.Errorf("loss is %T, not a scalar", v.Data())
}

// HasBatchNorm tells whether the model normalizes by batch statistics in
// training, so that a padded partial batch would distort them.
func (m *Model) HasBatchNorm() bool { return len(m.train.bnOps) > 0 }

// examples checks that x holds whole examples and out has room for their
// logits, and returns how many examples x holds.
func (m *Model) examples(x, out []float32) (int, error) {
	s := size(m.InputShape)
	if len(x)%s != 0 {
		return 0, fmt.Errorf("%d feature values are not whole examples of %d", len(x), s)
	}
	n := len(x) / s
	if len(out) != n*m.Classes {
		return 0, fmt.Errorf("logits buffer holds %d values, need %d", len(out), n*m.Classes)
	}
	return n, nil
}

// Freeze marks every parameter whose name starts with one of prefixes as
// frozen (and every other as not), and returns the names it froze. A
// frozen batch-norm layer (its scale matches) also keeps its running
// statistics: TrainStep no longer copies the batch statistics into them.
// An empty prefixes releases everything.
func (m *Model) Freeze(prefixes []string) []string {
	var frozen []string
	for _, p := range m.params {
		p.Frozen = false
		for _, pre := range prefixes {
			if pre != "" && strings.HasPrefix(p.Name, pre) {
				p.Frozen = true
			}
		}
		if p.Frozen {
			frozen = append(frozen, p.Name)
		}
	}
	// A batch-norm layer's running statistics follow its scale.
	for _, sp := range m.statParams() {
		i := slices.Index(m.params, sp[0])
		scaleFrozen := i >= 2 && m.params[i-2].Frozen
		sp[0].Frozen, sp[1].Frozen = scaleFrozen, scaleFrozen
	}
	return frozen
}
