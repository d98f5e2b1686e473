package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

type convCase struct {
	n, c, h, w, o, k, stride, pad int
	bias                          bool
}

func (cc convCase) String() string {
	return fmt.Sprintf("N%d,C%d,%dx%d,O%d,K%d,s%d,p%d,bias=%v", cc.n, cc.c, cc.h, cc.w, cc.o, cc.k, cc.stride, cc.pad, cc.bias)
}

func (cc convCase) inputs(rng *rand.Rand) []graphInput {
	in := []graphInput{randInput(rng, cc.n, cc.c, cc.h, cc.w), randInput(rng, cc.o, cc.c, cc.k, cc.k)}
	if cc.bias {
		in = append(in, randInput(rng, 1, cc.o, 1, 1))
	}
	return in
}

func (cc convCase) build(in ...*G.Node) (*G.Node, error) {
	var b *G.Node
	if cc.bias {
		b = in[2]
	}
	return Conv2D(in[0], in[1], b, cc.stride, cc.pad)
}

// convCases: the shapes of a small ResNet's layers and their edges, with
// N = 1 and odd N (uneven halves of the batch).
var convCases = []convCase{
	{3, 4, 5, 6, 5, 1, 1, 0, true},   // 1×1, stride 1: the image is its own unfolding
	{3, 4, 7, 7, 5, 1, 2, 0, true},   // 1×1, stride 2: a residual projection, 7×7 → 4×4
	{1, 3, 14, 14, 7, 3, 2, 1, true}, // 3×3, stride 2, padding 1: 14×14 → 7×7
	{3, 3, 7, 8, 4, 3, 2, 1, false},  // the same on odd and unequal sides
	{3, 2, 9, 8, 3, 5, 1, 0, true},   // 5×5 valid
	{3, 3, 6, 7, 2, 2, 2, 0, true},   // 2×2, stride 2: the odd last column dropped
	{1, 2, 5, 5, 3, 3, 1, 0, false},  // 3×3 valid
	{3, 2, 5, 7, 3, 3, 3, 2, true},   // stride 3, padding 2
	{3, 3, 9, 9, 4, 5, 2, 2, false},  // 5×5, stride 2, padding 2
	{2, 2, 6, 5, 3, 4, 1, 1, true},   // an even kernel with padding
	{1, 2, 3, 3, 2, 5, 1, 1, true},   // the kernel as large as the padded input: 1×1
	{5, 2, 4, 4, 3, 1, 1, 1, false},  // 1×1 with padding: a zero border around the output
	{3, 3, 5, 5, 4, 3, 1, 1, true},   // Conv3x3's case, through Conv2D
	{3, 32, 6, 6, 13, 3, 2, 1, true}, // C·K·K = 288: more than one K block of the multiply
}

// convRef is a convolution computed directly in float64, with its
// gradients for a given dy, and for each value the sum of the absolute
// values of its terms (the scale of float32's rounding error).
type convRef struct{ y, yAbs, dx, dxAbs, dw, dwAbs, db, dbAbs []float64 }

func directConv2D(cc convCase, x, w, b, dy []float64) convRef {
	ho, wo := (cc.h+2*cc.pad-cc.k)/cc.stride+1, (cc.w+2*cc.pad-cc.k)/cc.stride+1
	ny := cc.n * cc.o * ho * wo
	r := convRef{y: make([]float64, ny), yAbs: make([]float64, ny),
		dx: make([]float64, len(x)), dxAbs: make([]float64, len(x)),
		dw: make([]float64, len(w)), dwAbs: make([]float64, len(w)),
		db: make([]float64, cc.o), dbAbs: make([]float64, cc.o)}
	for img := 0; img < cc.n; img++ {
		for oc := 0; oc < cc.o; oc++ {
			for i := 0; i < ho; i++ {
				for j := 0; j < wo; j++ {
					yi := ((img*cc.o+oc)*ho+i)*wo + j
					var s, a float64
					if b != nil {
						s, a = b[oc], math.Abs(b[oc])
					}
					g := dy[yi]
					for ic := 0; ic < cc.c; ic++ {
						for ki := 0; ki < cc.k; ki++ {
							for kj := 0; kj < cc.k; kj++ {
								si, sj := i*cc.stride+ki-cc.pad, j*cc.stride+kj-cc.pad
								if si < 0 || si >= cc.h || sj < 0 || sj >= cc.w {
									continue
								}
								xi, wi := ((img*cc.c+ic)*cc.h+si)*cc.w+sj, ((oc*cc.c+ic)*cc.k+ki)*cc.k+kj
								s += x[xi] * w[wi]
								a += math.Abs(x[xi] * w[wi])
								r.dx[xi] += g * w[wi]
								r.dxAbs[xi] += math.Abs(g * w[wi])
								r.dw[wi] += g * x[xi]
								r.dwAbs[wi] += math.Abs(g * x[xi])
							}
						}
					}
					r.y[yi], r.yAbs[yi] = s, a
					r.db[oc] += g
					r.dbAbs[oc] += math.Abs(g)
				}
			}
		}
	}
	return r
}

