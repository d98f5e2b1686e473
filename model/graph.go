package model

import (
	"fmt"
	"math"
	"runtime/debug"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/practica-ml/practica/kernels"
)

// graph is one compiled gorgonia graph over the model's weights: either the
// training graph (loss and gradients, dropout masks, batch norm in training
// mode) or the forward-only evaluation graph.
type graph struct {
	g        *G.ExprGraph
	batch    int
	training bool

	x      *G.Node
	xT     *tensor.Dense
	target *G.Node // training: batch×classes weighted targets
	targT  *tensor.Dense
	masks  []*G.Node // one dropout mask per dropout layer (training, MC dropout)
	maskT  []*tensor.Dense
	maskP  []float64 // each mask's drop probability
	logits *G.Node
	loss   *G.Node

	paramNodes []*G.Node // learnable parameters, in plan order
	gradNodes  G.Nodes   // training: their gradients, outputs of the compiled program
	bnOps      []*G.BatchNormOp

	logitsVal G.Value
	vm        G.VM
}

// guard turns a gorgonia panic into an error: gorgonia panics where it
// should return errors (compile failures, shape mismatches at run time).
func guard(what string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%s: gorgonia panicked: %v\n%s", what, r, debug.Stack())
	}
}

// layerHooks are where the graphs of one model differ: how batch norm is
// built (training and evaluation graphs: gorgonia's op; the
// input-gradient graph: the affine map of the running statistics), and
// what a dropout layer does (the training graph and MC dropout: a mask
// bound per batch; elsewhere nothing).
type layerHooks struct {
	batchNorm func(st *step, h *G.Node) (*G.Node, error)
	dropout   func(st *step, h *G.Node) (*G.Node, error)
}

// forward builds the steps from the input x (batch examples) to the
// logits, with the weights in byName: every graph of a model walks its
// layers here, so that they cannot disagree.
func forward(sts []*step, batch int, x *G.Node, byName map[string]*G.Node, hooks layerHooks) (h *G.Node, err error) {
	h = x
	for _, st := range sts {
		if h, err = st.build(h, batch, byName, hooks); err != nil {
			return nil, fmt.Errorf("layer %s %s: %w", st.index, st.layer.Type, err)
		}
	}
	return h, nil
}

// build adds one step to the graph. Where the kernels package has an op
// of its own (convolutions, pools, relu, the fused relu and 2×2 max-pool)
// it is used; the rest are gorgonia's ops, whose gradients the gradient
// checks of graph_test.go cover.
func (st *step) build(h *G.Node, batch int, byName map[string]*G.Node, hooks layerHooks) (*G.Node, error) {
	l := st.layer
	switch l.Type {
	case Conv2D:
		var b *G.Node
		if l.hasBias() {
			b = byName[st.name+".bias"]
		}
		pad := 0
		if l.Padding == "same" {
			pad = (l.Kernel - 1) / 2
		}
		return kernels.Conv2D(h, byName[st.name+".weight"], b, l.Stride, pad)
	case MaxPool:
		if st.absorbed {
			return h, nil // computed by the fused relu before it
		}
		return kernels.MaxPool2D(h, l.Size, l.Stride)
	case AvgPool:
		return kernels.AvgPool2D(h, l.Size, l.Stride)
	case GlobalAvgPool:
		return kernels.GlobalAvgPool(h)
	case Flatten:
		return G.Reshape(h, tensor.Shape{batch, size(st.in)})
	case Dense:
		if len(st.in) > 1 {
			var err error
			if h, err = G.Reshape(h, tensor.Shape{batch, size(st.in)}); err != nil {
				return nil, err
			}
		}
		xw, err := G.Mul(h, byName[st.name+".weight"])
		if err != nil || !(l.hasBias() || st.output) {
			return xw, err
		}
		return G.BroadcastAdd(xw, byName[st.name+".bias"], nil, []byte{0})
	case BatchNorm:
		return hooks.batchNorm(st, h)
	case LayerNorm:
		return layerNorm(h, batch, st, byName)
	case Dropout:
		if hooks.dropout == nil || l.P <= 0 {
			return h, nil
		}
		return hooks.dropout(st, h)
	case ReLU:
		if st.fused {
			// ReLU then max-pool, fused (kernels.ReLUMaxPool2x2: equal
			// values and gradients, two fewer passes over the activations).
			return kernels.ReLUMaxPool2x2(h)
		}
		return kernels.ReLU(h)
	case Tanh:
		return G.Tanh(h)
	case Sigmoid:
		return G.Sigmoid(h)
	case LeakyReLU:
		return G.LeakyRelu(h, l.Slope)
	case GELU:
		return gelu(h)
	case Residual:
		out, err := forward(st.inner, batch, h, byName, hooks)
		if err != nil {
			return nil, err
		}
		skip := h
		if st.proj != nil {
			if skip, err = st.proj.build(h, batch, byName, hooks); err != nil {
				return nil, err
			}
		}
		return G.Add(out, skip)
	}
	return nil, fmt.Errorf("unknown layer type %q", l.Type)
}

