package kernels

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Conv2D convolves x (N×C×H×W) with the square filters w (O×C×K×K), with
// a zero border of pad on every side and the given stride, and adds the
// bias b (1×O×1×1) when b is not nil. The output is N×O×Ho×Wo with
// Ho = ⌊(H+2·pad−K)/stride⌋+1 and likewise Wo: rows and columns a window
// starting at them would not fit are dropped, as in gorgonia and PyTorch.
//
// A 3×3 convolution with stride 1 and padding 1 is Conv3x3's op, the
// same node and bits. Any other is laid out as Conv3x3 is: each image is
// unfolded to (C·K·K)×(Ho·Wo), packed for the multiply straight from the
// image, and multiplied from the left by the O×(C·K·K) filter matrix,
// which gives N×O×Ho×Wo directly; a 1×1 convolution with stride 1 and no
// padding multiplies the image itself. Images are split between two
// goroutines, and the filter gradient sums the two halves in a fixed
// order, so results are reproducible and an image's output and input
// gradient do not depend on the rest of the batch.
//
// Shapes that do not fit (a filter that is not square, channels that
// differ, a kernel larger than the padded input, stride < 1, pad < 0, a
// bias that is not 1×O×1×1) are an error naming them.
func Conv2D(x, w, b *G.Node, stride, pad int) (*G.Node, error) {
	var bs tensor.Shape
	if b != nil {
		bs = b.Shape()
	}
	if err := checkConv2D(x.Shape(), w.Shape(), bs, b != nil, stride, pad); err != nil {
		return nil, err
	}
	k := w.Shape()[2]
	if k == 3 && stride == 1 && pad == 1 {
		return Conv3x3(x, w, b)
	}
	op := &conv2d{k: k, stride: stride, pad: pad, bias: b != nil}
	if b == nil {
		return G.ApplyOp(op, x, w)
	}
	return G.ApplyOp(op, x, w, b)
}

// maxConvPlanes bounds C·(H+2·pad)·(W+2·pad): the float32 path addresses
// an image by 32-bit offsets.
const maxConvPlanes = 1<<31 - 1

// checkConv2D says why a convolution of x by w (and a bias of shape bs)
// cannot be computed, or returns nil.
func checkConv2D(xs, ws, bs tensor.Shape, bias bool, stride, pad int) error {
	if len(xs) != 4 || len(ws) != 4 || ws[2] != ws[3] || ws[1] != xs[1] {
		return fmt.Errorf("conv2d: input %v and filter %v do not fit (want N×C×H×W and O×C×K×K)", xs, ws)
	}
	for _, d := range append(xs.Clone(), ws...) {
		if d < 1 {
			return fmt.Errorf("conv2d: input %v and filter %v have an empty dimension", xs, ws)
		}
	}
	if stride < 1 || pad < 0 {
		return fmt.Errorf("conv2d: stride %d and padding %d for input %v and filter %v (want stride ≥ 1, padding ≥ 0)", stride, pad, xs, ws)
	}
	if k := ws[2]; xs[2]+2*pad < k || xs[3]+2*pad < k {
		return fmt.Errorf("conv2d: filter %v is larger than input %v padded by %d", ws, xs, pad)
	}
	if xs[1]*(xs[2]+2*pad)*(xs[3]+2*pad) > maxConvPlanes {
		return fmt.Errorf("conv2d: input %v padded by %d is too large (over 2³¹ values per image)", xs, pad)
	}
	if bias && (len(bs) != 4 || bs[0] != 1 || bs[1] != ws[0] || bs[2] != 1 || bs[3] != 1) {
		return fmt.Errorf("conv2d: bias %v for filter %v (want 1×%d×1×1)", bs, ws, ws[0])
	}
	return nil
}

// convOut is the output size of a convolution (or pooling) window of k
// along an input of n with the given stride and padding, once the window
// is known to fit.
func convOut(n, k, stride, pad int) int { return (n+2*pad-k)/stride + 1 }

