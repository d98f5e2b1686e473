package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// runPool builds sum(w ⊙ maxpool(x)) and returns the pooled values and the
// gradient with respect to x.
func runPool(t *testing.T, x []float64, shape []int, w []float64) (y, dx []float64) {
	return runPoolWith(t, MaxPool2x2, x, shape, w)
}

func runPoolWith(t *testing.T, pool func(*G.Node) (*G.Node, error), x []float64, shape []int, w []float64) (y, dx []float64) {
	t.Helper()
	g := G.NewGraph()
	xn := G.NewTensor(g, tensor.Float64, 4, G.WithShape(shape...), G.WithName("x"), G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), x...)))))
	p, err := pool(xn)
	if err != nil {
		t.Fatal(err)
	}
	os := p.Shape()
	wn := G.NewTensor(g, tensor.Float64, 4, G.WithShape(os...), G.WithName("w"), G.WithValue(tensor.New(tensor.WithShape(os...), tensor.WithBacking(w))))
	prod, err := G.HadamardProd(p, wn)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := G.Sum(prod)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := G.Grad(cost, xn); err != nil {
		t.Fatal(err)
	}
	var pv G.Value
	G.Read(p, &pv)
	vm := G.NewTapeMachine(g, G.BindDualValues(xn))
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	gv, err := xn.Grad()
	if err != nil {
		t.Fatal(err)
	}
	return append([]float64(nil), pv.Data().([]float64)...), append([]float64(nil), gv.Data().([]float64)...)
}

func TestMaxPoolValuesAndGradient(t *testing.T) {
	// One 1×1×4×5 plane (the odd last column is dropped).
	x := []float64{
		1, 5, 2, 0, 9,
		3, 4, 8, 7, 9,
		-1, -2, 6, 6, 9,
		-3, -0.5, 6, 1, 9,
	}
	y, dx := runPool(t, x, []int{1, 1, 4, 5}, []float64{10, 20, 30, 40})
	wantY := []float64{5, 8, -0.5, 6}
	wantDx := []float64{
		0, 10, 0, 0, 0,
		0, 0, 20, 0, 0,
		0, 0, 40, 0, 0, // ties go to the first maximum
		0, 30, 0, 0, 0,
	}
	for i := range wantY {
		if y[i] != wantY[i] {
			t.Fatalf("pooled %v, want %v", y, wantY)
		}
	}
	for i := range wantDx {
		if dx[i] != wantDx[i] {
			t.Fatalf("gradient %v, want %v", dx, wantDx)
		}
	}
}

func TestMaxPoolFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shape := []int{2, 3, 4, 6}
	x := make([]float64, 2*3*4*6)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	w := make([]float64, 2*3*2*3)
	for i := range w {
		w[i] = rng.NormFloat64()
	}
	_, dx := runPool(t, x, shape, w)
	loss := func(x []float64) float64 {
		y, _ := runPool(t, x, shape, w)
		var s float64
		for i := range y {
			s += y[i] * w[i]
		}
		return s
	}
	const eps = 1e-6
	for i := range x {
		orig := x[i]
		x[i] = orig + eps
		up := loss(x)
		x[i] = orig - eps
		down := loss(x)
		x[i] = orig
		if num := (up - down) / (2 * eps); math.Abs(num-dx[i]) > 1e-6 {
			t.Fatalf("d/dx[%d]: analytic %v, numeric %v", i, dx[i], num)
		}
	}
}

// TestMaxPoolNaNDoesNotPanic is the fault gorgonia's MaxPool2D has: a
// window of NaN must give NaN, not an index of -1.
func TestMaxPoolNaNDoesNotPanic(t *testing.T) {
	nan := math.NaN()
	y, dx := runPool(t, []float64{nan, nan, nan, nan}, []int{1, 1, 2, 2}, []float64{1})
	if !math.IsNaN(y[0]) || dx[0] != 1 {
		t.Fatalf("pooled %v, gradient %v", y, dx)
	}
}

