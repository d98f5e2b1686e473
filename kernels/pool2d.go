package kernels

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MaxPool2D takes the maximum of each size×size window of x (N×C×H×W),
// windows stride apart with no padding: the output is N×C×Ho×Wo with
// Ho = ⌊(H−size)/stride⌋+1 and likewise Wo (rows and columns no window
// reaches are dropped). size 2 with stride 2 is MaxPool2x2's op, the same
// node and bits.
//
// The gradient goes to the window's first maximum in row-major order
// (PyTorch's choice on ties); with overlapping windows (stride < size)
// an input gets the sum of its windows' gradients, added in window order.
// NaN propagates: a window holding NaN outputs NaN, and its gradient goes
// to its first NaN. MaxPool2x2, and so MaxPool2D(x, 2, 2), has a rule of
// its own for a window whose NaN is not its first element: in float32 it
// outputs NaN but passes the gradient to the first maximum of the numbers,
// in float64 it outputs that maximum.
func MaxPool2D(x *G.Node, size, stride int) (*G.Node, error) {
	if err := checkPool("max-pool", x.Shape(), size, stride); err != nil {
		return nil, err
	}
	if size == 2 && stride == 2 {
		return MaxPool2x2(x)
	}
	return G.ApplyOp(&pool2d{size: size, stride: stride}, x)
}

// AvgPool2D takes the mean of each size×size window of x (N×C×H×W), with
// MaxPool2D's geometry: no padding, so every window holds size² inputs.
// The gradient of a window, dy/size², goes to each of its inputs; with
// overlapping windows an input gets the sum of its windows', added in
// window order. Window sums are accumulated in float64.
func AvgPool2D(x *G.Node, size, stride int) (*G.Node, error) {
	if err := checkPool("average-pool", x.Shape(), size, stride); err != nil {
		return nil, err
	}
	return G.ApplyOp(&pool2d{avg: true, size: size, stride: stride}, x)
}

// GlobalAvgPool is the mean of each channel of x (N×C×H×W) over its H×W
// positions, an N×C matrix; the gradient dy/(H·W) goes to every position.
// Sums are accumulated in float64.
func GlobalAvgPool(x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if len(s) != 4 || s[0] < 1 || s[1] < 1 || s[2] < 1 || s[3] < 1 {
		return nil, fmt.Errorf("global average-pool needs an N×C×H×W input, got shape %v", s)
	}
	return G.ApplyOp(&globalAvgPool{}, x)
}

func checkPool(what string, s tensor.Shape, size, stride int) error {
	if len(s) != 4 || s[0] < 1 || s[1] < 1 || s[2] < 1 || s[3] < 1 {
		return fmt.Errorf("%s needs an N×C×H×W input, got shape %v", what, s)
	}
	if size < 1 || stride < 1 {
		return fmt.Errorf("%s: window %d and stride %d for input %v (want both ≥ 1)", what, size, stride, s)
	}
	if size > s[2] || size > s[3] {
		return fmt.Errorf("%s: window %d×%d is larger than input %v", what, size, size, s)
	}
	return nil
}

// pool2d is MaxPool2D's op (other than MaxPool2x2's case) and AvgPool2D's.
type pool2d struct {
	avg          bool
	size, stride int
	out          outBuf
}

func (p *pool2d) name() string {
	if p.avg {
		return "average-pool"
	}
	return "max-pool"
}

