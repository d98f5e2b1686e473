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
	t.Helper()
	g := G.NewGraph()
	xn := G.NewTensor(g, tensor.Float64, 4, G.WithShape(shape...), G.WithName("x"), G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), x...)))))
	p, err := MaxPool2x2(xn)
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