// ulp32 is float32's unit roundoff, 2⁻²⁴.
const ulp32 = 1.0 / (1 << 24)

// checkClose: |got − want| ≤ tol·scale element by element, where scale is
// the sum of the absolute values of want's terms. It returns the largest
// error in units of scale.
func checkClose(t *testing.T, what string, got, want, scale []float64, tol float64) float64 {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	worst := 0.0
	for i := range want {
		err := math.Abs(got[i] - want[i])
		if err > tol*scale[i] || math.IsNaN(got[i]) {
			t.Fatalf("%s[%d] = %v, want %v (error %.3g, allowed %.3g)", what, i, got[i], want[i], err, tol*scale[i])
		}
		if scale[i] > 0 {
			worst = max(worst, err/scale[i])
		}
	}
	return worst
}

// TestConv2DMatchesDirect checks every case's output and its three
// gradients, in float32 (through the packed multiply) and float64 (the
// plain reference path), against a direct convolution in float64. A sum's
// rounding error is bounded by units of roundoff of the sum of its terms'
// absolute values: float32 may be off by a few of them (8 allowed, under
// 3 seen), float64 by almost none.
func TestConv2DMatchesDirect(t *testing.T) {
	worst := 0.0
	for ci, cc := range convCases {
		ins := cc.inputs(rand.New(rand.NewPCG(uint64(ci), 1)))
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			name := fmt.Sprintf("%v/%v", cc, dt)
			lg := newLossGraph(t, dt, cc.build, rng64(uint64(100+ci)), ins...)
			ho, wo := (cc.h+2*cc.pad-cc.k)/cc.stride+1, (cc.w+2*cc.pad-cc.k)/cc.stride+1
			if want := (tensor.Shape{cc.n, cc.o, ho, wo}); !lg.out.Shape().Eq(want) {
				t.Fatalf("%s: output shape %v, want %v", name, lg.out.Shape(), want)
			}
			lg.run()
			var b []float64
			if cc.bias {
				b = ins[2].data
			}
			ref := directConv2D(cc, ins[0].data, ins[1].data, b, lg.r)
			tol := 1e-13
			if dt == tensor.Float32 {
				tol = 8 * ulp32
			}
			for _, e := range []float64{
				checkClose(t, name+": y", lg.output(), ref.y, ref.yAbs, tol),
				checkClose(t, name+": dx", lg.grad(0), ref.dx, ref.dxAbs, tol),
				checkClose(t, name+": dw", lg.grad(1), ref.dw, ref.dwAbs, tol),
			} {
				if dt == tensor.Float32 {
					worst = max(worst, e)
				}
			}
			if cc.bias {
				checkClose(t, name+": db", lg.grad(2), ref.db, ref.dbAbs, tol)
			}
		}
	}
	t.Logf("largest float32 error: %.2f units of roundoff of the absolute sum", worst/ulp32)
}

// TestConv2DFiniteDifferences checks the float64 graph's gradients with
// respect to input, filters and bias against central differences of the
// loss, on every case small enough to perturb element by element.
func TestConv2DFiniteDifferences(t *testing.T) {
	for ci, cc := range convCases {
		if cc.n*cc.c*cc.h*cc.w+cc.o*cc.c*cc.k*cc.k > 1000 {
			continue
		}
		ins := cc.inputs(rand.New(rand.NewPCG(uint64(ci), 2)))
		lg := newLossGraph(t, tensor.Float64, cc.build, rng64(uint64(200+ci)), ins...)
		t.Run(cc.String(), func(t *testing.T) {
			lg.t = t
			checkFiniteDifferences(t, lg, []string{"x", "w", "b"})
		})
	}
}