func (*pool2d) Arity() int    { return 1 }
func (*pool2d) Type() hm.Type { return hm.NewFnType(t4(), t4()) }
func (p *pool2d) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("%s: input shape %v", p.name(), in[0])
	}
	if err := checkPool(p.name(), s, p.size, p.stride); err != nil {
		return nil, err
	}
	return tensor.Shape{s[0], s[1], convOut(s[2], p.size, p.stride, 0), convOut(s[3], p.size, p.stride, 0)}, nil
}
func (*pool2d) ReturnsPtr() bool     { return false }
func (*pool2d) CallsExtern() bool    { return false }
func (*pool2d) OverwritesInput() int { return -1 }
func (p *pool2d) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "practica.pool2d.avg=%v.size=%d.stride=%d", p.avg, p.size, p.stride)
}
func (p *pool2d) Hashcode() uint32 { return hashOf(p) }
func (p *pool2d) String() string {
	if p.avg {
		return fmt.Sprintf("AvgPool2D(%d,stride=%d)", p.size, p.stride)
	}
	return fmt.Sprintf("MaxPool2D(%d,stride=%d)", p.size, p.stride)
}
func (*pool2d) DiffWRT(int) []bool { return []bool{true} }

func (p *pool2d) SymDiff(in G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	xs := in[0].Shape()
	g := &pool2dGrad{avg: p.avg, size: p.size, stride: p.stride, h: xs[2], w: xs[3]}
	var dx *G.Node
	var err error
	if p.avg {
		dx, err = G.ApplyOp(g, grad)
	} else {
		dx, err = G.ApplyOp(g, in[0], grad)
	}
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

func (p *pool2d) Do(vals ...G.Value) (G.Value, error) {
	x, ok := vals[0].(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("%s: input is %T", p.name(), vals[0])
	}
	s := x.Shape()
	if err := checkPool(p.name(), s, p.size, p.stride); err != nil {
		return nil, err
	}
	pg := poolGeom{planes: s[0] * s[1], h: s[2], w: s[3], size: p.size, stride: p.stride}
	pg.ho, pg.wo = convOut(pg.h, p.size, p.stride, 0), convOut(pg.w, p.size, p.stride, 0)
	out := p.out.get(x.Dtype(), s[0], s[1], pg.ho, pg.wo)
	switch xd := x.Data().(type) {
	case []float32:
		poolForward2D(pg, xd, out.Data().([]float32), p.avg)
	case []float64:
		poolForward2D(pg, xd, out.Data().([]float64), p.avg)
	default:
		return nil, fmt.Errorf("%s: dtype %v", p.name(), x.Dtype())
	}
	return out, nil
}

// pool2dGrad is the gradient of pool2d: from x and dy for max-pooling
// (each window's winner is found again, so the forward op keeps no
// state), from dy alone for average-pooling. The input's height and width
// are the op's, since the floor in Ho and Wo loses them.
type pool2dGrad struct {
	avg                bool
	size, stride, h, w int
	out                outBuf
}

func (g *pool2dGrad) name() string {
	if g.avg {
		return "average-pool gradient"
	}
	return "max-pool gradient"
}

func (g *pool2dGrad) Arity() int {
	if g.avg {
		return 1
	}
	return 2
}
func (g *pool2dGrad) Type() hm.Type {
	if g.avg {
		return hm.NewFnType(t4(), t4())
	}
	return hm.NewFnType(t4(), t4(), t4())
}
func (g *pool2dGrad) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	dy, ok := in[len(in)-1].(tensor.Shape)
	if !ok || len(dy) != 4 {
		return nil, fmt.Errorf("%s: output gradient shape %v", g.name(), in[len(in)-1])
	}
	return tensor.Shape{dy[0], dy[1], g.h, g.w}, nil
}
func (*pool2dGrad) ReturnsPtr() bool     { return false }
func (*pool2dGrad) CallsExtern() bool    { return false }
func (*pool2dGrad) OverwritesInput() int { return -1 }
func (g *pool2dGrad) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "practica.pool2d.grad.avg=%v.size=%d.stride=%d.h=%d.w=%d", g.avg, g.size, g.stride, g.h, g.w)
}
func (g *pool2dGrad) Hashcode() uint32 { return hashOf(g) }
func (g *pool2dGrad) String() string {
	if g.avg {
		return "AvgPool2DGrad"
	}
	return "MaxPool2DGrad"
}

