package model

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// batchNormEpsilon is the ε buildGraph gives G.BatchNorm; the input
// gradient graph folds the running statistics with the same ε.
const batchNormEpsilon = 1e-5

// InputGradient is a forward graph of a fixed batch, in eval mode, whose
// input is differentiated: for each example, the gradient of one chosen
// logit with respect to the model's (normalized) input. Attribution methods
// such as Integrated Gradients are made of it.
//
// It is a graph of its own: the training graph stays compiled without the
// input's gradient, which it does not need. Batch norm is built here as the
// per-channel affine map it is in eval mode, from the running statistics,
// not with G.BatchNorm: gorgonia's batch-norm gradient on N×C×H×W inputs
// divides by the statistics of the last training batch even in eval mode,
// so the input gradient through it would be wrong.
//
// An InputGradient reads the model's weights when it runs (it shares their
// tensors) and is not safe for use by several goroutines at once.
type InputGradient struct {
	m     *Model
	batch int

	x      *G.Node
	xT     *tensor.Dense
	sel    *G.Node // batch×classes: one-hot rows choosing each example's logit
	selT   *tensor.Dense
	logits *G.Node
	dx     *G.Node
	// logitsVal is the logits as read before the selection multiplies
	// them (gorgonia reuses the logits' memory for the product).
	logitsVal G.Value
	// bnScale and bnShift are each batch-norm layer's running statistics
	// folded into x·scale + shift (shape 1×C×1×1), refreshed before a run.
	bnScale, bnShift []*tensor.Dense
	vm               G.VM
}

// NewInputGradient builds the input-gradient graph for batches of up to
// batch examples.
func (m *Model) NewInputGradient(batch int) (ig *InputGradient, err error) {
	if batch <= 0 {
		return nil, fmt.Errorf("input gradient batch must be > 0, got %d", batch)
	}
	defer guard("building the input gradient graph", &err)
	g := G.NewGraph()
	ig = &InputGradient{m: m, batch: batch}
	byName := map[string]*G.Node{}
	for _, p := range m.params {
		if p.Learnable {
			byName[p.Name] = G.NodeFromAny(g, p.value, G.WithName(p.Name))
		}
	}
	dt := m.dtype
	xShape := append([]int{batch}, m.InputShape...)
	ig.xT = tensor.New(tensor.Of(dt), tensor.WithShape(xShape...))
	ig.x = G.NewTensor(g, dt, len(xShape), G.WithShape(xShape...), G.WithName("x"))
	if ig.logits, err = forward(m.steps, batch, ig.x, byName, layerHooks{
		batchNorm: func(st *step, h *G.Node) (*G.Node, error) {
			return ig.foldedBatchNorm(g, h, st.in, byName[st.name+".scale"], byName[st.name+".shift"])
		},
	}); err != nil {
		return nil, err
	}
	ig.selT = tensor.New(tensor.Of(dt), tensor.WithShape(batch, m.Classes))
	ig.sel = G.NewMatrix(g, dt, G.WithShape(batch, m.Classes), G.WithName("select"))
	// Rows do not interact in eval mode, so the gradient of the sum of the
	// chosen logits is, row by row, the gradient of each row's own.
	chosen, err := G.HadamardProd(ig.logits, ig.sel)
	if err != nil {
		return nil, err
	}
	total, err := G.Sum(chosen)
	if err != nil {
		return nil, err
	}
	grads, err := G.Grad(total, ig.x)
	if err != nil {
		return nil, err
	}
	ig.dx = grads[0]
	read := G.Read(ig.logits, &ig.logitsVal)
	prog, locMap, err := G.CompileFunction(g, G.Nodes{ig.x, ig.sel}, G.Nodes{read, ig.dx})
	if err != nil {
		return nil, err
	}
	ig.vm = G.NewTapeMachine(g, G.WithPrecompiled(prog, locMap))
	return ig, nil
}