// TestConv2D3x3IsConv3x3: a 3×3 convolution with stride 1 and padding 1
// is Conv3x3's op, and gives its bits, values and gradients.
func TestConv2D3x3IsConv3x3(t *testing.T) {
	for _, bias := range []bool{false, true} {
		cc := convCase{3, 4, 9, 7, 6, 3, 1, 1, bias}
		ins := cc.inputs(rand.New(rand.NewPCG(3, 3)))
		a := newLossGraph(t, tensor.Float32, cc.build, rng64(33), ins...)
		b := newLossGraph(t, tensor.Float32, func(in ...*G.Node) (*G.Node, error) {
			if bias {
				return Conv3x3(in[0], in[1], in[2])
			}
			return Conv3x3(in[0], in[1], nil)
		}, rng64(33), ins...)
		if _, ok := a.out.Op().(*conv); !ok {
			t.Fatalf("bias=%v: Conv2D(3×3, 1, 1) built %v, not Conv3x3's op", bias, a.out.Op())
		}
		a.run()
		b.run()
		if i := sameBits(a.output(), b.output()); i >= 0 {
			t.Fatalf("bias=%v: y[%d] differs", bias, i)
		}
		for k := range ins {
			if i := sameBits(a.grad(k), b.grad(k)); i >= 0 {
				t.Fatalf("bias=%v: gradient %d differs at %d", bias, k, i)
			}
		}
	}
}

// TestResidualBlockFiniteDifferences: a downsampling residual block
// (3×3 stride 2 then Conv3x3's case, beside a 1×1 stride-2 projection)
// gives branches of the same shape on the odd and even sides a small
// ResNet on 28×28 meets, and its float64 graph, global average pooling
// included, has the gradients of central differences.
func TestResidualBlockFiniteDifferences(t *testing.T) {
	block := func(in ...*G.Node) (*G.Node, error) {
		x, w1, b1, w2, wp := in[0], in[1], in[2], in[3], in[4]
		half := (x.Shape()[2] + 1) / 2
		h, err := Conv2D(x, w1, b1, 2, 1)
		if err != nil {
			return nil, err
		}
		if h, err = ReLU(h); err != nil {
			return nil, err
		}
		if h, err = Conv2D(h, w2, nil, 1, 1); err != nil {
			return nil, err
		}
		p, err := Conv2D(x, wp, nil, 2, 0)
		if err != nil {
			return nil, err
		}
		if want := (tensor.Shape{2, 3, half, half}); !h.Shape().Eq(want) || !p.Shape().Eq(want) {
			return nil, fmt.Errorf("branches %v and %v, want %v", h.Shape(), p.Shape(), want)
		}
		if h, err = G.Add(h, p); err != nil {
			return nil, err
		}
		return GlobalAvgPool(h)
	}
	for _, side := range []int{28, 14, 7, 4} {
		rng := rand.New(rand.NewPCG(uint64(side), 12))
		ins := []graphInput{randInput(rng, 2, 2, side, side), randInput(rng, 3, 2, 3, 3), randInput(rng, 1, 3, 1, 1), randInput(rng, 3, 3, 3, 3), randInput(rng, 3, 2, 1, 1)}
		lg := newLossGraph(t, tensor.Float64, block, rng64(uint64(side)), ins...)
		if !lg.out.Shape().Eq(tensor.Shape{2, 3}) {
			t.Fatalf("side %d: output %v", side, lg.out.Shape())
		}
		if side > 14 {
			continue // the shapes are the point here; 28×28 is slow to perturb
		}
		t.Run(fmt.Sprint(side), func(t *testing.T) {
			lg.t = t
			checkFiniteDifferences(t, lg, []string{"x", "w1", "b1", "w2", "wp"})
		})
	}
}