// constant is a scalar of h's dtype.
func constant(h *G.Node, v float64) *G.Node {
	if h.Dtype() == tensor.Float64 {
		return G.NewConstant(v)
	}
	return G.NewConstant(float32(v))
}

// gelu is the tanh approximation of GELU, x·½·(1 + tanh(√(2/π)·(x +
// 0.044715·x³))), PyTorch's gelu(approximate="tanh"): gorgonia has no erf.
func gelu(x *G.Node) (*G.Node, error) {
	x3, err := G.Cube(x)
	if err != nil {
		return nil, err
	}
	inner, err := G.Mul(x3, constant(x, 0.044715))
	if err != nil {
		return nil, err
	}
	if inner, err = G.Add(x, inner); err != nil {
		return nil, err
	}
	if inner, err = G.Mul(inner, constant(x, math.Sqrt(2/math.Pi))); err != nil {
		return nil, err
	}
	t, err := G.Tanh(inner)
	if err != nil {
		return nil, err
	}
	if t, err = G.Add(t, constant(x, 1)); err != nil {
		return nil, err
	}
	if t, err = G.Mul(t, constant(x, 0.5)); err != nil {
		return nil, err
	}
	return G.HadamardProd(x, t)
}

// layerNormEpsilon is layer norm's ε, PyTorch's default.
const layerNormEpsilon = 1e-5

// layerNorm normalizes each example over all its values, then scales and
// shifts each value: (x − mean)/√(var + ε)·scale + shift, the variance
// biased, as PyTorch's LayerNorm over the example's whole shape.
func layerNorm(h *G.Node, batch int, st *step, byName map[string]*G.Node) (*G.Node, error) {
	n := size(st.in)
	x, err := G.Reshape(h, tensor.Shape{batch, n})
	if err != nil {
		return nil, err
	}
	mean, err := G.Mean(x, 1)
	if err != nil {
		return nil, err
	}
	centered, err := G.BroadcastSub(x, mean, nil, []byte{1})
	if err != nil {
		return nil, err
	}
	sq, err := G.Square(centered)
	if err != nil {
		return nil, err
	}
	variance, err := G.Mean(sq, 1)
	if err != nil {
		return nil, err
	}
	if variance, err = G.Add(variance, constant(h, layerNormEpsilon)); err != nil {
		return nil, err
	}
	std, err := G.Sqrt(variance)
	if err != nil {
		return nil, err
	}
	y, err := G.BroadcastHadamardDiv(centered, std, nil, []byte{1})
	if err != nil {
		return nil, err
	}
	if y, err = G.BroadcastHadamardProd(y, byName[st.name+".scale"], nil, []byte{0}); err != nil {
		return nil, err
	}
	if y, err = G.BroadcastAdd(y, byName[st.name+".shift"], nil, []byte{0}); err != nil {
		return nil, err
	}
	if len(st.in) == 1 {
		return y, nil
	}
	return G.Reshape(y, append(tensor.Shape{batch}, st.in...))
}