func (g *pool2dGrad) Do(vals ...G.Value) (G.Value, error) {
	dy, ok := vals[len(vals)-1].(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("%s: output gradient is %T", g.name(), vals[len(vals)-1])
	}
	ds := dy.Shape()
	if len(ds) != 4 {
		return nil, fmt.Errorf("%s: output gradient shape %v", g.name(), ds)
	}
	xs := tensor.Shape{ds[0], ds[1], g.h, g.w}
	if err := checkPool(g.name(), xs, g.size, g.stride); err != nil {
		return nil, err
	}
	pg := poolGeom{planes: ds[0] * ds[1], h: g.h, w: g.w, size: g.size, stride: g.stride}
	pg.ho, pg.wo = convOut(g.h, g.size, g.stride, 0), convOut(g.w, g.size, g.stride, 0)
	if ds[2] != pg.ho || ds[3] != pg.wo {
		return nil, fmt.Errorf("%s: output gradient %v for input %v", g.name(), ds, xs)
	}
	var x *tensor.Dense
	if !g.avg {
		if x, ok = vals[0].(*tensor.Dense); !ok || !x.Shape().Eq(xs) || x.Dtype() != dy.Dtype() {
			return nil, fmt.Errorf("%s: input %v and output gradient %v", g.name(), vals[0], ds)
		}
	}
	dx := g.out.get(dy.Dtype(), xs...)
	switch dyd := dy.Data().(type) {
	case []float32:
		if g.avg {
			avgPoolBackward2D(pg, dyd, dx.Data().([]float32))
		} else {
			maxPoolBackward2D(pg, x.Data().([]float32), dyd, dx.Data().([]float32))
		}
	case []float64:
		if g.avg {
			avgPoolBackward2D(pg, dyd, dx.Data().([]float64))
		} else {
			maxPoolBackward2D(pg, x.Data().([]float64), dyd, dx.Data().([]float64))
		}
	default:
		return nil, fmt.Errorf("%s: dtype %v", g.name(), dy.Dtype())
	}
	return dx, nil
}

// poolGeom is a pooling's geometry over planes = N·C planes of H×W.
type poolGeom struct {
	planes, h, w, size, stride, ho, wo int
}

// The float32 and float64 paths are the same generic loops, instantiated
// apart (their shapes differ), run over the planes in two halves when
// there is enough work; each plane is one goroutine's, so the results do
// not depend on the split. The loops live outside the closures, as in
// relu.go.

func poolForward2D[T float32 | float64](pg poolGeom, x, y []T, avg bool) {
	split(pg.planes, pg.planes*pg.h*pg.w, func(lo, hi int) {
		if avg {
			avgPoolPlanes(pg, x, y, lo, hi)
		} else {
			maxPoolPlanes(pg, x, y, lo, hi)
		}
	})
}

func maxPoolBackward2D[T float32 | float64](pg poolGeom, x, dy, dx []T) {
	split(pg.planes, pg.planes*pg.h*pg.w, func(lo, hi int) { maxPoolGradPlanes(pg, x, dy, dx, lo, hi) })
}

func avgPoolBackward2D[T float32 | float64](pg poolGeom, dy, dx []T) {
	split(pg.planes, pg.planes*pg.h*pg.w, func(lo, hi int) { avgPoolGradPlanes(pg, dy, dx, lo, hi) })
}

// maxWindow returns the offset in the plane of the winner of the window
// whose top left is (top, left): the first maximum in row-major order, or
// the first NaN, which wins over any number.
func maxWindow[T float32 | float64](in []T, w, top, left, size int) int {
	best := top*w + left
	bv := in[best]
	if bv != bv {
		return best
	}
	for a := 0; a < size; a++ {
		o := (top+a)*w + left
		for b, v := range in[o : o+size] {
			if v > bv {
				best, bv = o+b, v
			} else if v != v {
				return o + b
			}
		}
	}
	return best
}

