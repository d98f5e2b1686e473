package kernels

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ReLU is max(x, 0) with its gradient dy·[x > 0] in one pass each;
// gorgonia's Rectify makes a mask tensor and multiplies (two passes and
// two allocations each way).
func ReLU(x *G.Node) (*G.Node, error) { return G.ApplyOp(&relu{dims: x.Dims()}, x) }

type relu struct {
	dims int
	out  outBuf
}

func (r *relu) Arity() int { return 1 }
func (r *relu) Type() hm.Type {
	t := G.TensorType{Dims: r.dims, Of: hm.TypeVariable('a')}
	return hm.NewFnType(t, t)
}
func (*relu) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("relu: shape %v", in[0])
	}
	return s.Clone(), nil
}
func (*relu) ReturnsPtr() bool        { return false }
func (*relu) CallsExtern() bool       { return false }
func (*relu) OverwritesInput() int    { return -1 }
func (r *relu) WriteHash(h hash.Hash) { fmt.Fprintf(h, "practica.relu.%d", r.dims) }
func (r *relu) Hashcode() uint32      { return hashOf(r) }
func (*relu) String() string          { return "ReLU" }
func (*relu) DiffWRT(int) []bool      { return []bool{true} }
func (r *relu) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&reluGrad{dims: r.dims}, in[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}
func (r *relu) Do(vals ...G.Value) (G.Value, error) {
	x, ok := vals[0].(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("relu: input is %T", vals[0])
	}
	out := r.out.get(x.Dtype(), x.Shape()...)
	switch xd := x.Data().(type) {
	case []float32:
		reluForward(xd, out.Data().([]float32))
	case []float64:
		reluForward(xd, out.Data().([]float64))
	default:
		return nil, fmt.Errorf("relu: dtype %v", x.Dtype())
	}
	return out, nil
}

type reluGrad struct {
	dims int
	out  outBuf
}

func (*reluGrad) Arity() int { return 2 }
func (r *reluGrad) Type() hm.Type {
	t := G.TensorType{Dims: r.dims, Of: hm.TypeVariable('a')}
	return hm.NewFnType(t, t, t)
}
func (*reluGrad) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("relu gradient: shape %v", in[0])
	}
	return s.Clone(), nil
}
func (*reluGrad) ReturnsPtr() bool        { return false }
func (*reluGrad) CallsExtern() bool       { return false }
func (*reluGrad) OverwritesInput() int    { return -1 }
func (r *reluGrad) WriteHash(h hash.Hash) { fmt.Fprintf(h, "practica.relu.grad.%d", r.dims) }
func (r *reluGrad) Hashcode() uint32      { return hashOf(r) }
func (*reluGrad) String() string          { return "ReLUGrad" }
func (r *reluGrad) Do(vals ...G.Value) (G.Value, error) {
	x, dy, err := dense2(vals[0], vals[1])
	if err != nil {
		return nil, err
	}
	dx := r.out.get(x.Dtype(), x.Shape()...)
	switch xd := x.Data().(type) {
	case []float32:
		reluBackward(xd, dy.Data().([]float32), dx.Data().([]float32))
	case []float64:
		reluBackward(xd, dy.Data().([]float64), dx.Data().([]float64))
	default:
		return nil, fmt.Errorf("relu gradient: dtype %v", x.Dtype())
	}
	return dx, nil
}

// reluForward uses the builtin max, which compiles without a branch (a
// branch on the sign mispredicts half the time) and keeps NaN, as a
// diverged run must show in its loss.
func reluForward[T float32 | float64](x, y []T) {
	split(len(x), len(x), func(lo, hi int) { reluForwardSlice(x[lo:hi], y[lo:hi]) })
}

// The loops live outside the closures above, where the compiler inlines
// b2i and drops bounds checks; inside a generic closure it does neither
// (a 6× slower loop).
func reluForwardSlice[T float32 | float64](x, y []T) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = max(v, 0)
	}
}

// reluBackward passes dy where x > 0, selecting without a branch.
func reluBackward[T float32 | float64](x, dy, dx []T) {
	split(len(x), len(x), func(lo, hi int) { reluBackwardSlice(x[lo:hi], dy[lo:hi], dx[lo:hi]) })
}

func reluBackwardSlice[T float32 | float64](x, dy, dx []T) {
	dy, dx = dy[:len(x)], dx[:len(x)]
	for i, v := range x {
		dx[i] = dy[i] * T(b2i(v > 0))
	}
}

// b2i is 1 for true and 0 for false; the compiler turns it into a SETcc.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ReLUForward writes max(x, 0) into y, the values of the ReLU op, for
// executors that run a model without gorgonia's machine.
func ReLUForward(x, y []float32) { reluForward(x, y) }

// ReLUBackward writes dy where x > 0 and 0 elsewhere into dx (which may
// be dy), the values of the ReLU op's gradient. x may be the ReLU's
// output instead of its input: both are positive at the same places.
func ReLUBackward(x, dy, dx []float32) { reluBackward(x, dy, dx) }