// conv2d is the op of every Conv2D other than Conv3x3's case.
type conv2d struct {
	k, stride, pad int
	bias           bool
	out            outBuf
	scratch        convScratch
	geom           geomCache
}

func (c *conv2d) Arity() int {
	if c.bias {
		return 3
	}
	return 2
}
func (c *conv2d) Type() hm.Type {
	if c.bias {
		return hm.NewFnType(t4(), t4(), t4(), t4())
	}
	return hm.NewFnType(t4(), t4(), t4())
}
func (c *conv2d) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	x, ok1 := in[0].(tensor.Shape)
	w, ok2 := in[1].(tensor.Shape)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("conv2d: shapes %v and %v", in[0], in[1])
	}
	if err := checkConv2D(x, w, nil, false, c.stride, c.pad); err != nil {
		return nil, err
	}
	return tensor.Shape{x[0], w[0], convOut(x[2], c.k, c.stride, c.pad), convOut(x[3], c.k, c.stride, c.pad)}, nil
}
func (*conv2d) ReturnsPtr() bool     { return false }
func (*conv2d) CallsExtern() bool    { return false }
func (*conv2d) OverwritesInput() int { return -1 }
func (c *conv2d) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "practica.conv2d.k=%d.stride=%d.pad=%d.bias=%v", c.k, c.stride, c.pad, c.bias)
}
func (c *conv2d) Hashcode() uint32 { return hashOf(c) }
func (c *conv2d) String() string {
	s := fmt.Sprintf("Conv2D(%d×%d,stride=%d,pad=%d)", c.k, c.k, c.stride, c.pad)
	if c.bias {
		s += "+bias"
	}
	return s
}
func (c *conv2d) DiffWRT(int) []bool { return []bool{true, true, true}[:c.Arity()] }

func (c *conv2d) SymDiff(in G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	xs := in[0].Shape()
	dx, err := G.ApplyOp(&conv2dGradInput{k: c.k, stride: c.stride, pad: c.pad, h: xs[2], w: xs[3]}, in[1], grad)
	if err != nil {
		return nil, err
	}
	dw, err := G.ApplyOp(&conv2dGradFilter{k: c.k, stride: c.stride, pad: c.pad}, in[0], grad)
	if err != nil {
		return nil, err
	}
	if !c.bias {
		return G.Nodes{dx, dw}, nil
	}
	db, err := G.ApplyOp(&conv2dGradBias{}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw, db}, nil
}

func (c *conv2d) Do(vals ...G.Value) (G.Value, error) {
	x, w, err := dense2(vals[0], vals[1])
	if err != nil {
		return nil, err
	}
	xs, ws := x.Shape(), w.Shape()
	var bs tensor.Shape
	if c.bias {
		bs = vals[2].Shape()
	}
	if err := checkConv2D(xs, ws, bs, c.bias, c.stride, c.pad); err != nil {
		return nil, err
	}
	if ws[2] != c.k {
		return nil, fmt.Errorf("conv2d: filter %v for a %d×%d op", ws, c.k, c.k)
	}
	g := c.geom.get(xs[1], xs[2], xs[3], c.k, c.stride, c.pad)
	out := c.out.get(x.Dtype(), xs[0], ws[0], g.ho, g.wo)
	var bias any
	if c.bias {
		bias = vals[2].Data()
	}
	switch xd := x.Data().(type) {
	case []float32:
		wd, ok := w.Data().([]float32)
		b, okb := bias.([]float32)
		if !ok || c.bias && !okb {
			return nil, fmt.Errorf("conv2d: input %v, filter %v and bias of different types", x.Dtype(), w.Dtype())
		}
		conv2dForward32(xd, wd, b, out.Data().([]float32), xs[0], ws[0], g, &c.scratch)
	case []float64:
		wd, ok := w.Data().([]float64)
		b, okb := bias.([]float64)
		if !ok || c.bias && !okb {
			return nil, fmt.Errorf("conv2d: input %v, filter %v and bias of different types", x.Dtype(), w.Dtype())
		}
		conv2dForward(xd, wd, b, out.Data().([]float64), xs[0], ws[0], g, gemm64)
	default:
		return nil, fmt.Errorf("conv2d: dtype %v", x.Dtype())
	}
	return out, nil
}

