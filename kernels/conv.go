package kernels

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Conv3x3 is a 3×3 convolution with stride 1 and same padding of x
// (N×C×H×W) by w (O×C×3×3), plus a bias b of shape 1×O×1×1 when b is not
// nil. It replaces gorgonia's Conv2d + BroadcastAdd, which lay the image
// out as N×H×W×(C·9), multiply, and transpose back to N×O×H×W with a generic
// (slow) transpose: here each image is unfolded to (C·9)×(H·W) and
// multiplied from the left by the O×(C·9) filter matrix, which gives the
// N×O×H×W layout directly. Images are split between two goroutines; each
// image's result does not depend on the split, and the filter gradient sums
// the two halves in a fixed order, so results are reproducible.
func Conv3x3(x, w, b *G.Node) (*G.Node, error) {
	if x.Dims() != 4 || w.Dims() != 4 || w.Shape()[2] != 3 || w.Shape()[3] != 3 || w.Shape()[1] != x.Shape()[1] {
		return nil, fmt.Errorf("conv3x3: input %v and filter %v do not fit (want N×C×H×W and O×C×3×3)", x.Shape(), w.Shape())
	}
	if b == nil {
		return G.ApplyOp(&conv{}, x, w)
	}
	if b.Shape().TotalSize() != w.Shape()[0] {
		return nil, fmt.Errorf("conv3x3: bias %v for %d filters", b.Shape(), w.Shape()[0])
	}
	return G.ApplyOp(&conv{bias: true}, x, w, b)
}

type conv struct {
	bias    bool
	out     outBuf
	scratch convScratch
}

func t4() G.TensorType { return G.TensorType{Dims: 4, Of: hm.TypeVariable('a')} }

func (c *conv) Arity() int {
	if c.bias {
		return 3
	}
	return 2
}
func (c *conv) Type() hm.Type {
	if c.bias {
		return hm.NewFnType(t4(), t4(), t4(), t4())
	}
	return hm.NewFnType(t4(), t4(), t4())
}
func (*conv) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	x, ok1 := in[0].(tensor.Shape)
	w, ok2 := in[1].(tensor.Shape)
	if !ok1 || !ok2 || len(x) != 4 || len(w) != 4 {
		return nil, fmt.Errorf("conv3x3: shapes %v and %v", in[0], in[1])
	}
	return tensor.Shape{x[0], w[0], x[2], x[3]}, nil
}
func (*conv) ReturnsPtr() bool     { return false }
func (*conv) CallsExtern() bool    { return false }
func (*conv) OverwritesInput() int { return -1 }
func (c *conv) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "practica.conv3x3.bias=%v", c.bias)
}
func (c *conv) Hashcode() uint32 { return hashOf(c) }
func (c *conv) String() string {
	if c.bias {
		return "Conv3x3+bias"
	}
	return "Conv3x3"
}
func (c *conv) DiffWRT(int) []bool { return []bool{true, true, true}[:c.Arity()] }

func (c *conv) SymDiff(in G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&convGradInput{}, in[1], grad)
	if err != nil {
		return nil, err
	}
	dw, err := G.ApplyOp(&convGradFilter{}, in[0], grad)
	if err != nil {
		return nil, err
	}
	if !c.bias {
		return G.Nodes{dx, dw}, nil
	}
	db, err := G.ApplyOp(&convGradBias{}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw, db}, nil
}

func (c *conv) Do(vals ...G.Value) (G.Value, error) {
	x, w, err := dense2(vals[0], vals[1])
	if err != nil {
		return nil, err
	}
	xs, ws := x.Shape(), w.Shape()
	out := c.out.get(x.Dtype(), xs[0], ws[0], xs[2], xs[3])
	var bias any
	if c.bias {
		bias = vals[2].Data()
	}
	switch xd := x.Data().(type) {
	case []float32:
		b, _ := bias.([]float32)
		convForward32(xd, w.Data().([]float32), b, out.Data().([]float32), xs[0], xs[1], xs[2], xs[3], ws[0], &c.scratch, nil)
	case []float64:
		b, _ := bias.([]float64)
		convForward(xd, w.Data().([]float64), b, out.Data().([]float64), xs, ws[0], gemm64)
	default:
		return nil, fmt.Errorf("conv3x3: dtype %v", x.Dtype())
	}
	return out, nil
}

