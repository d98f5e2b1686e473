package kernels

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MaxPool2x2 applies 2×2 max-pooling with stride 2 and no padding to an
// N×C×H×W tensor (an odd last row or column is dropped, as gorgonia and
// PyTorch do). It replaces gorgonia's MaxPool2D, whose gradient indexes by
// the position of the window's maximum, -1 for a window of NaN, and so
// panics where no recover can reach once training diverges.
func MaxPool2x2(x *G.Node) (*G.Node, error) {
	if x.Dims() != 4 {
		return nil, fmt.Errorf("max-pool needs an N×C×H×W input, got shape %v", x.Shape())
	}
	return G.ApplyOp(&maxPool{}, x)
}

// ReLUMaxPool2x2 is MaxPool2x2(ReLU(x)) in one op, computed as
// ReLU(MaxPool2x2(x)): ReLU is monotone, so the two are equal, values and
// gradients (the gradient reaches the window's first maximum when it is
// above 0), and the fused form applies ReLU to a quarter of the values
// and skips two passes over the full-size activations. (They differ only
// in a window holding NaN, whose gradient is 0 here, where the composition
// may pass it to a finite input: the loss is NaN by then anyway.)
func ReLUMaxPool2x2(x *G.Node) (*G.Node, error) {
	if x.Dims() != 4 {
		return nil, fmt.Errorf("max-pool needs an N×C×H×W input, got shape %v", x.Shape())
	}
	return G.ApplyOp(&maxPool{relu: true}, x)
}

type maxPool struct {
	relu bool
	out  outBuf
	// arg records, for the gradient, the winner of each float32 window in
	// bits 0-1 and in bit 2 whether the gradient passes (always, without
	// ReLU; with it, when the output is above 0).
	arg []uint8
}

func (*maxPool) Arity() int { return 1 }
func (*maxPool) Type() hm.Type {
	t := G.TensorType{Dims: 4, Of: hm.TypeVariable('a')}
	return hm.NewFnType(t, t)
}
func (*maxPool) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != 4 {
		return nil, fmt.Errorf("max-pool: input shape %v is not N×C×H×W", in[0])
	}
	return tensor.Shape{s[0], s[1], s[2] / 2, s[3] / 2}, nil
}
func (*maxPool) ReturnsPtr() bool        { return false }
func (*maxPool) CallsExtern() bool       { return false }
func (*maxPool) OverwritesInput() int    { return -1 }
func (p *maxPool) WriteHash(h hash.Hash) { fmt.Fprintf(h, "practica.maxpool2x2.relu=%v", p.relu) }
func (p *maxPool) Hashcode() uint32      { return hashOf(p) }
func (p *maxPool) String() string {
	if p.relu {
		return "ReLUMaxPool2x2"
	}
	return "MaxPool2x2"
}
func (*maxPool) DiffWRT(int) []bool { return []bool{true} }