// foldedBatchNorm is eval-mode batch norm of h (N×C×H×W, or N×C after a
// dense layer; in is one example's shape) as (h·a + b)·scale + shift, a
// and b per channel from the running statistics (bound in refreshStats),
// in the order gorgonia's BatchNorm computes it.
func (ig *InputGradient) foldedBatchNorm(g *G.ExprGraph, h *G.Node, in []int, scale, shift *G.Node) (*G.Node, error) {
	dt := ig.m.dtype
	channels := in[0]
	shape, bcast := []int{1, channels}, []byte{0}
	if len(in) == 3 {
		shape, bcast = []int{1, channels, 1, 1}, []byte{0, 2, 3}
	}
	a := tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
	b := tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
	ig.bnScale, ig.bnShift = append(ig.bnScale, a), append(ig.bnShift, b)
	k := len(ig.bnScale) - 1
	an := G.NodeFromAny(g, a, G.WithName(fmt.Sprintf("bn%d.folded_scale", k)))
	bn := G.NodeFromAny(g, b, G.WithName(fmt.Sprintf("bn%d.folded_shift", k)))
	h, err := G.BroadcastHadamardProd(h, an, nil, bcast)
	if err != nil {
		return nil, err
	}
	if h, err = G.BroadcastAdd(h, bn, nil, bcast); err != nil {
		return nil, err
	}
	if h, err = G.BroadcastHadamardProd(h, scale, nil, bcast); err != nil {
		return nil, err
	}
	return G.BroadcastAdd(h, shift, nil, bcast)
}

// refreshStats folds the model's current running statistics into the
// graph's per-channel constants: a = 1/√(var+ε), b = −mean·a.
func (ig *InputGradient) refreshStats() {
	for i, sp := range ig.m.statParams() {
		switch a := ig.bnScale[i].Data().(type) {
		case []float32:
			mean, variance, b := sp[0].value.Data().([]float32), sp[1].value.Data().([]float32), ig.bnShift[i].Data().([]float32)
			for c := range a {
				a[c] = 1 / float32(math.Sqrt(float64(variance[c]+batchNormEpsilon)))
				b[c] = -mean[c] * a[c]
			}
		case []float64:
			mean, variance, b := sp[0].value.Data().([]float64), sp[1].value.Data().([]float64), ig.bnShift[i].Data().([]float64)
			for c := range a {
				a[c] = 1 / math.Sqrt(variance[c]+batchNormEpsilon)
				b[c] = -mean[c] * a[c]
			}
		}
	}
}

// Batch is the most examples one Run takes.
func (ig *InputGradient) Batch() int { return ig.batch }

// Run evaluates the n ≤ Batch() examples in x (normalized, row-major) and
// writes their n×Classes logits into logits and, for each example i, the
// gradient of its logit of class classes[i] with respect to its input into
// grads (n×input size).
func (ig *InputGradient) Run(x []float32, classes []int, logits, grads []float32) (err error) {
	m := ig.m
	n, err := m.examples(x, logits)
	if err != nil {
		return err
	}
	switch {
	case n > ig.batch:
		return fmt.Errorf("%d examples do not fit the input gradient graph of %d", n, ig.batch)
	case len(classes) != n:
		return fmt.Errorf("%d examples need %d chosen classes, got %d", n, n, len(classes))
	case len(grads) != len(x):
		return fmt.Errorf("gradient buffer holds %d values, need %d", len(grads), len(x))
	}
	sel := make([]float32, n*m.Classes)
	for i, c := range classes {
		if c < 0 || c >= m.Classes {
			return fmt.Errorf("example %d: class %d is not one of the model's %d", i, c, m.Classes)
		}
		sel[i*m.Classes+c] = 1
	}
	fill(ig.xT, x)
	fill(ig.selT, sel)
	ig.refreshStats()
	defer guard("running the input gradient graph", &err)
	if err = G.Let(ig.x, ig.xT); err != nil {
		return err
	}
	if err = G.Let(ig.sel, ig.selT); err != nil {
		return err
	}
	err = ig.vm.RunAll()
	ig.vm.Reset()
	if err != nil {
		return err
	}
	if err := copyLogits(logits, ig.logitsVal); err != nil {
		return err
	}
	return copyLogits(grads, ig.dx.Value())
}

// Close releases the graph's machine.
func (ig *InputGradient) Close() error { return ig.vm.Close() }