// convGradInput computes dx from the filter and dy.
type convGradInput struct {
	out     outBuf
	scratch convScratch
}

func (*convGradInput) Arity() int    { return 2 }
func (*convGradInput) Type() hm.Type { return hm.NewFnType(t4(), t4(), t4()) }
func (*convGradInput) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	w, ok1 := in[0].(tensor.Shape)
	dy, ok2 := in[1].(tensor.Shape)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("conv3x3 input gradient: shapes %v, %v", in[0], in[1])
	}
	return tensor.Shape{dy[0], w[1], dy[2], dy[3]}, nil
}
func (*convGradInput) ReturnsPtr() bool      { return false }
func (*convGradInput) CallsExtern() bool     { return false }
func (*convGradInput) OverwritesInput() int  { return -1 }
func (*convGradInput) WriteHash(h hash.Hash) { h.Write([]byte("practica.conv3x3.dx")) }
func (g *convGradInput) Hashcode() uint32    { return hashOf(g) }
func (*convGradInput) String() string        { return "Conv3x3GradInput" }
func (g *convGradInput) Do(vals ...G.Value) (G.Value, error) {
	w, dy, err := dense2(vals[0], vals[1])
	if err != nil {
		return nil, err
	}
	ws, ds := w.Shape(), dy.Shape()
	dx := g.out.get(w.Dtype(), ds[0], ws[1], ds[2], ds[3])
	switch wd := w.Data().(type) {
	case []float32:
		convBackwardInput32(wd, dy.Data().([]float32), dx.Data().([]float32), ds[0], ws[1], ws[0], ds[2], ds[3], &g.scratch)
	case []float64:
		convBackwardInput(wd, dy.Data().([]float64), dx.Data().([]float64), ds[0], ws[1], ws[0], ds[2], ds[3], gemm64)
	default:
		return nil, fmt.Errorf("conv3x3 input gradient: dtype %v", w.Dtype())
	}
	return dx, nil
}

// convGradFilter computes dw from x and dy.
type convGradFilter struct {
	out     outBuf
	scratch convScratch
}

func (*convGradFilter) Arity() int    { return 2 }
func (*convGradFilter) Type() hm.Type { return hm.NewFnType(t4(), t4(), t4()) }
func (*convGradFilter) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	x, ok1 := in[0].(tensor.Shape)
	dy, ok2 := in[1].(tensor.Shape)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("conv3x3 filter gradient: shapes %v, %v", in[0], in[1])
	}
	return tensor.Shape{dy[1], x[1], 3, 3}, nil
}
func (*convGradFilter) ReturnsPtr() bool      { return false }
func (*convGradFilter) CallsExtern() bool     { return false }
func (*convGradFilter) OverwritesInput() int  { return -1 }
func (*convGradFilter) WriteHash(h hash.Hash) { h.Write([]byte("practica.conv3x3.dw")) }
func (g *convGradFilter) Hashcode() uint32    { return hashOf(g) }
func (*convGradFilter) String() string        { return "Conv3x3GradFilter" }
func (g *convGradFilter) Do(vals ...G.Value) (G.Value, error) {
	x, dy, err := dense2(vals[0], vals[1])
	if err != nil {
		return nil, err
	}
	xs, ds := x.Shape(), dy.Shape()
	dw := g.out.get(x.Dtype(), ds[1], xs[1], 3, 3)
	switch xd := x.Data().(type) {
	case []float32:
		convBackwardFilter32(xd, dy.Data().([]float32), dw.Data().([]float32), xs[0], xs[1], xs[2], xs[3], ds[1], &g.scratch)
	case []float64:
		convBackwardFilter(xd, dy.Data().([]float64), dw.Data().([]float64), xs, ds[1], gemm64)
	default:
		return nil, fmt.Errorf("conv3x3 filter gradient: dtype %v", x.Dtype())
	}
	return dw, nil
}

// convGradBias sums dy over images and positions, per channel.
type convGradBias struct{ out outBuf }