// buildGraph builds the graph of steps over params for a fixed batch size.
func buildGraph(sts []*step, inputShape []int, classes int, params []*Param, dt tensor.Dtype, batch int, training bool, dropoutOn bool) (gr *graph, err error) {
	defer guard("building the graph", &err)
	g := G.NewGraph()
	gr = &graph{g: g, batch: batch, training: training}
	byName := map[string]*G.Node{}
	for _, p := range params {
		if !p.Learnable {
			continue
		}
		n := G.NodeFromAny(g, p.value, G.WithName(p.Name))
		byName[p.Name] = n
		gr.paramNodes = append(gr.paramNodes, n)
	}
	xShape := append([]int{batch}, inputShape...)
	gr.xT = tensor.New(tensor.Of(dt), tensor.WithShape(xShape...))
	gr.x = G.NewTensor(g, dt, len(xShape), G.WithShape(xShape...), G.WithName("x"))

	gr.logits, err = forward(sts, batch, gr.x, byName, layerHooks{
		batchNorm: func(st *step, h *G.Node) (*G.Node, error) {
			h, _, _, op, err := G.BatchNorm(h, byName[st.name+".scale"], byName[st.name+".shift"], 0.1, batchNormEpsilon)
			if err != nil {
				return nil, err
			}
			gr.bnOps = append(gr.bnOps, op)
			return h, nil
		},
		dropout: func(st *step, h *G.Node) (*G.Node, error) {
			// Masks in the training graph, and in the eval-mode graph of
			// StochasticLogits (MC dropout).
			if !dropoutOn {
				return h, nil
			}
			shape := append([]int{batch}, st.out...)
			mT := tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
			m := G.NewTensor(g, dt, len(shape), G.WithShape(shape...), G.WithName(fmt.Sprintf("dropout%d.mask", len(gr.masks))))
			gr.masks = append(gr.masks, m)
			gr.maskT = append(gr.maskT, mT)
			gr.maskP = append(gr.maskP, st.layer.P)
			return G.HadamardProd(h, m)
		},
	})
	if err != nil {
		return nil, err
	}
	if training {
		gr.targT = tensor.New(tensor.Of(dt), tensor.WithShape(batch, classes))
		gr.target = G.NewMatrix(g, dt, G.WithShape(batch, classes), G.WithName("target"))
		var logp, prod *G.Node
		if logp, err = logSoftmax(gr.logits); err != nil {
			return nil, err
		}
		if prod, err = G.HadamardProd(gr.target, logp); err != nil {
			return nil, err
		}
		if gr.loss, err = G.Sum(prod); err != nil {
			return nil, err
		}
		if gr.loss, err = G.Neg(gr.loss); err != nil {
			return nil, err
		}
		if gr.gradNodes, err = G.Grad(gr.loss, gr.paramNodes...); err != nil {
			return nil, err
		}
		// Compile only what the loss and the weights' gradients need:
		// gorgonia's whole-graph Compile also computes the gradient with
		// respect to the input batch, which nothing uses (in an MLP on
		// 784 inputs, a quarter of the multiply work).
		inputs := append(G.Nodes{gr.x, gr.target}, gr.masks...)
		prog, locMap, cerr := G.CompileFunction(g, inputs, append(G.Nodes{gr.loss}, gr.gradNodes...))
		if cerr != nil {
			return nil, cerr
		}
		gr.vm = G.NewTapeMachine(g, G.WithPrecompiled(prog, locMap))
	} else {
		G.Read(gr.logits, &gr.logitsVal)
		gr.vm = G.NewTapeMachine(g, G.EvalMode())
	}
	return gr, nil
}

// logSoftmax is a numerically stable row-wise log-softmax built from
// primitives: x - max(x) - log(sum(exp(x - max(x)))). gorgonia's own
// SoftMax/LogSoftMax take the maximum of the whole tensor's first element
// rather than each row's, so a row like [100, 0, 0] overflows.
func logSoftmax(x *G.Node) (*G.Node, error) {
	m, err := G.Max(x, 1)
	if err != nil {
		return nil, err
	}
	shifted, err := G.BroadcastSub(x, m, nil, []byte{1})
	if err != nil {
		return nil, err
	}
	e, err := G.Exp(shifted)
	if err != nil {
		return nil, err
	}
	s, err := G.Sum(e, 1)
	if err != nil {
		return nil, err
	}
	lse, err := G.Log(s)
	if err != nil {
		return nil, err
	}
	return G.BroadcastSub(shifted, lse, nil, []byte{1})
}

// run executes the graph once and resets the machine (gorgonia's RunAll
// silently does nothing on a machine that was not reset).
func (gr *graph) run() (err error) {
	defer guard("running the graph", &err)
	if err = G.Let(gr.x, gr.xT); err != nil {
		return err
	}
	if gr.training {
		if err = G.Let(gr.target, gr.targT); err != nil {
			return err
		}
	}
	for i, m := range gr.masks {
		if err = G.Let(m, gr.maskT[i]); err != nil {
			return err
		}
	}
	err = gr.vm.RunAll()
	gr.vm.Reset()
	return err
}
