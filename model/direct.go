package model

import (
	"math/rand/v2"

	"github.com/chewxy/math32"
	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/practica-ml/practica/kernels"
)

// direct runs the training step and the evaluation forward pass of a
// model made only of dense, relu, dropout, flatten, 3×3 same convolution
// and 2×2 max-pool layers (the linear, mlp and cnn presets, and layer
// lists like them) straight over the kernels, in buffers laid out once,
// without gorgonia's tape machine.
//
// Why: on such a model the machine costs more than the arithmetic. A
// Fashion-MNIST MLP step is about 0.13 GFLOP, under a millisecond of
// multiply on two cores, and the tape machine added as much again in
// allocations, copies between its registers, goroutine hand-offs and
// single-threaded elementwise passes.
//
// It computes exactly what the gorgonia graph of graph.go computes, op for
// op: the same kernels the graph's ops call (kernels' runners), the same
// matrix multiplies through the BLAS gorgonia uses, the bias
// added after the product, gorgonia's log-softmax (max, shift, exp, row
// sum, log) and the gradient gorgonia's symbolic differentiation builds
// from it (including the max's share of it), every sum in gorgonia's
// order (rows of a reduction over the batch added first to last, a row's
// values left to right, the loss over all values in order). So the loss,
// gradients and logits are the same bits (TestDirectMatchesGraph and the
// pinned hashes of TestPresetsBitIdentical). Passes over independent
// values are split between the two cores, which changes no value.
type direct struct {
	batch   int
	classes int
	layers  []*directLayer
	sgemm   func(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	// sgemmRows multiplies a few rows without packing (kernels.BLAS's
	// SgemmRows, the same bits), when the BLAS in use has it; false: it
	// did not apply.
	sgemmRows func(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) bool

	// acts[i] is the input of layers[i] (acts[0] the batch), acts[len] the
	// logits; each batch×width.
	acts [][]float32
	// input holds a partial batch padded with zeros.
	input []float32
	// grads[i] is the gradient of the loss with respect to acts[i]
	// (grads[0] is never computed: nothing needs the input's gradient).
	grads [][]float32
	// the targets and the loss's intermediate values, batch×classes each.
	target, shifted, expd, prod []float32
	loss                        float32

	// paramGrads are the weights' gradients in Learnables order.
	paramGrads [][]float32
}

// directLayer is one layer of a direct model.
type directLayer struct {
	kind     string
	in, out  int // values per example
	w, b     []float32
	dw, db   []float32
	relu     bool // a dense layer's relu, applied to its output in the same pass; a max-pool's fused relu
	c, h, wd int  // an image layer's input channels and sides
	o        int  // a convolution's output channels
	conv     *kernels.Conv3x3Kernel
	pool     *kernels.MaxPool2x2Kernel
	p        float64   // dropout: the drop probability
	mask     []float32 // dropout: this batch's mask (0 or 1/(1-p))
	first    bool      // the first layer with weights: its input's gradient is not needed
	// pooled: a convolution followed by a max-pool, which forward and
	// backward run in one pass each, image by image; the convolution's
	// output, read by nothing else (the pool's backward pass needs only its
	// winners), and its gradient are never stored, and have no buffers.
	pooled   bool
	evalSkip bool // dropout: nothing in evaluation
}

// newDirect returns the direct executor of m's steps for batches of
// batch examples, with the buffers of the backward pass when training, or
// nil when a layer is not one it runs (those models run on gorgonia's
// machine).
func newDirect(m *Model, batch int, training bool) *direct {
	if m.dtype != tensor.Float32 {
		return nil
	}
	byName := map[string]*Param{}
	for _, p := range m.params {
		byName[p.Name] = p
	}
	d := &direct{batch: batch, classes: m.Classes}
	weighted := false
	for _, st := range m.steps {
		l := st.layer
		switch l.Type {
		case Flatten:
			continue
		case Dense:
			dl := &directLayer{kind: Dense, in: size(st.in), out: l.Units, first: !weighted}
			if st.output {
				dl.out = m.Classes
			}
			dl.w = byName[st.name+".weight"].Float32s()
			if l.hasBias() || st.output {
				dl.b = byName[st.name+".bias"].Float32s()
			}
			weighted = true
			d.layers = append(d.layers, dl)
		case Conv2D:
			if l.Kernel != 3 || l.Stride != 1 || l.Padding != "same" {
				return nil // the general convolution: gorgonia's machine
			}
			dl := &directLayer{kind: Conv2D, in: size(st.in), out: size(st.out), c: st.in[0], h: st.in[1], wd: st.in[2], o: st.out[0], first: !weighted, conv: &kernels.Conv3x3Kernel{}}
			dl.w = byName[st.name+".weight"].Float32s()
			if l.hasBias() {
				dl.b = byName[st.name+".bias"].Float32s()
			}
			weighted = true
			d.layers = append(d.layers, dl)
		case MaxPool:
			if st.absorbed {
				continue // computed by the fused relu before it
			}
			if l.Size != 2 || l.Stride != 2 {
				return nil
			}
			d.layers = append(d.layers, &directLayer{kind: MaxPool, in: size(st.in), out: size(st.out), c: st.in[0], h: st.in[1], wd: st.in[2], pool: &kernels.MaxPool2x2Kernel{}})
		case ReLU:
			if st.fused {
				// relu and the 2×2 max-pool after it, in one pass
				c, h, w := st.in[0], st.in[1], st.in[2]
				d.layers = append(d.layers, &directLayer{kind: MaxPool, relu: true, in: c * h * w, out: c * (h / 2) * (w / 2), c: c, h: h, wd: w, pool: &kernels.MaxPool2x2Kernel{}})
				continue
			}
			if n := len(d.layers); n > 0 && d.layers[n-1].kind == Dense && !d.layers[n-1].relu {
				d.layers[n-1].relu = true
				continue
			}
			d.layers = append(d.layers, &directLayer{kind: ReLU, in: size(st.in), out: size(st.out)})
		case Dropout:
			if !m.dropoutOn || l.P <= 0 {
				continue
			}
			n := size(st.in)
			dl := &directLayer{kind: Dropout, in: n, out: n, p: l.P}
			if training {
				dl.mask = make([]float32, batch*n)
			}
			d.layers = append(d.layers, dl)
		default:
			return nil
		}
	}
	if len(d.layers) == 0 || !weighted {
		return nil
	}
	b, ok := G.WhichBLAS().(interface {
		Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	})
	if !ok {
		return nil
	}
	d.sgemm = b.Sgemm
	if r, ok := b.(interface {
		SgemmRows(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) bool
	}); ok {
		d.sgemmRows = r.SgemmRows
	}
	for i, l := range d.layers[:len(d.layers)-1] {
		l.pooled = l.kind == Conv2D && d.layers[i+1].kind == MaxPool
	}
	d.acts = make([][]float32, len(d.layers)+1)
	d.grads = make([][]float32, len(d.layers)+1)
	d.input = make([]float32, batch*size(m.InputShape))
	d.acts[0] = d.input
	for i, l := range d.layers {
		if !l.pooled {
			d.acts[i+1] = make([]float32, batch*l.out)
		}
		if !training {
			continue
		}
		if !l.pooled {
			d.grads[i+1] = make([]float32, batch*l.out)
		}
		if l.kind == Dense || l.kind == Conv2D {
			l.dw = make([]float32, len(l.w))
			if l.b != nil {
				l.db = make([]float32, len(l.b))
			}
		}
	}
	if !training {
		return d
	}
	bc := batch * m.Classes
	d.target, d.shifted, d.expd, d.prod = make([]float32, bc), make([]float32, bc), make([]float32, bc), make([]float32, bc)
	// The gradients in Learnables order: the layers' weights and biases
	// in the order the parameter plan lists them.
	for _, p := range m.Learnables() {
		g := d.gradOf(p, byName)
		if g == nil {
			return nil
		}
		d.paramGrads = append(d.paramGrads, g)
	}
	return d
}

// gradOf finds the gradient buffer of parameter p.
func (d *direct) gradOf(p *Param, byName map[string]*Param) []float32 {
	v := p.Float32s()
	for _, l := range d.layers {
		if l.w == nil {
			continue
		}
		if len(l.w) > 0 && &l.w[0] == &v[0] {
			return l.dw
		}
		if len(l.b) > 0 && &l.b[0] == &v[0] {
			return l.db
		}
	}
	return nil
}

// drawMasks fills the dropout masks from rng, value by value in layer
// order, as TrainStep does for the gorgonia graph's masks.
func (d *direct) drawMasks(rng *rand.Rand) {
	for _, l := range d.layers {
		if l.kind != Dropout {
			continue
		}
		keep := float32(1 / (1 - l.p))
		for k := range l.mask {
			v := keep
			if rng.Float64() < l.p {
				v = 0
			}
			l.mask[k] = v
		}
	}
}

// forward runs rows [0, n) of acts[0] through the layers into the logits
// (acts[len(layers)]); training applies the dropout masks.
func (d *direct) forward(n int, training bool) {
	for i := 0; i < len(d.layers); i++ {
		l := d.layers[i]
		if l.pooled {
			p := d.layers[i+1]
			l.conv.ForwardPool(d.acts[i][:n*l.in], l.w, l.b, p.pool, d.acts[i+2][:n*p.out], n, l.c, l.h, l.wd, l.o, p.relu)
			i++ // the pool's done
			continue
		}
		in, out := d.acts[i][:n*l.in], d.acts[i+1][:n*l.out]
		switch l.kind {
		case Dense:
			if d.sgemmRows == nil || !d.sgemmRows(blas.NoTrans, blas.NoTrans, n, l.out, l.in, 1, in, l.in, l.w, l.out, 0, out, l.out) {
				d.sgemm(blas.NoTrans, blas.NoTrans, n, l.out, l.in, 1, in, l.in, l.w, l.out, 0, out, l.out)
			}
			switch {
			case l.b != nil:
				kernels.BiasReLU(out, l.b, l.relu)
			case l.relu:
				kernels.ReLUForward(out, out)
			}
		case Conv2D:
			l.conv.Forward(in, l.w, l.b, out, n, l.c, l.h, l.wd, l.o)
		case MaxPool:
			l.pool.Forward(in, out, n*l.c, l.h, l.wd, l.relu)
		case ReLU:
			kernels.ReLUForward(in, out)
		case Dropout:
			if !training {
				copy(out, in)
				continue
			}
			rows(n, n*l.out, func(lo, hi int) { hadamard(in[lo*l.out:hi*l.out], l.mask[lo*l.out:hi*l.out], out[lo*l.out:hi*l.out]) })
		}
	}
}

// hadamard writes a⊙b into out.
func hadamard(a, b, out []float32) {
	b, out = b[:len(a)], out[:len(a)]
	for i, v := range a {
		out[i] = v * b[i]
	}
}

// rows runs f over the rows [0, n), in two halves at once when the pass
// touches enough values to pay for it. Every row is computed by one
// goroutine, so the split changes no value.
func rows(n, values int, f func(lo, hi int)) {
	if values < 1<<14 || n < 2 {
		f(0, n)
		return
	}
	kernels.Both(func() { f(0, n/2) }, func() { f(n/2, n) })
}

// lossAndGrad computes the loss -Σ target ⊙ logsoftmax(logits) and its
// gradient with respect to the logits, in gorgonia's operations (see
// direct's comment): per row, m = max, s = Σ exp(z−m) and
// logp = (z−m) − log s; the loss sums target·logp over all values in
// order and negates. Backward, as gorgonia's graph: dlogp = target·(−1),
// q = Σ target / s, dshift = dlogp + exp(z−m)·q, dm = Σ −dshift, and the
// logits' gradient dshift plus dm where z equals the row's maximum.
func (d *direct) lossAndGrad() {
	b, c := d.batch, d.classes
	z, dz := d.acts[len(d.layers)], d.grads[len(d.layers)]
	for i := 0; i < b; i++ {
		row := z[i*c : (i+1)*c]
		m := row[0]
		for _, v := range row[1:] {
			if v > m {
				m = v
			}
		}
		sh, e := d.shifted[i*c:(i+1)*c], d.expd[i*c:(i+1)*c]
		var s float32
		for j, v := range row {
			sh[j] = v - m
			e[j] = math32.Exp(sh[j])
		}
		for _, v := range e {
			s += v
		}
		lse := math32.Log(s)
		t, p := d.target[i*c:(i+1)*c], d.prod[i*c:(i+1)*c]
		var rs float32
		for j := range row {
			p[j] = t[j] * (sh[j] - lse)
			rs += -float32(t[j] * -1)
		}
		q := rs / s
		g := dz[i*c : (i+1)*c]
		var dm float32
		for j := range row {
			// Conversions round each product, as gorgonia's separate
			// passes do: Go may otherwise fuse a multiply and an add.
			g[j] = float32(t[j]*-1) + float32(e[j]*q)
			dm += -g[j]
		}
		for j, v := range row {
			var mask float32
			if v == m {
				mask = 1
			}
			g[j] += float32(dm * mask)
		}
	}
	var sum float32
	for _, v := range d.prod {
		sum += v
	}
	d.loss = -sum
}

// backward computes every weight's gradient from the logits' gradient.
func (d *direct) backward() {
	n := d.batch
	for i := len(d.layers) - 1; i >= 0; i-- {
		l := d.layers[i]
		if i > 0 && d.layers[i-1].pooled {
			continue // a pool: its convolution's pass does it
		}
		in, out := d.acts[i], d.acts[i+1]
		dout, din := d.grads[i+1], d.grads[i]
		switch l.kind {
		case Dense:
			if l.relu {
				kernels.ReLUBackward(out, dout, dout)
			}
			weights := func() {
				d.sgemm(blas.Trans, blas.NoTrans, l.in, l.out, n, 1, in, l.in, dout, l.out, 0, l.dw, l.out)
				if l.db != nil {
					sumRows(dout, l.db, n, l.out)
				}
			}
			if l.first {
				weights()
				return
			}
			// the weights' and the input's gradients, independent, at once
			kernels.Both(weights, func() {
				d.sgemm(blas.NoTrans, blas.Trans, n, l.in, l.out, 1, dout, l.out, l.w, l.out, 0, din, l.in)
			})
		case Conv2D:
			if l.pooled {
				// the pool's and the convolution's passes, image by image
				if l.first {
					din = nil
				}
				l.conv.BackwardPool(in, l.w, d.grads[i+2], d.layers[i+1].pool, din, l.dw, l.db, n, l.c, l.h, l.wd, l.o)
				if l.first {
					return
				}
				continue
			}
			if !l.first {
				l.conv.BackwardInput(l.w, dout, din, n, l.c, l.h, l.wd, l.o)
			}
			l.conv.BackwardFilter(in, dout, l.dw, n, l.c, l.h, l.wd, l.o)
			if l.db != nil {
				kernels.ConvBiasGrad(dout, l.db, n, l.o, l.h*l.wd)
			}
			if l.first {
				return
			}
		case MaxPool:
			l.pool.Backward(dout, din, n*l.c, l.h, l.wd)
		case ReLU:
			kernels.ReLUBackward(out, dout, din)
		case Dropout:
			rows(n, n*l.out, func(lo, hi int) { hadamard(dout[lo*l.out:hi*l.out], l.mask[lo*l.out:hi*l.out], din[lo*l.out:hi*l.out]) })
		}
	}
}

// sumRows writes the column sums of the n×width matrix a into out, rows
// added first to last (gorgonia's reduction over axis 0).
func sumRows(a, out []float32, n, width int) {
	copy(out, a[:width])
	for r := 1; r < n; r++ {
		row := a[r*width : (r+1)*width]
		for j, v := range row {
			out[j] += v
		}
	}
}

// setInput makes x the batch's input: read in place when it fills the
// batch (nothing writes to the input), else copied and padded with zeros.
func (d *direct) setInput(x []float32) {
	if len(x) == len(d.input) {
		d.acts[0] = x
		return
	}
	d.acts[0] = d.input
	copy(d.input, x)
	clear(d.input[len(x):])
}

// step runs one training step on the batch already in acts[0] and
// target; the masks are drawn.
func (d *direct) step() float64 {
	d.forward(d.batch, true)
	d.lossAndGrad()
	d.backward()
	return float64(d.loss)
}

// logits evaluates rows of x (n examples of width s) into out, in chunks
// of the executor's batch.
func (d *direct) logits(x []float32, s int, out []float32) {
	n := len(x) / s
	c := d.classes
	for start := 0; start < n; start += d.batch {
		k := min(d.batch, n-start)
		d.acts[0] = x[start*s : (start+k)*s]
		d.forward(k, false)
		copy(out[start*c:(start+k)*c], d.acts[len(d.layers)][:k*c])
	}
}