func (*convGradBias) Arity() int    { return 1 }
func (*convGradBias) Type() hm.Type { return hm.NewFnType(t4(), t4()) }
func (*convGradBias) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	dy, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("conv3x3 bias gradient: shape %v", in[0])
	}
	return tensor.Shape{1, dy[1], 1, 1}, nil
}
func (*convGradBias) ReturnsPtr() bool      { return false }
func (*convGradBias) CallsExtern() bool     { return false }
func (*convGradBias) OverwritesInput() int  { return -1 }
func (*convGradBias) WriteHash(h hash.Hash) { h.Write([]byte("practica.conv3x3.db")) }
func (g *convGradBias) Hashcode() uint32    { return hashOf(g) }
func (*convGradBias) String() string        { return "Conv3x3GradBias" }
func (g *convGradBias) Do(vals ...G.Value) (G.Value, error) {
	dy, ok := vals[0].(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("conv3x3 bias gradient: input is %T", vals[0])
	}
	s := dy.Shape()
	db := g.out.get(dy.Dtype(), 1, s[1], 1, 1)
	switch d := dy.Data().(type) {
	case []float32:
		biasGrad(d, db.Data().([]float32), s[0], s[1], s[2]*s[3])
	case []float64:
		biasGrad(d, db.Data().([]float64), s[0], s[1], s[2]*s[3])
	default:
		return nil, fmt.Errorf("conv3x3 bias gradient: dtype %v", dy.Dtype())
	}
	return db, nil
}

func dense2(a, b G.Value) (*tensor.Dense, *tensor.Dense, error) {
	x, ok1 := a.(*tensor.Dense)
	y, ok2 := b.(*tensor.Dense)
	if !ok1 || !ok2 {
		return nil, nil, fmt.Errorf("conv3x3: inputs are %T and %T", a, b)
	}
	return x, y, nil
}

// gemmFn computes c = op(a)·op(b) + beta·c, row-major. The float64 path
// below (unfold, multiply, fold) is the plain reference the float32 one in
// conv32.go is tested against; models in float64 exist for gradient checks.
type gemmFn[T float32 | float64] func(transA, transB bool, m, n, k int, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int)

// fastKernel is the micro-kernel of the float32 convolution.
var fastKernel = NewBLAS().kernel

// gemm64 is a plain multiply for the float64 models of gradient checks.
func gemm64(transA, transB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float64
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
			}
			c[i*ldc+j] = s + beta*c[i*ldc+j]
		}
	}
}

// im2col unfolds one C×H×W image into (C·9)×(H·W) for a 3×3 same-padding
// convolution: row c·9+ki·3+kj holds x[c, i+ki-1, j+kj-1] (0 outside).
func im2col[T float32 | float64](x, col []T, c, h, w int) {
	hw := h * w
	for ch := 0; ch < c; ch++ {
		plane := x[ch*hw : (ch+1)*hw]
		for ki := 0; ki < 3; ki++ {
			for kj := 0; kj < 3; kj++ {
				row := col[(ch*9+ki*3+kj)*hw : (ch*9+ki*3+kj+1)*hw]
				for i := 0; i < h; i++ {
					dst := row[i*w : (i+1)*w]
					si := i + ki - 1
					if si < 0 || si >= h {
						clear(dst)
						continue
					}
					src := plane[si*w : (si+1)*w]
					switch kj {
					case 0:
						dst[0] = 0
						copy(dst[1:], src[:w-1])
					case 1:
						copy(dst, src)
					default:
						copy(dst[:w-1], src[1:])
						dst[w-1] = 0
					}
				}
			}
		}
	}
}

// col2im adds an unfolded (C·9)×(H·W) gradient back into a C×H×W image.
func col2im[T float32 | float64](col, x []T, c, h, w int) {
	if c32, ok := any(col).([]float32); ok && col2imVector(c32, any(x).([]float32), c, h, w) {
		return
	}
	col2imLoop(col, x, c, h, w)
}

// col2imLoop is col2im in plain Go, which the vector pass must match bit
// for bit.
func col2imLoop[T float32 | float64](col, x []T, c, h, w int) {
	hw := h * w
	clear(x[:c*hw])
	for ch := 0; ch < c; ch++ {
		plane := x[ch*hw : (ch+1)*hw]
		for ki := 0; ki < 3; ki++ {
			for kj := 0; kj < 3; kj++ {
				row := col[(ch*9+ki*3+kj)*hw : (ch*9+ki*3+kj+1)*hw]
				for i := 0; i < h; i++ {
					si := i + ki - 1
					if si < 0 || si >= h {
						continue
					}
					src := row[i*w : (i+1)*w]
					dst := plane[si*w : (si+1)*w]
					switch kj {
					case 0:
						addInto(dst[:w-1], src[1:])
					case 1:
						addInto(dst, src)
					default:
						addInto(dst[1:], src[:w-1])
					}
				}
			}
		}
	}
}