func maxPoolPlanes[T float32 | float64](pg poolGeom, x, y []T, lo, hi int) {
	hw, howo := pg.h*pg.w, pg.ho*pg.wo
	for p := lo; p < hi; p++ {
		in, out := x[p*hw:(p+1)*hw], y[p*howo:(p+1)*howo]
		for i := 0; i < pg.ho; i++ {
			for j := 0; j < pg.wo; j++ {
				out[i*pg.wo+j] = in[maxWindow(in, pg.w, i*pg.stride, j*pg.stride, pg.size)]
			}
		}
	}
}

func maxPoolGradPlanes[T float32 | float64](pg poolGeom, x, dy, dx []T, lo, hi int) {
	hw, howo := pg.h*pg.w, pg.ho*pg.wo
	clear(dx[lo*hw : hi*hw])
	for p := lo; p < hi; p++ {
		in, g, out := x[p*hw:(p+1)*hw], dy[p*howo:(p+1)*howo], dx[p*hw:(p+1)*hw]
		for i := 0; i < pg.ho; i++ {
			for j := 0; j < pg.wo; j++ {
				out[maxWindow(in, pg.w, i*pg.stride, j*pg.stride, pg.size)] += g[i*pg.wo+j]
			}
		}
	}
}

func avgPoolPlanes[T float32 | float64](pg poolGeom, x, y []T, lo, hi int) {
	hw, howo := pg.h*pg.w, pg.ho*pg.wo
	area := float64(pg.size * pg.size)
	for p := lo; p < hi; p++ {
		in, out := x[p*hw:(p+1)*hw], y[p*howo:(p+1)*howo]
		for i := 0; i < pg.ho; i++ {
			for j := 0; j < pg.wo; j++ {
				var s float64
				for a := 0; a < pg.size; a++ {
					o := (i*pg.stride+a)*pg.w + j*pg.stride
					for _, v := range in[o : o+pg.size] {
						s += float64(v)
					}
				}
				out[i*pg.wo+j] = T(s / area)
			}
		}
	}
}

func avgPoolGradPlanes[T float32 | float64](pg poolGeom, dy, dx []T, lo, hi int) {
	hw, howo := pg.h*pg.w, pg.ho*pg.wo
	area := T(pg.size * pg.size)
	clear(dx[lo*hw : hi*hw])
	for p := lo; p < hi; p++ {
		g, out := dy[p*howo:(p+1)*howo], dx[p*hw:(p+1)*hw]
		for i := 0; i < pg.ho; i++ {
			for j := 0; j < pg.wo; j++ {
				v := g[i*pg.wo+j] / area
				for a := 0; a < pg.size; a++ {
					o := (i*pg.stride+a)*pg.w + j*pg.stride
					row := out[o : o+pg.size]
					for b := range row {
						row[b] += v
					}
				}
			}
		}
	}
}

// globalAvgPool is GlobalAvgPool's op.
type globalAvgPool struct{ out outBuf }

func t2() G.TensorType { return G.TensorType{Dims: 2, Of: hm.TypeVariable('a')} }

func (*globalAvgPool) Arity() int    { return 1 }
func (*globalAvgPool) Type() hm.Type { return hm.NewFnType(t4(), t2()) }
func (*globalAvgPool) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != 4 {
		return nil, fmt.Errorf("global average-pool: input shape %v is not N×C×H×W", in[0])
	}
	return tensor.Shape{s[0], s[1]}, nil
}
func (*globalAvgPool) ReturnsPtr() bool      { return false }
func (*globalAvgPool) CallsExtern() bool     { return false }
func (*globalAvgPool) OverwritesInput() int  { return -1 }
func (*globalAvgPool) WriteHash(h hash.Hash) { h.Write([]byte("practica.globalavgpool")) }
func (p *globalAvgPool) Hashcode() uint32    { return hashOf(p) }
func (*globalAvgPool) String() string        { return "GlobalAvgPool" }
func (*globalAvgPool) DiffWRT(int) []bool    { return []bool{true} }