// conv2dGradInput computes dx from the filter and dy; the input's height
// and width are the op's, since the floor in Ho and Wo loses them.
type conv2dGradInput struct {
	k, stride, pad, h, w int
	out                  outBuf
	scratch              convScratch
	geom                 geomCache
}

func (*conv2dGradInput) Arity() int    { return 2 }
func (*conv2dGradInput) Type() hm.Type { return hm.NewFnType(t4(), t4(), t4()) }
func (g *conv2dGradInput) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	w, ok1 := in[0].(tensor.Shape)
	dy, ok2 := in[1].(tensor.Shape)
	if !ok1 || !ok2 || len(w) != 4 || len(dy) != 4 {
		return nil, fmt.Errorf("conv2d input gradient: shapes %v, %v", in[0], in[1])
	}
	return tensor.Shape{dy[0], w[1], g.h, g.w}, nil
}
func (*conv2dGradInput) ReturnsPtr() bool     { return false }
func (*conv2dGradInput) CallsExtern() bool    { return false }
func (*conv2dGradInput) OverwritesInput() int { return -1 }
func (g *conv2dGradInput) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "practica.conv2d.dx.k=%d.stride=%d.pad=%d.h=%d.w=%d", g.k, g.stride, g.pad, g.h, g.w)
}
func (g *conv2dGradInput) Hashcode() uint32 { return hashOf(g) }
func (*conv2dGradInput) String() string     { return "Conv2DGradInput" }
func (g *conv2dGradInput) Do(vals ...G.Value) (G.Value, error) {
	w, dy, err := dense2(vals[0], vals[1])
	if err != nil {
		return nil, err
	}
	ws, ds := w.Shape(), dy.Shape()
	if len(ws) != 4 || len(ds) != 4 {
		return nil, fmt.Errorf("conv2d input gradient: filter %v and output gradient %v", ws, ds)
	}
	xs := tensor.Shape{ds[0], ws[1], g.h, g.w}
	if err := checkConv2D(xs, ws, nil, false, g.stride, g.pad); err != nil {
		return nil, err
	}
	geo := g.geom.get(ws[1], g.h, g.w, g.k, g.stride, g.pad)
	if ws[2] != g.k || !ds.Eq(tensor.Shape{ds[0], ws[0], geo.ho, geo.wo}) {
		return nil, fmt.Errorf("conv2d input gradient: filter %v and output gradient %v for input %v", ws, ds, xs)
	}
	dx := g.out.get(w.Dtype(), xs...)
	switch wd := w.Data().(type) {
	case []float32:
		dyd, ok := dy.Data().([]float32)
		if !ok {
			return nil, fmt.Errorf("conv2d input gradient: dtypes %v and %v", w.Dtype(), dy.Dtype())
		}
		conv2dBackwardInput32(wd, dyd, dx.Data().([]float32), ds[0], ws[0], geo, &g.scratch)
	case []float64:
		dyd, ok := dy.Data().([]float64)
		if !ok {
			return nil, fmt.Errorf("conv2d input gradient: dtypes %v and %v", w.Dtype(), dy.Dtype())
		}
		conv2dBackwardInput(wd, dyd, dx.Data().([]float64), ds[0], ws[0], geo, gemm64)
	default:
		return nil, fmt.Errorf("conv2d input gradient: dtype %v", w.Dtype())
	}
	return dx, nil
}

// conv2dGradFilter computes dw from x and dy.
type conv2dGradFilter struct {
	k, stride, pad int
	out            outBuf
	scratch        convScratch
	geom           geomCache
}