// checkBatchIndependence: each image's output and input gradient in a
// batch of five have the bits of the same image alone (f's first input is
// the batch; the others, as params, are shared), and a second run of the
// batch gives the same bits for every gradient.
func checkBatchIndependence(t *testing.T, name string, f func(in ...*G.Node) (*G.Node, error), x graphInput, params ...graphInput) {
	t.Helper()
	n := x.shape[0]
	all := newLossGraph(t, tensor.Float32, f, rng64(77), append([]graphInput{x}, params...)...)
	all.run()
	y, dx := all.output(), all.grad(0)
	again := make([][]float64, len(params)+1)
	for k := range again {
		again[k] = all.grad(k)
	}
	all.run()
	if i := sameBits(all.output(), y); i >= 0 {
		t.Fatalf("%s: a second run differs at y[%d]", name, i)
	}
	for k := range again {
		if i := sameBits(all.grad(k), again[k]); i >= 0 {
			t.Fatalf("%s: a second run differs in gradient %d at %d", name, k, i)
		}
	}
	perY, perX := len(y)/n, len(dx)/n
	for img := 0; img < n; img++ {
		one := graphInput{shape: append([]int{1}, x.shape[1:]...), data: x.data[img*perX : (img+1)*perX]}
		r := all.r[img*perY : (img+1)*perY]
		alone := newLossGraph(t, tensor.Float32, f, func(int) []float64 { return r }, append([]graphInput{one}, params...)...)
		alone.run()
		if i := sameBits(alone.output(), y[img*perY:(img+1)*perY]); i >= 0 {
			t.Fatalf("%s: image %d of %d: y[%d] differs from the image alone", name, img, n, i)
		}
		if i := sameBits(alone.grad(0), dx[img*perX:(img+1)*perX]); i >= 0 {
			t.Fatalf("%s: image %d of %d: dx[%d] differs from the image alone", name, img, n, i)
		}
	}
}

func TestConv2DBatchIndependence(t *testing.T) {
	for ci, cc := range []convCase{
		{5, 8, 14, 14, 16, 3, 2, 1, true},
		{5, 8, 14, 14, 16, 1, 2, 0, false},
		{5, 8, 7, 7, 16, 1, 1, 0, true},
		{5, 3, 9, 9, 4, 5, 1, 0, true},
	} {
		rng := rand.New(rand.NewPCG(uint64(ci), 5))
		ins := cc.inputs(rng)
		checkBatchIndependence(t, cc.String(), cc.build, ins[0], ins[1:]...)
	}
}

// TestConv2DBadShapes: shapes that do not fit are errors that name them,
// not panics.
func TestConv2DBadShapes(t *testing.T) {
	cases := []struct {
		x, w, b         []int
		stride, pad     int
		mention1, ment2 string
	}{
		{[]int{2, 3, 8, 8}, []int{4, 2, 3, 3}, nil, 1, 0, "(2, 3, 8, 8)", "(4, 2, 3, 3)"},          // channels differ
		{[]int{2, 3, 8, 8}, []int{4, 3, 3, 2}, nil, 1, 0, "(2, 3, 8, 8)", "(4, 3, 3, 2)"},          // not square
		{[]int{2, 3, 4, 8}, []int{4, 3, 5, 5}, nil, 1, 0, "(2, 3, 4, 8)", "(4, 3, 5, 5)"},          // larger than the input
		{[]int{2, 3, 4, 4}, []int{4, 3, 7, 7}, nil, 1, 1, "(2, 3, 4, 4)", "(4, 3, 7, 7)"},          // larger than the padded input
		{[]int{2, 3, 8, 8}, []int{4, 3, 3, 3}, nil, 0, 1, "(2, 3, 8, 8)", "stride 0"},              // stride 0
		{[]int{2, 3, 8, 8}, []int{4, 3, 3, 3}, nil, 1, -1, "(2, 3, 8, 8)", "padding -1"},           // negative padding
		{[]int{2, 3, 8, 8}, []int{4, 3, 3, 3}, []int{1, 3, 1, 1}, 2, 1, "(1, 3, 1, 1)", "1×4×1×1"}, // bias for 3 filters
		{[]int{2, 3, 8, 8}, []int{4, 3, 3, 3}, []int{1, 3, 1, 1}, 1, 1, "(1, 3, 1, 1)", "1×4×1×1"}, // the same on Conv3x3's route
		{[]int{3, 8, 8}, []int{4, 3, 3, 3}, nil, 1, 0, "(3, 8, 8)", "(4, 3, 3, 3)"},                // input not 4-D
	}
	for i, c := range cases {
		g := G.NewGraph()
		x := G.NewTensor(g, tensor.Float32, len(c.x), G.WithShape(c.x...), G.WithName("x"))
		w := G.NewTensor(g, tensor.Float32, len(c.w), G.WithShape(c.w...), G.WithName("w"))
		var b *G.Node
		if c.b != nil {
			b = G.NewTensor(g, tensor.Float32, len(c.b), G.WithShape(c.b...), G.WithName("b"))
		}
		var err error
		noPanic(t, fmt.Sprintf("case %d", i), func() { _, err = Conv2D(x, w, b, c.stride, c.pad) })
		if err == nil {
			t.Fatalf("case %d: x %v, w %v, b %v, stride %d, pad %d: no error", i, c.x, c.w, c.b, c.stride, c.pad)
		}
		if !strings.Contains(err.Error(), c.mention1) || !strings.Contains(err.Error(), c.ment2) {
			t.Fatalf("case %d: error %q does not mention %q and %q", i, err, c.mention1, c.ment2)
		}
	}
}