func (p *maxPool) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&maxPoolGrad{fwd: p}, inputs[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

func (p *maxPool) Do(vals ...G.Value) (G.Value, error) {
	x, ok := vals[0].(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("max-pool: input is %T", vals[0])
	}
	s := x.Shape()
	n, c, h, w := s[0], s[1], s[2], s[3]
	out := p.out.get(x.Dtype(), n, c, h/2, w/2)
	switch xd := x.Data().(type) {
	case []float32:
		if cap(p.arg) < out.Len() {
			p.arg = make([]uint8, out.Len())
		}
		p.arg = p.arg[:out.Len()]
		poolForward32(xd, out.Data().([]float32), p.arg, n*c, h, w, p.relu)
	case []float64:
		poolForward(xd, out.Data().([]float64), n*c, h, w)
		if p.relu {
			reluForward(out.Data().([]float64), out.Data().([]float64))
		}
	default:
		return nil, fmt.Errorf("max-pool: dtype %v", x.Dtype())
	}
	return out, nil
}

// argmax2x2 returns the offset (0..3, row-major) of the largest of the four
// values; the first one on ties and when values are NaN, never out of range.
func argmax2x2[T float32 | float64](a, b, c, d T) int {
	best, bv := 0, a
	if b > bv {
		best, bv = 1, b
	}
	if c > bv {
		best, bv = 2, c
	}
	if d > bv {
		best = 3
	}
	return best
}

func poolForward[T float32 | float64](x, y []T, planes, h, w int) {
	oh, ow := h/2, w/2
	for p := 0; p < planes; p++ {
		in := x[p*h*w : (p+1)*h*w]
		out := y[p*oh*ow : (p+1)*oh*ow]
		for i := 0; i < oh; i++ {
			r0, r1 := in[2*i*w:], in[(2*i+1)*w:]
			for j := 0; j < ow; j++ {
				a, b, c, d := r0[2*j], r0[2*j+1], r1[2*j], r1[2*j+1]
				switch argmax2x2(a, b, c, d) {
				case 0:
					out[i*ow+j] = a
				case 1:
					out[i*ow+j] = b
				case 2:
					out[i*ow+j] = c
				default:
					out[i*ow+j] = d
				}
			}
		}
	}
}

// maxPoolGrad routes each output gradient to the input that was the
// window's maximum (recomputed from x, so the forward op keeps no state).
type maxPoolGrad struct {
	out outBuf
	// fwd is the forward op of the same window, run earlier in the same
	// step, whose record of winners the float32 path uses.
	fwd *maxPool
}

func (*maxPoolGrad) Arity() int { return 2 }
func (*maxPoolGrad) Type() hm.Type {
	t := G.TensorType{Dims: 4, Of: hm.TypeVariable('a')}
	return hm.NewFnType(t, t, t)
}
func (*maxPoolGrad) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("max-pool gradient: input shape %v", in[0])
	}
	return s.Clone(), nil
}
func (*maxPoolGrad) ReturnsPtr() bool      { return false }
func (*maxPoolGrad) CallsExtern() bool     { return false }
func (*maxPoolGrad) OverwritesInput() int  { return -1 }
func (*maxPoolGrad) WriteHash(h hash.Hash) { h.Write([]byte("practica.maxpool2x2.grad")) }
func (g *maxPoolGrad) Hashcode() uint32    { return hashOf(g) }
func (*maxPoolGrad) String() string        { return "MaxPool2x2Grad" }

func (g *maxPoolGrad) Do(vals ...G.Value) (G.Value, error) {
	x, ok1 := vals[0].(*tensor.Dense)
	dy, ok2 := vals[1].(*tensor.Dense)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("max-pool gradient: inputs are %T and %T", vals[0], vals[1])
	}
	s := x.Shape()
	dx := g.out.get(x.Dtype(), s...)
	switch xd := x.Data().(type) {
	case []float32:
		if len(g.fwd.arg) != dy.Len() {
			poolBackward(xd, dy.Data().([]float32), dx.Data().([]float32), s[0]*s[1], s[2], s[3], g.fwd.relu)
			break
		}
		poolBackward32(dy.Data().([]float32), dx.Data().([]float32), g.fwd.arg, s[0]*s[1], s[2], s[3])
	case []float64:
		poolBackward(xd, dy.Data().([]float64), dx.Data().([]float64), s[0]*s[1], s[2], s[3], g.fwd.relu)
	default:
		return nil, fmt.Errorf("max-pool gradient: dtype %v", x.Dtype())
	}
	return dx, nil
}

// poolBackward recomputes each window's winner from x; with relu, the
// gradient passes only where the window's maximum is above 0.
func poolBackward[T float32 | float64](x, dy, dx []T, planes, h, w int, relu bool) {
	oh, ow := h/2, w/2
	clear(dx[:planes*h*w])
	for p := 0; p < planes; p++ {
		in := x[p*h*w : (p+1)*h*w]
		g := dy[p*oh*ow : (p+1)*oh*ow]
		out := dx[p*h*w : (p+1)*h*w]
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				window := [4]T{in[2*i*w+2*j], in[2*i*w+2*j+1], in[(2*i+1)*w+2*j], in[(2*i+1)*w+2*j+1]}
				k := argmax2x2(window[0], window[1], window[2], window[3])
				if !relu || window[k] > 0 {
					out[(2*i+k/2)*w+2*j+k%2] += g[i*ow+j]
				}
			}
		}
	}
}

// poolForward32 and poolBackward32 are the float32 hot paths. The
// forward pass records which of the four inputs won each window (the first
// maximum; a valid index even for NaN), choosing without branches (they
// would mispredict half the time), and the backward pass scatters the
// gradient by that record.
func poolForward32(x, y []float32, arg []uint8, planes, h, w int, relu bool) {
	split(planes, planes*h*w, func(lo, hi int) { poolForwardPlanes(x, y, arg, lo, hi, h, w, relu) })
}