func (*conv2dGradFilter) Arity() int    { return 2 }
func (*conv2dGradFilter) Type() hm.Type { return hm.NewFnType(t4(), t4(), t4()) }
func (g *conv2dGradFilter) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	x, ok1 := in[0].(tensor.Shape)
	dy, ok2 := in[1].(tensor.Shape)
	if !ok1 || !ok2 || len(x) != 4 || len(dy) != 4 {
		return nil, fmt.Errorf("conv2d filter gradient: shapes %v, %v", in[0], in[1])
	}
	return tensor.Shape{dy[1], x[1], g.k, g.k}, nil
}
func (*conv2dGradFilter) ReturnsPtr() bool     { return false }
func (*conv2dGradFilter) CallsExtern() bool    { return false }
func (*conv2dGradFilter) OverwritesInput() int { return -1 }
func (g *conv2dGradFilter) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "practica.conv2d.dw.k=%d.stride=%d.pad=%d", g.k, g.stride, g.pad)
}
func (g *conv2dGradFilter) Hashcode() uint32 { return hashOf(g) }
func (*conv2dGradFilter) String() string     { return "Conv2DGradFilter" }
func (g *conv2dGradFilter) Do(vals ...G.Value) (G.Value, error) {
	x, dy, err := dense2(vals[0], vals[1])
	if err != nil {
		return nil, err
	}
	xs, ds := x.Shape(), dy.Shape()
	if len(xs) != 4 || len(ds) != 4 {
		return nil, fmt.Errorf("conv2d filter gradient: input %v and output gradient %v", xs, ds)
	}
	ws := tensor.Shape{ds[1], xs[1], g.k, g.k}
	if err := checkConv2D(xs, ws, nil, false, g.stride, g.pad); err != nil {
		return nil, err
	}
	geo := g.geom.get(xs[1], xs[2], xs[3], g.k, g.stride, g.pad)
	if !ds.Eq(tensor.Shape{xs[0], ds[1], geo.ho, geo.wo}) {
		return nil, fmt.Errorf("conv2d filter gradient: input %v and output gradient %v", xs, ds)
	}
	dw := g.out.get(x.Dtype(), ws...)
	switch xd := x.Data().(type) {
	case []float32:
		dyd, ok := dy.Data().([]float32)
		if !ok {
			return nil, fmt.Errorf("conv2d filter gradient: dtypes %v and %v", x.Dtype(), dy.Dtype())
		}
		conv2dBackwardFilter32(xd, dyd, dw.Data().([]float32), xs[0], ds[1], geo, &g.scratch)
	case []float64:
		dyd, ok := dy.Data().([]float64)
		if !ok {
			return nil, fmt.Errorf("conv2d filter gradient: dtypes %v and %v", x.Dtype(), dy.Dtype())
		}
		conv2dBackwardFilter(xd, dyd, dw.Data().([]float64), xs[0], ds[1], geo, gemm64)
	default:
		return nil, fmt.Errorf("conv2d filter gradient: dtype %v", x.Dtype())
	}
	return dw, nil
}

// conv2dGradBias is Conv3x3's bias gradient (dy summed per channel) under
// a name of its own in graphs.
type conv2dGradBias struct{ convGradBias }

func (*conv2dGradBias) WriteHash(h hash.Hash) { h.Write([]byte("practica.conv2d.db")) }
func (g *conv2dGradBias) Hashcode() uint32    { return hashOf(g) }
func (*conv2dGradBias) String() string        { return "Conv2DGradBias" }

// The float64 path below (unfold with bounds tests, multiply, fold) is the
// plain reference the float32 path in conv2d32.go is tested against, and
// what models in float64, built for gradient checks, run.

// im2colGeneral unfolds one C×H×W image into (C·K·K)×(Ho·Wo): row
// ch·K·K+ki·K+kj at position i·Wo+j holds x[ch, i·stride+ki−pad,
// j·stride+kj−pad], 0 outside the image.
func im2colGeneral[T float32 | float64](x, col []T, g *convGeom) {
	q := 0
	for ch := 0; ch < g.c; ch++ {
		for ki := 0; ki < g.k; ki++ {
			for kj := 0; kj < g.k; kj++ {
				row := col[q*g.hwo : (q+1)*g.hwo]
				q++
				for i := 0; i < g.ho; i++ {
					si := i*g.stride + ki - g.pad
					for j := 0; j < g.wo; j++ {
						sj := j*g.stride + kj - g.pad
						if si < 0 || si >= g.h || sj < 0 || sj >= g.w {
							row[i*g.wo+j] = 0
							continue
						}
						row[i*g.wo+j] = x[(ch*g.h+si)*g.w+sj]
					}
				}
			}
		}
	}
}

