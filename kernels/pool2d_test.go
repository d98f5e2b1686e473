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

type poolCase struct {
	n, c, h, w, size, stride int
}

func (pc poolCase) String() string {
	return fmt.Sprintf("N%d,C%d,%dx%d,size%d,stride%d", pc.n, pc.c, pc.h, pc.w, pc.size, pc.stride)
}

func (pc poolCase) pool(avg bool) func(in ...*G.Node) (*G.Node, error) {
	if avg {
		return func(in ...*G.Node) (*G.Node, error) { return AvgPool2D(in[0], pc.size, pc.stride) }
	}
	return func(in ...*G.Node) (*G.Node, error) { return MaxPool2D(in[0], pc.size, pc.stride) }
}

var poolCases = []poolCase{
	{3, 2, 7, 7, 3, 2}, // overlapping windows, 7×7 → 3×3
	{1, 3, 6, 5, 2, 1}, // overlapping, stride 1
	{3, 2, 9, 8, 3, 3}, // windows side by side; the last row and two columns dropped
	{3, 2, 7, 9, 2, 3}, // gaps between windows
	{2, 2, 5, 4, 1, 1}, // the identity
	{3, 2, 5, 7, 5, 1}, // windows as tall as the input
	{3, 2, 7, 5, 2, 2}, // MaxPool2x2's route for max-pooling, odd sides
	{5, 4, 4, 4, 4, 4}, // one window per plane
}

// directPool pools in float64: the first maximum in row-major order (the
// first NaN, if any) or the mean; dx for dy, and for each value the sum of
// its terms' absolute values.
func directPool(pc poolCase, avg bool, x, dy []float64) (y, yAbs, dx, dxAbs []float64) {
	ho, wo := (pc.h-pc.size)/pc.stride+1, (pc.w-pc.size)/pc.stride+1
	y, yAbs = make([]float64, pc.n*pc.c*ho*wo), make([]float64, pc.n*pc.c*ho*wo)
	dx, dxAbs = make([]float64, len(x)), make([]float64, len(x))
	area := float64(pc.size * pc.size)
	for p := 0; p < pc.n*pc.c; p++ {
		for i := 0; i < ho; i++ {
			for j := 0; j < wo; j++ {
				yi := (p*ho+i)*wo + j
				var window []int
				for a := 0; a < pc.size; a++ {
					for b := 0; b < pc.size; b++ {
						window = append(window, (p*pc.h+i*pc.stride+a)*pc.w+j*pc.stride+b)
					}
				}
				if avg {
					for _, k := range window {
						y[yi] += x[k] / area
						yAbs[yi] += math.Abs(x[k]) / area
						dx[k] += dy[yi] / area
						dxAbs[k] += math.Abs(dy[yi]) / area
					}
					continue
				}
				best := window[0]
				for _, k := range window {
					if math.IsNaN(x[k]) {
						best = k
						break
					}
					if x[k] > x[best] {
						best = k
					}
				}
				y[yi], yAbs[yi] = x[best], math.Abs(x[best])
				dx[best] += dy[yi]
				dxAbs[best] += math.Abs(dy[yi])
			}
		}
	}
	return y, yAbs, dx, dxAbs
}

// TestPoolsMatchDirect checks max- and average-pooling, values and input
// gradients, in float32 and float64, against direct loops in float64.
// Max-pooling selects, so its values are exact; window sums are
// accumulated in float64, so averages are within an ulp; overlapping
// windows add gradients in float32.
func TestPoolsMatchDirect(t *testing.T) {
	for ci, pc := range poolCases {
		x := randInput(rand.New(rand.NewPCG(uint64(ci), 3)), pc.n, pc.c, pc.h, pc.w)
		for _, avg := range []bool{false, true} {
			for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
				name := fmt.Sprintf("%v/avg=%v/%v", pc, avg, dt)
				lg := newLossGraph(t, dt, pc.pool(avg), rng64(uint64(300+ci)), x)
				ho, wo := (pc.h-pc.size)/pc.stride+1, (pc.w-pc.size)/pc.stride+1
				if want := (tensor.Shape{pc.n, pc.c, ho, wo}); !lg.out.Shape().Eq(want) {
					t.Fatalf("%s: output shape %v, want %v", name, lg.out.Shape(), want)
				}
				lg.run()
				y, yAbs, dx, dxAbs := directPool(pc, avg, x.data, lg.r)
				tol := 1e-15
				if dt == tensor.Float32 {
					tol = 2 * ulp32
				}
				checkClose(t, name+": y", lg.output(), y, yAbs, tol)
				checkClose(t, name+": dx", lg.grad(0), dx, dxAbs, tol)
			}
		}
	}
}