func poolForwardPlanes(x, y []float32, arg []uint8, lo, hi, h, w int, relu bool) {
	if poolForwardVector(x, y, arg, lo, hi, h, w, relu) {
		return
	}
	poolForwardLoop(x, y, arg, lo, hi, h, w, relu)
}

// poolForwardLoop is the forward pass in plain Go, which the vector pass
// must match bit for bit.
func poolForwardLoop(x, y []float32, arg []uint8, lo, hi, h, w int, relu bool) {
	oh, ow := h/2, w/2
	for p := lo; p < hi; p++ {
		in := x[p*h*w : (p+1)*h*w]
		out := y[p*oh*ow : (p+1)*oh*ow]
		am := arg[p*oh*ow : (p+1)*oh*ow]
		for i := 0; i < oh; i++ {
			r0, r1 := in[2*i*w:2*i*w+2*ow], in[(2*i+1)*w:(2*i+1)*w+2*ow]
			o, a := out[i*ow:(i+1)*ow], am[i*ow:(i+1)*ow]
			for j := range o {
				v0, v1, v2, v3 := r0[2*j], r0[2*j+1], r1[2*j], r1[2*j+1]
				top := b2i(v1 > v0)
				bottom := 2 + b2i(v3 > v2)
				m0, m1 := max(v0, v1), max(v2, v3)
				lower := b2i(m1 > m0)
				m := max(m0, m1)
				pass := 1
				if relu {
					m = max(m, 0)
					pass = b2i(m > 0)
				}
				a[j] = uint8(top + (bottom-top)*lower + pass<<2)
				o[j] = m
			}
		}
	}
}

func poolBackward32(dy, dx []float32, arg []uint8, planes, h, w int) {
	split(planes, planes*h*w, func(lo, hi int) { poolBackwardPlanes(dy, dx, arg, lo, hi, h, w) })
}

func poolBackwardPlanes(dy, dx []float32, arg []uint8, lo, hi, h, w int) {
	if poolBackwardVector(dy, dx, arg, lo, hi, h, w) {
		return
	}
	poolBackwardLoop(dy, dx, arg, lo, hi, h, w)
}

// poolBackwardLoop is the backward pass in plain Go, which the vector
// pass must match bit for bit.
func poolBackwardLoop(dy, dx []float32, arg []uint8, lo, hi, h, w int) {
	oh, ow := h/2, w/2
	clear(dx[lo*h*w : hi*h*w])
	for p := lo; p < hi; p++ {
		g := dy[p*oh*ow : (p+1)*oh*ow]
		out := dx[p*h*w : (p+1)*h*w]
		am := arg[p*oh*ow : (p+1)*oh*ow]
		for i := 0; i < oh; i++ {
			gi, a := g[i*ow:(i+1)*ow], am[i*ow:(i+1)*ow]
			for j := range gi {
				k := int(a[j])
				out[(2*i+k>>1&1)*w+2*j+k&1] = gi[j] * float32(k>>2)
			}
		}
	}
}

func hashOf(op G.Op) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

// poolTerms writes, for planes of oh×ow windows, the values the backward
// pass scatters (dy times the window's pass bit) in the order they lie in
// the input gradient, row-major: per output row, the values of the
// windows won in their top row, in window order, then those won in their
// bottom row. The input gradient's other values are +0, so a sum over
// its plane in order (biasGrad's float64 chain) is the same sum over the
// plane's terms, to the bit: a chain from +0 is never -0, and adding +0
// to it changes nothing.
func poolTerms(dy []float32, arg []uint8, terms []float32, planes, oh, ow int) {
	if poolTermsVector(dy, arg, terms, planes, oh, ow) {
		return
	}
	poolTermsLoop(dy, arg, terms, planes, oh, ow)
}

// poolTermsLoop is poolTerms in plain Go.
func poolTermsLoop(dy []float32, arg []uint8, terms []float32, planes, oh, ow int) {
	out := 0
	for r := 0; r < planes*oh; r++ {
		g, a := dy[r*ow:(r+1)*ow], arg[r*ow:(r+1)*ow]
		for bottom := uint8(0); bottom <= 2; bottom += 2 {
			for j, k := range a {
				if k&2 == bottom {
					terms[out] = g[j] * float32(k>>2)
					out++
				}
			}
		}
	}
}