func (*globalAvgPool) SymDiff(in G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	xs := in[0].Shape()
	dx, err := G.ApplyOp(&globalAvgPoolGrad{h: xs[2], w: xs[3]}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

func (p *globalAvgPool) Do(vals ...G.Value) (G.Value, error) {
	x, ok := vals[0].(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("global average-pool: input is %T", vals[0])
	}
	s := x.Shape()
	if len(s) != 4 {
		return nil, fmt.Errorf("global average-pool: input shape %v is not N×C×H×W", s)
	}
	out := p.out.get(x.Dtype(), s[0], s[1])
	switch xd := x.Data().(type) {
	case []float32:
		globalAvgForward(xd, out.Data().([]float32), s[0]*s[1], s[2]*s[3])
	case []float64:
		globalAvgForward(xd, out.Data().([]float64), s[0]*s[1], s[2]*s[3])
	default:
		return nil, fmt.Errorf("global average-pool: dtype %v", x.Dtype())
	}
	return out, nil
}

// globalAvgPoolGrad spreads dy (N×C) over N×C×H×W.
type globalAvgPoolGrad struct {
	h, w int
	out  outBuf
}

func (*globalAvgPoolGrad) Arity() int    { return 1 }
func (*globalAvgPoolGrad) Type() hm.Type { return hm.NewFnType(t2(), t4()) }
func (g *globalAvgPoolGrad) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != 2 {
		return nil, fmt.Errorf("global average-pool gradient: shape %v is not N×C", in[0])
	}
	return tensor.Shape{s[0], s[1], g.h, g.w}, nil
}
func (*globalAvgPoolGrad) ReturnsPtr() bool     { return false }
func (*globalAvgPoolGrad) CallsExtern() bool    { return false }
func (*globalAvgPoolGrad) OverwritesInput() int { return -1 }
func (g *globalAvgPoolGrad) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "practica.globalavgpool.grad.h=%d.w=%d", g.h, g.w)
}
func (g *globalAvgPoolGrad) Hashcode() uint32 { return hashOf(g) }
func (*globalAvgPoolGrad) String() string     { return "GlobalAvgPoolGrad" }

func (g *globalAvgPoolGrad) Do(vals ...G.Value) (G.Value, error) {
	dy, ok := vals[0].(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("global average-pool gradient: input is %T", vals[0])
	}
	s := dy.Shape()
	if len(s) != 2 {
		return nil, fmt.Errorf("global average-pool gradient: shape %v is not N×C", s)
	}
	dx := g.out.get(dy.Dtype(), s[0], s[1], g.h, g.w)
	switch d := dy.Data().(type) {
	case []float32:
		globalAvgBackward(d, dx.Data().([]float32), s[0]*s[1], g.h*g.w)
	case []float64:
		globalAvgBackward(d, dx.Data().([]float64), s[0]*s[1], g.h*g.w)
	default:
		return nil, fmt.Errorf("global average-pool gradient: dtype %v", dy.Dtype())
	}
	return dx, nil
}

func globalAvgForward[T float32 | float64](x, y []T, planes, hw int) {
	split(planes, planes*hw, func(lo, hi int) { globalAvgPlanes(x, y, hw, lo, hi) })
}

func globalAvgPlanes[T float32 | float64](x, y []T, hw, lo, hi int) {
	for p := lo; p < hi; p++ {
		var s float64
		for _, v := range x[p*hw : (p+1)*hw] {
			s += float64(v)
		}
		y[p] = T(s / float64(hw))
	}
}

func globalAvgBackward[T float32 | float64](dy, dx []T, planes, hw int) {
	split(planes, planes*hw, func(lo, hi int) { globalAvgGradPlanes(dy, dx, hw, lo, hi) })
}

func globalAvgGradPlanes[T float32 | float64](dy, dx []T, hw, lo, hi int) {
	area := T(hw)
	for p := lo; p < hi; p++ {
		v := dy[p] / area
		row := dx[p*hw : (p+1)*hw]
		for i := range row {
			row[i] = v
		}
	}
}