func TestGlobalAvgPoolMatchesDirect(t *testing.T) {
	for ci, s := range [][4]int{{3, 4, 7, 7}, {1, 2, 1, 1}, {2, 3, 4, 5}, {5, 64, 4, 4}} {
		x := randInput(rand.New(rand.NewPCG(uint64(ci), 4)), s[:]...)
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			name := fmt.Sprintf("%v/%v", s, dt)
			lg := newLossGraph(t, dt, func(in ...*G.Node) (*G.Node, error) { return GlobalAvgPool(in[0]) }, rng64(uint64(400+ci)), x)
			if want := (tensor.Shape{s[0], s[1]}); !lg.out.Shape().Eq(want) {
				t.Fatalf("%s: output shape %v, want %v", name, lg.out.Shape(), want)
			}
			lg.run()
			hw := s[2] * s[3]
			y, yAbs := make([]float64, s[0]*s[1]), make([]float64, s[0]*s[1])
			dx, dxAbs := make([]float64, len(x.data)), make([]float64, len(x.data))
			for p := range y {
				for k := p * hw; k < (p+1)*hw; k++ {
					y[p] += x.data[k] / float64(hw)
					yAbs[p] += math.Abs(x.data[k]) / float64(hw)
					dx[k] = lg.r[p] / float64(hw)
					dxAbs[k] = math.Abs(dx[k])
				}
			}
			tol := 1e-15
			if dt == tensor.Float32 {
				tol = 2 * ulp32
			}
			checkClose(t, name+": y", lg.output(), y, yAbs, tol)
			checkClose(t, name+": dx", lg.grad(0), dx, dxAbs, tol)
		}
	}
}

// TestPoolsFiniteDifferences checks the float64 graphs' input gradients
// against central differences of the loss (the inputs are distinct normal
// values, so no window's maximum changes within the step).
func TestPoolsFiniteDifferences(t *testing.T) {
	for ci, pc := range poolCases {
		x := randInput(rand.New(rand.NewPCG(uint64(ci), 5)), pc.n, pc.c, pc.h, pc.w)
		for _, avg := range []bool{false, true} {
			lg := newLossGraph(t, tensor.Float64, pc.pool(avg), rng64(uint64(500+ci)), x)
			t.Run(fmt.Sprintf("%v/avg=%v", pc, avg), func(t *testing.T) {
				lg.t = t
				checkFiniteDifferences(t, lg, []string{"x"})
			})
		}
	}
	x := randInput(rand.New(rand.NewPCG(6, 6)), 3, 2, 5, 4)
	lg := newLossGraph(t, tensor.Float64, func(in ...*G.Node) (*G.Node, error) { return GlobalAvgPool(in[0]) }, rng64(600), x)
	t.Run("global", func(t *testing.T) {
		lg.t = t
		checkFiniteDifferences(t, lg, []string{"x"})
	})
}

// TestMaxPool2DTiesAndNaN: a tie goes to the window's first maximum in
// row-major order (-0 before +0 included); a window holding NaN outputs
// NaN and passes its gradient to its first NaN, over any number (+Inf
// included); overlapping windows add their gradients.
func TestMaxPool2DTiesAndNaN(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	negZero := math.Copysign(0, -1)
	x := graphInput{shape: []int{1, 3, 3, 3}, data: []float64{
		1, 3, 3,
		3, 0, nan,
		2, 2, -1,

		nan, nan, 5,
		1, nan, inf,
		0, 0, 0,

		negZero, 0, 0,
		0, 0, 0,
		0, 0, 0,
	}}
	r := []float64{1, 10, 100, 1000, 2, 20, 200, 2000, 3, 30, 300, 3000}
	wantY := []float64{3, nan, 3, nan, nan, nan, nan, nan, negZero, 0, 0, 0}
	wantDx := []float64{
		0, 1, 0,
		100, 0, 1010,
		0, 0, 0,

		2, 20, 0,
		0, 2200, 0,
		0, 0, 0,

		3, 30, 0,
		300, 3000, 0,
		0, 0, 0,
	}
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		var lg *lossGraph
		noPanic(t, dt.String(), func() {
			lg = newLossGraph(t, dt, poolCase{size: 2, stride: 1}.pool(false), func(int) []float64 { return r }, x)
			lg.run()
		})
		y, dx := lg.output(), lg.grad(0)
		for i := range wantY {
			if math.Float64bits(y[i]) != math.Float64bits(wantY[i]) && !(math.IsNaN(y[i]) && math.IsNaN(wantY[i])) {
				t.Fatalf("%v: pooled %v, want %v", dt, y, wantY)
			}
		}
		for i := range wantDx {
			if dx[i] != wantDx[i] {
				t.Fatalf("%v: gradient %v, want %v", dt, dx, wantDx)
			}
		}
	}
}