func convForward[T float32 | float64](x, w, bias, out []T, xs tensor.Shape, o int, gemm gemmFn[T]) {
	n, c, h, wd := xs[0], xs[1], xs[2], xs[3]
	hw := h * wd
	halves(n, func(_, lo, hi int) {
		col := make([]T, c*9*hw)
		for img := lo; img < hi; img++ {
			im2col(x[img*c*hw:(img+1)*c*hw], col, c, h, wd)
			y := out[img*o*hw : (img+1)*o*hw]
			gemm(false, false, o, hw, c*9, w, c*9, col, hw, 0, y, hw)
			if bias != nil {
				for ch := 0; ch < o; ch++ {
					bv := bias[ch]
					row := y[ch*hw : (ch+1)*hw]
					for j := range row {
						row[j] += bv
					}
				}
			}
		}
	})
}

func convBackwardInput[T float32 | float64](w, dy, dx []T, n, c, o, h, wd int, gemm gemmFn[T]) {
	hw := h * wd
	halves(n, func(_, lo, hi int) {
		col := make([]T, c*9*hw)
		for img := lo; img < hi; img++ {
			gemm(true, false, c*9, hw, o, w, c*9, dy[img*o*hw:(img+1)*o*hw], hw, 0, col, hw)
			col2im(col, dx[img*c*hw:(img+1)*c*hw], c, h, wd)
		}
	})
}

func convBackwardFilter[T float32 | float64](x, dy, dw []T, xs tensor.Shape, o int, gemm gemmFn[T]) {
	n, c, h, wd := xs[0], xs[1], xs[2], xs[3]
	hw := h * wd
	partial := [2][]T{dw, make([]T, len(dw))}
	halves(n, func(part, lo, hi int) {
		col := make([]T, c*9*hw)
		acc := partial[part]
		for img := lo; img < hi; img++ {
			im2col(x[img*c*hw:(img+1)*c*hw], col, c, h, wd)
			beta := T(1)
			if img == lo {
				beta = 0
			}
			gemm(false, true, o, c*9, hw, dy[img*o*hw:(img+1)*o*hw], hw, col, hw, beta, acc, c*9)
		}
	})
	if n >= 2 {
		for i := range dw {
			dw[i] += partial[1][i]
		}
	}
}

func biasGrad[T float32 | float64](dy, db []T, n, o, hw int) {
	split(o, n*o*hw, func(lo, hi int) { biasGradChannels(dy, db, n, o, hw, lo, hi) })
}

// biasGradChannels sums each channel's gradient over the batch in one
// float64 chain, image after image, position after position. Eight
// channels' chains run side by side: a single chain waits on each add's
// latency, eight keep the adder busy, and each channel's order of
// additions is the same.
func biasGradChannels[T float32 | float64](dy, db []T, n, o, hw, lo, hi int) {
	ch := lo
	for ; ch+8 <= hi; ch += 8 {
		var s [8]float64
		for img := 0; img < n; img++ {
			base := (img*o + ch) * hw
			r0, r1, r2, r3 := dy[base:base+hw], dy[base+hw:base+2*hw], dy[base+2*hw:base+3*hw], dy[base+3*hw:base+4*hw]
			r4, r5, r6, r7 := dy[base+4*hw:base+5*hw], dy[base+5*hw:base+6*hw], dy[base+6*hw:base+7*hw], dy[base+7*hw:base+8*hw]
			s0, s1, s2, s3, s4, s5, s6, s7 := s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
			for i, v := range r0 {
				s0 += float64(v)
				s1 += float64(r1[i])
				s2 += float64(r2[i])
				s3 += float64(r3[i])
				s4 += float64(r4[i])
				s5 += float64(r5[i])
				s6 += float64(r6[i])
				s7 += float64(r7[i])
			}
			s = [8]float64{s0, s1, s2, s3, s4, s5, s6, s7}
		}
		for k, v := range s {
			db[ch+k] = T(v)
		}
	}
	for ; ch < hi; ch++ {
		var s float64
		for img := 0; img < n; img++ {
			for _, v := range dy[(img*o+ch)*hw : (img*o+ch+1)*hw] {
				s += float64(v)
			}
		}
		db[ch] = T(s)
	}
}
