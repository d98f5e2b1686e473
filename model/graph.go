package model

import (
	"fmt"
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
	masks  []*G.Node // training: one dropout mask per dense hidden layer
	maskT  []*tensor.Dense
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

// layerHooks are where the graphs of one spec differ: how a convolution's
// batch norm is built (training and evaluation graphs: gorgonia's op; the
// input-gradient graph: the affine map of the running statistics), and
// what follows a dense hidden layer's activation (dropout masks).
type layerHooks struct {
	batchNorm   func(layer, channels int, h *G.Node) (*G.Node, error)
	afterHidden func(layer, units int, h *G.Node) (*G.Node, error)
}

// forward builds spec's layers from the input x (batch examples of
// inputShape) to the logits, with the weights in byName: every graph of
// a model walks its architecture here, so that they cannot disagree.
func forward(spec Spec, inputShape []int, batch int, x *G.Node, byName map[string]*G.Node, hooks layerHooks) (h *G.Node, err error) {
	h = x
	if spec.Arch == CNN {
		c, hh, ww := inputShape[0], inputShape[1], inputShape[2]
		for i, out := range spec.Channels {
			if spec.BatchNorm {
				if h, err = kernels.Conv3x3(h, byName[fmt.Sprintf("conv%d.weight", i)], nil); err != nil {
					return nil, err
				}
				if h, err = hooks.batchNorm(i, out, h); err != nil {
					return nil, err
				}
			} else if h, err = kernels.Conv3x3(h, byName[fmt.Sprintf("conv%d.weight", i)], byName[fmt.Sprintf("conv%d.bias", i)]); err != nil {
				return nil, err
			}
			// ReLU then max-pool, fused (kernels.ReLUMaxPool2x2: equal
			// values and gradients, two fewer passes over the activations).
			if h, err = kernels.ReLUMaxPool2x2(h); err != nil {
				return nil, err
			}
			c, hh, ww = out, hh/2, ww/2
		}
		if h, err = G.Reshape(h, tensor.Shape{batch, c * hh * ww}); err != nil {
			return nil, err
		}
	} else if len(inputShape) > 1 {
		if h, err = G.Reshape(h, tensor.Shape{batch, size(inputShape)}); err != nil {
			return nil, err
		}
	}
	if spec.Arch != Linear {
		for i, out := range spec.Hidden {
			if h, err = dense(h, byName[fmt.Sprintf("dense%d.weight", i)], byName[fmt.Sprintf("dense%d.bias", i)]); err != nil {
				return nil, err
			}
			if spec.Activation == "tanh" {
				h, err = G.Tanh(h)
			} else {
				h, err = kernels.ReLU(h)
			}
			if err != nil {
				return nil, err
			}
			if hooks.afterHidden != nil {
				if h, err = hooks.afterHidden(i, out, h); err != nil {
					return nil, err
				}
			}
		}
	}
	return dense(h, byName["out.weight"], byName["out.bias"])
}

// buildGraph builds the graph of spec over params for a fixed batch size.
func buildGraph(spec Spec, inputShape []int, classes int, params []*Param, dt tensor.Dtype, batch int, training bool, dropoutOn bool) (gr *graph, err error) {
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

	gr.logits, err = forward(spec, inputShape, batch, gr.x, byName, layerHooks{
		batchNorm: func(i, _ int, h *G.Node) (*G.Node, error) {
			h, _, _, op, err := G.BatchNorm(h, byName[fmt.Sprintf("bn%d.scale", i)], byName[fmt.Sprintf("bn%d.shift", i)], 0.1, 1e-5)
			if err != nil {
				return nil, err
			}
			gr.bnOps = append(gr.bnOps, op)
			return h, nil
		},
		afterHidden: func(i, out int, h *G.Node) (*G.Node, error) {
			// Masks in the training graph, and in the eval-mode graph of
			// StochasticLogits (MC dropout).
			if !dropoutOn || spec.Dropout <= 0 {
				return h, nil
			}
			mT := tensor.New(tensor.Of(dt), tensor.WithShape(batch, out))
			m := G.NewMatrix(g, dt, G.WithShape(batch, out), G.WithName(fmt.Sprintf("dropout%d.mask", i)))
			gr.masks = append(gr.masks, m)
			gr.maskT = append(gr.maskT, mT)
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

// dense is x·W + b with b of shape (1, out) broadcast over the batch.
func dense(x, w, b *G.Node) (*G.Node, error) {
	xw, err := G.Mul(x, w)
	if err != nil {
		return nil, err
	}
	return G.BroadcastAdd(xw, b, nil, []byte{0})
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