// TestMaxPool2D2x2IsMaxPool2x2: size 2 with stride 2 is MaxPool2x2's op
// (odd sides floored the same way) and gives its bits.
func TestMaxPool2D2x2IsMaxPool2x2(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	x := graphInput{shape: []int{3, 2, 7, 5}, data: make([]float64, 3*2*7*5)}
	for i := range x.data {
		x.data[i] = float64(rng.IntN(5) - 2) // ties
	}
	a := newLossGraph(t, tensor.Float32, poolCase{size: 2, stride: 2}.pool(false), rng64(88), x)
	b := newLossGraph(t, tensor.Float32, func(in ...*G.Node) (*G.Node, error) { return MaxPool2x2(in[0]) }, rng64(88), x)
	if _, ok := a.out.Op().(*maxPool); !ok {
		t.Fatalf("MaxPool2D(2, 2) built %v, not MaxPool2x2's op", a.out.Op())
	}
	if !a.out.Shape().Eq(tensor.Shape{3, 2, 3, 2}) {
		t.Fatalf("shape %v", a.out.Shape())
	}
	a.run()
	b.run()
	if i := sameBits(a.output(), b.output()); i >= 0 {
		t.Fatalf("y[%d] differs", i)
	}
	if i := sameBits(a.grad(0), b.grad(0)); i >= 0 {
		t.Fatalf("dx[%d] differs", i)
	}
}

// TestPoolsBatchIndependence: each image's pooled values and gradient in a
// batch of five are the bits of the image alone (the batch is large enough
// for the planes to be split between two goroutines).
func TestPoolsBatchIndependence(t *testing.T) {
	x := randInput(rand.New(rand.NewPCG(10, 10)), 5, 32, 15, 15)
	for _, pc := range []poolCase{{size: 3, stride: 2}, {size: 2, stride: 1}, {size: 3, stride: 3}} {
		for _, avg := range []bool{false, true} {
			checkBatchIndependence(t, fmt.Sprintf("%v/avg=%v", pc, avg), pc.pool(avg), x)
		}
	}
	checkBatchIndependence(t, "global", func(in ...*G.Node) (*G.Node, error) { return GlobalAvgPool(in[0]) }, x)
}

// TestPoolsBadShapes: shapes and windows that do not fit are errors that
// name them, not panics.
func TestPoolsBadShapes(t *testing.T) {
	cases := []struct {
		shape        []int
		size, stride int
		mention      string
	}{
		{[]int{2, 3, 4, 4}, 0, 1, "window 0"},
		{[]int{2, 3, 4, 4}, 2, 0, "stride 0"},
		{[]int{2, 3, 4, 4}, 5, 1, "(2, 3, 4, 4)"},
		{[]int{2, 3, 4, 1}, 2, 2, "(2, 3, 4, 1)"}, // MaxPool2x2's route: the width is below the window
		{[]int{3, 4, 4}, 2, 2, "(3, 4, 4)"},
	}
	for i, c := range cases {
		for _, avg := range []bool{false, true} {
			g := G.NewGraph()
			x := G.NewTensor(g, tensor.Float32, len(c.shape), G.WithShape(c.shape...), G.WithName("x"))
			var err error
			noPanic(t, fmt.Sprintf("case %d", i), func() { _, err = poolCase{size: c.size, stride: c.stride}.pool(avg)(x) })
			if err == nil || !strings.Contains(err.Error(), c.mention) {
				t.Fatalf("case %d, avg=%v: error %v, want one mentioning %q", i, avg, err, c.mention)
			}
		}
	}
	for _, shape := range [][]int{{3, 4}, {2, 3, 4}} {
		g := G.NewGraph()
		x := G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName("x"))
		var err error
		noPanic(t, fmt.Sprint(shape), func() { _, err = GlobalAvgPool(x) })
		if err == nil || !strings.Contains(err.Error(), fmt.Sprint(tensor.Shape(shape))) {
			t.Fatalf("global average-pool of %v: error %v", shape, err)
		}
	}
}

// TestAvgPoolsNaNDoesNotPanic: NaN and infinite inputs make their windows'
// averages NaN or infinite and leave the gradients (which do not depend on
// x) finite.
func TestAvgPoolsNaNDoesNotPanic(t *testing.T) {
	x := randInput(rand.New(rand.NewPCG(11, 11)), 2, 2, 5, 5)
	x.data[0], x.data[30] = math.NaN(), math.Inf(-1)
	builds := map[string]func(in ...*G.Node) (*G.Node, error){
		"avg":    poolCase{size: 3, stride: 2}.pool(true),
		"global": func(in ...*G.Node) (*G.Node, error) { return GlobalAvgPool(in[0]) },
	}
	for name, f := range builds {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			noPanic(t, name, func() {
				lg := newLossGraph(t, dt, f, rng64(11), x)
				lg.run()
				if !math.IsNaN(lg.output()[0]) {
					t.Fatalf("%s/%v: y[0] = %v with NaN at x[0]", name, dt, lg.output()[0])
				}
				for i, v := range lg.grad(0) {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("%s/%v: dx[%d] = %v", name, dt, i, v)
					}
				}
			})
		}
	}
}