// TestConv2DNaNDoesNotPanic: NaN and infinite inputs and filters give NaN
// (or infinite) outputs and gradients, never a panic or an error.
func TestConv2DNaNDoesNotPanic(t *testing.T) {
	for ci, cc := range []convCase{{3, 2, 7, 7, 3, 3, 2, 1, true}, {3, 2, 6, 6, 3, 1, 1, 0, true}, {3, 2, 6, 6, 3, 3, 1, 1, true}} {
		ins := cc.inputs(rand.New(rand.NewPCG(uint64(ci), 9)))
		ins[0].data[0], ins[0].data[5] = math.NaN(), math.Inf(1)
		ins[1].data[1] = math.Inf(-1)
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			noPanic(t, cc.String(), func() {
				lg := newLossGraph(t, dt, cc.build, rng64(9), ins...)
				lg.run()
				if !math.IsNaN(lg.output()[0]) {
					t.Fatalf("%v/%v: y[0] = %v with NaN at x[0]", cc, dt, lg.output()[0])
				}
				for k := range ins {
					lg.grad(k)
				}
			})
		}
	}
}

// BenchmarkConv2D: forward and backward (input, filter and bias
// gradients) of a small ResNet's downsampling layers on a batch of 128,
// 32 → 64 channels at 14×14: the 3×3 stride-2 convolution and the 1×1
// stride-2 projection; and, for scale, the 3×3 stride-1 layer (32 → 32)
// through Conv3x3 and through the general path.
func BenchmarkConv2D(b *testing.B) {
	cases := []struct {
		name              string
		o, k, stride, pad int
		conv3x3           bool
	}{
		{"3x3s2_32to64", 64, 3, 2, 1, false},
		{"1x1s2_32to64", 64, 1, 2, 0, false},
		{"3x3s1_32to32/Conv3x3", 32, 3, 1, 1, true},
		{"3x3s1_32to32/general", 32, 3, 1, 1, false},
	}
	const n, c, h, w = 128, 32, 14, 14
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			g := newConvGeom(c, h, w, bc.k, bc.stride, bc.pad)
			ckk := c * bc.k * bc.k
			x, wt, bias := randVec(rng, n*c*h*w), randVec(rng, bc.o*ckk), randVec(rng, bc.o)
			y, dy := make([]float32, n*bc.o*g.hwo), randVec(rng, n*bc.o*g.hwo)
			dx, dw, db := make([]float32, len(x)), make([]float32, len(wt)), make([]float32, bc.o)
			var fwd, bwdX, bwdW convScratch
			for b.Loop() {
				if bc.conv3x3 {
					convForward32(x, wt, bias, y, n, c, h, w, bc.o, &fwd, nil)
					convBackwardInput32(wt, dy, dx, n, c, bc.o, h, w, &bwdX)
					convBackwardFilter32(x, dy, dw, n, c, h, w, bc.o, &bwdW)
				} else {
					conv2dForward32(x, wt, bias, y, n, bc.o, g, &fwd)
					conv2dBackwardInput32(wt, dy, dx, n, bc.o, g, &bwdX)
					conv2dBackwardFilter32(x, dy, dw, n, bc.o, g, &bwdW)
				}
				biasGrad(dy, db, n, bc.o, g.hwo)
			}
			flops := 3 * 2 * float64(n*bc.o*g.hwo*ckk)
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