// col2imGeneral adds an unfolded (C·K·K)×(Ho·Wo) gradient back into a
// C×H×W image, in row order and then position order.
func col2imGeneral[T float32 | float64](col, x []T, g *convGeom) {
	clear(x[:g.c*g.h*g.w])
	q := 0
	for ch := 0; ch < g.c; ch++ {
		for ki := 0; ki < g.k; ki++ {
			for kj := 0; kj < g.k; kj++ {
				row := col[q*g.hwo : (q+1)*g.hwo]
				q++
				for i := 0; i < g.ho; i++ {
					si := i*g.stride + ki - g.pad
					if si < 0 || si >= g.h {
						continue
					}
					for j := 0; j < g.wo; j++ {
						if sj := j*g.stride + kj - g.pad; sj >= 0 && sj < g.w {
							x[(ch*g.h+si)*g.w+sj] += row[i*g.wo+j]
						}
					}
				}
			}
		}
	}
}

// addBias adds bias[ch] to each of o rows of hw values.
func addBias[T float32 | float64](y, bias []T, o, hw int) {
	if bias == nil {
		return
	}
	y32, ok := any(y).([]float32)
	for ch := 0; ch < o; ch++ {
		bv := bias[ch]
		row := y[ch*hw : (ch+1)*hw]
		if ok {
			addConst(y32[ch*hw:(ch+1)*hw], float32(bv))
			continue
		}
		for j := range row {
			row[j] += bv
		}
	}
}

func conv2dForward[T float32 | float64](x, w, bias, out []T, n, o int, g *convGeom, gemm gemmFn[T]) {
	ckk, chw := g.c*g.k*g.k, g.c*g.h*g.w
	halves(n, func(_, lo, hi int) {
		col := make([]T, ckk*g.hwo)
		for img := lo; img < hi; img++ {
			im2colGeneral(x[img*chw:(img+1)*chw], col, g)
			y := out[img*o*g.hwo : (img+1)*o*g.hwo]
			gemm(false, false, o, g.hwo, ckk, w, ckk, col, g.hwo, 0, y, g.hwo)
			addBias(y, bias, o, g.hwo)
		}
	})
}

func conv2dBackwardInput[T float32 | float64](w, dy, dx []T, n, o int, g *convGeom, gemm gemmFn[T]) {
	ckk, chw := g.c*g.k*g.k, g.c*g.h*g.w
	halves(n, func(_, lo, hi int) {
		col := make([]T, ckk*g.hwo)
		for img := lo; img < hi; img++ {
			gemm(true, false, ckk, g.hwo, o, w, ckk, dy[img*o*g.hwo:(img+1)*o*g.hwo], g.hwo, 0, col, g.hwo)
			col2imGeneral(col, dx[img*chw:(img+1)*chw], g)
		}
	})
}

func conv2dBackwardFilter[T float32 | float64](x, dy, dw []T, n, o int, g *convGeom, gemm gemmFn[T]) {
	ckk, chw := g.c*g.k*g.k, g.c*g.h*g.w
	partial := [2][]T{dw, make([]T, len(dw))}
	halves(n, func(part, lo, hi int) {
		col := make([]T, ckk*g.hwo)
		acc := partial[part]
		for img := lo; img < hi; img++ {
			im2colGeneral(x[img*chw:(img+1)*chw], col, g)
			beta := T(1)
			if img == lo {
				beta = 0
			}
			gemm(false, true, o, ckk, g.hwo, dy[img*o*g.hwo:(img+1)*o*g.hwo], g.hwo, col, g.hwo, beta, acc, ckk)
		}
	})
	if n >= 2 {
		for i := range dw {
			dw[i] += partial[1][i]
		}
	}
}