func TestReLUPassesNaNAndMasksGradient(t *testing.T) {
	x := []float64{-1, 0, 2, math.NaN()}
	y := make([]float64, 4)
	reluForward(x, y)
	if y[0] != 0 || y[1] != 0 || y[2] != 2 || !math.IsNaN(y[3]) {
		t.Fatalf("relu(%v) = %v", x, y)
	}
	dx := make([]float64, 4)
	reluBackward(x, []float64{5, 6, 7, 8}, dx)
	if dx[0] != 0 || dx[1] != 0 || dx[2] != 7 || dx[3] != 0 {
		t.Fatalf("relu gradient %v", dx)
	}
}

// TestPool32MatchesGeneric: the branch-free float32 path gives the generic
// path's values and gradients, ties (first maximum) and NaN windows
// included, with and without the fused ReLU.
func TestPool32MatchesGeneric(t *testing.T) {
	for _, relu := range []bool{false, true} {
		rng := rand.New(rand.NewPCG(9, 9))
		planes, h, w := 6, 6, 7
		x := make([]float32, planes*h*w)
		for i := range x {
			x[i] = float32(rng.IntN(5) - 2) // many ties, negatives and zeros
		}
		nan := float32(math.NaN())
		x[0], x[1], x[w], x[w+1] = nan, nan, nan, nan
		x[2], x[3] = nan, 5
		oh, ow := h/2, w/2
		y, yRef := make([]float32, planes*oh*ow), make([]float32, planes*oh*ow)
		arg := make([]uint8, len(y))
		poolForward32(x, y, arg, planes, h, w, relu)
		poolForward(x, yRef, planes, h, w)
		if relu {
			reluForward(yRef, yRef)
		}
		for i := range y {
			if !(y[i] == yRef[i] || math.IsNaN(float64(y[i])) && math.IsNaN(float64(yRef[i]))) {
				t.Fatalf("relu=%v: y[%d] = %v, generic %v", relu, i, y[i], yRef[i])
			}
		}
		dy := randVec(rng, len(y))
		dx, dxRef := make([]float32, len(x)), make([]float32, len(x))
		poolBackward32(dy, dx, arg, planes, h, w)
		poolBackward(x, dy, dxRef, planes, h, w, relu)
		for i := range dx {
			if i < 2 || i == w || i == w+1 { // the all-NaN window: any one input may take the gradient
				continue
			}
			if dx[i] != dxRef[i] {
				t.Fatalf("relu=%v: dx[%d] = %v, generic %v", relu, i, dx[i], dxRef[i])
			}
		}
	}
}

// TestReLUMaxPoolEqualsComposition: the fused op gives MaxPool2x2(ReLU(x))
// exactly, values and gradients, on windows with negatives, zeros and ties.
func TestReLUMaxPoolEqualsComposition(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	shape := []int{2, 3, 4, 6}
	x := make([]float64, 2*3*4*6)
	for i := range x {
		x[i] = float64(rng.IntN(7) - 4) // mostly ≤ 0, with ties
	}
	x[0], x[1], x[6], x[7] = -1, -2, -3, -0.5 // a window entirely below 0
	w := make([]float64, 2*3*2*3)
	for i := range w {
		w[i] = rng.NormFloat64()
	}
	composed := func(x *G.Node) (*G.Node, error) {
		r, err := ReLU(x)
		if err != nil {
			return nil, err
		}
		return MaxPool2x2(r)
	}
	y, dx := runPoolWith(t, ReLUMaxPool2x2, x, shape, w)
	yRef, dxRef := runPoolWith(t, composed, x, shape, w)
	for i := range y {
		if y[i] != yRef[i] {
			t.Fatalf("y[%d] = %v, composition %v", i, y[i], yRef[i])
		}
	}
	for i := range dx {
		if dx[i] != dxRef[i] {
			t.Fatalf("dx[%d] = %v, composition %v", i, dx[i], dxRef[i])
		}
	}
	if y[0] != 0 || dx[0] != 0 || dx[1] != 0 || dx[6] != 0 || dx[7] != 0 {
		t.Fatalf("window below 0: pooled %v, gradients %v %v %v %v", y[0], dx[0], dx[1], dx[6], dx[7])
	}
}
