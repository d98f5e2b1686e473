package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// TestPCA: points on a line in 3-D have one component with all the
// variance, along the line.
func TestPCA(t *testing.T) {
	var x []float32
	for i := 0; i < 50; i++ {
		s := float32(i - 25)
		x = append(x, 1+s, 2+2*s, 3-2*s)
	}
	p, err := FitPCA(x, 3, 0.95, 10)
	if err != nil {
		t.Fatal(err)
	}
	if p.K() != 1 || !near(p.Explained, 1, 1e-9) {
		t.Fatalf("k %d explained %v, want 1 and 1", p.K(), p.Explained)
	}
	// The component is ±(1, 2, -2)/3, its sign fixed by the largest loading.
	for j, w := range []float64{1.0 / 3, 2.0 / 3, -2.0 / 3} {
		if !near(p.Components.At(j, 0), w, 1e-9) && !near(p.Components.At(j, 0), -w, 1e-9) {
			t.Fatalf("component %v", p.Components.RawMatrix().Data)
		}
	}
	// Projection: x=(1,2,3)+s(1,2,-2) maps to ±3(s+0.5), the mean being
	// at s = -0.5.
	z := p.Transform([]float32{1 + 4, 2 + 8, 3 - 8})
	if !near(math.Abs(float64(z[0])), 13.5, 1e-4) {
		t.Fatalf("projection %v, want ±13.5", z[0])
	}
	// Variance of s·3 for s in -25..24 (sample variance) is 9·212.5.
	if !near(p.Variance[0], 9*212.5, 1e-6) {
		t.Fatalf("variance %v, want %v", p.Variance[0], 9*212.5)
	}
}

// TestPCAExplainedVariance on four points worked by hand: around the mean
// (10, -5) they are ±(3, 6), along u = (1, 2)/√5 at distance 3√5, and
// ±(2, -1), along v = (2, -1)/√5 at distance √5. The sample variances are
// (45+45)/3 = 30 along u and (5+5)/3 = 10/3 along v, so u explains 30 of
// 100/3, 0.9.
func TestPCAExplainedVariance(t *testing.T) {
	x := []float32{13, 1, 7, -11, 12, -6, 8, -4}
	one, err := FitPCA(x, 2, 0.85, 2)
	if err != nil {
		t.Fatal(err)
	}
	if one.K() != 1 || !near(one.Explained, 0.9, 1e-12) || !near(one.Variance[0], 30, 1e-12) {
		t.Fatalf("k %d, explained %v, variance %v; want 1, 0.9, [30]", one.K(), one.Explained, one.Variance)
	}
	both, err := FitPCA(x, 2, 1, 5)
	if err != nil {
		t.Fatal(err)
	}
	if both.K() != 2 || both.Explained != 1 || !near(both.Variance[0], 30, 1e-12) || !near(both.Variance[1], 10.0/3, 1e-12) {
		t.Fatalf("k %d, explained %v, variance %v; want 2, 1, [30 3.333]", both.K(), both.Explained, both.Variance)
	}
	if !near(both.Mean[0], 10, 0) || !near(both.Mean[1], -5, 0) {
		t.Fatalf("mean %v", both.Mean)
	}
	// Both largest loadings (2 in u, 2 in v) are positive already.
	s5 := math.Sqrt(5)
	for c, want := range [][]float64{{1 / s5, 2 / s5}, {2 / s5, -1 / s5}} {
		for j, w := range want {
			if got := both.Components.At(j, c); !near(got, w, 1e-12) {
				t.Fatalf("component %d is %v, want %v", c, mat.Col(nil, c, both.Components), want)
			}
		}
	}
	z := both.Transform([]float32{13, 1, 12, -6})
	for i, want := range []float64{3 * s5, 0, 0, s5} {
		if !near(float64(z[i]), want, 1e-5) {
			t.Fatalf("projections %v, want (3√5, 0) and (0, √5)", z)
		}
	}
}

// TestPCASign: the SVD may return a component or its negative; FitPCA
// makes the largest loading positive, so the data, their mirror image and
// a reordering of the rows all give the same component and the same
// projections.
func TestPCASign(t *testing.T) {
	// Points s·(1, -3, 2), s = -4..4, plus e·(3, 1, 0), an orthogonal spread
	// uncorrelated with s (e even in s, summing to 0): the component is ±w,
	// w = (1, -3, 2)/√14, and the largest loading, the second, makes it -w.
	spread := []float32{1, -1, 1, -1, 0, -1, 1, -1, 1}
	line := func(mirror, reverse bool) []float32 {
		var x []float32
		for i := range 9 {
			if reverse {
				i = 8 - i
			}
			s, e := float32(i-4), spread[i]/4 // exact in float32: the spread stays orthogonal
			r := []float32{s + 3*e, -3*s + e, 2 * s}
			if mirror {
				for j := range r {
					r[j] = -r[j]
				}
			}
			x = append(x, r...)
		}
		return x
	}
	s14 := math.Sqrt(14)
	want := []float64{-1 / s14, 3 / s14, -2 / s14}
	for _, c := range []struct{ mirror, reverse bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		p, err := FitPCA(line(c.mirror, c.reverse), 3, 0.9, 3)
		if err != nil {
			t.Fatal(err)
		}
		if p.K() != 1 {
			t.Fatalf("%+v: %d components, want 1", c, p.K())
		}
		for j, w := range want {
			if got := p.Components.At(j, 0); !near(got, w, 1e-9) {
				t.Fatalf("%+v: component %v, want %v", c, mat.Col(nil, 0, p.Components), want)
			}
		}
		// The point at -w from the mean (which is 0) projects to +√14.
		if z := p.Transform([]float32{-1, 3, -2}); !near(float64(z[0]), s14, 1e-5) {
			t.Fatalf("%+v: projection %v, want √14", c, z[0])
		}
	}
	// On a tie the first of the largest loadings decides.
	if v := signed([]float64{-0.5, 0.5, 0.1}); v[0] != 0.5 || v[1] != -0.5 || v[2] != -0.1 {
		t.Fatalf("signed on a tie: %v", v)
	}
}

// TestPCAFewRows: n rows give at most n components (the centred data have
// rank below n), and all of them explain all the variance.
func TestPCAFewRows(t *testing.T) {
	x := []float32{1, 0, 2, 5, -1, 3, 0, 1, 4, 2, 2, -2, 3, 1, 0, 0, 1, 7}
	p, err := FitPCA(x, 6, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if p.K() > 3 || !near(p.Explained, 1, 1e-12) {
		t.Fatalf("%d components explaining %v from 3 rows", p.K(), p.Explained)
	}
	// The components are orthonormal.
	var g mat.Dense
	g.Mul(p.Components.T(), p.Components)
	if !mat.EqualApprox(&g, eye(p.K()), 1e-12) {
		t.Fatalf("componentsᵀ·components = %v", mat.Formatted(&g))
	}
	if _, err := FitPCA([]float32{1, 2, 3}, 3, 1, 2); err == nil {
		t.Fatal("a PCA of one row succeeded")
	}
}

func eye(n int) *mat.Dense {
	m := mat.NewDense(n, n, nil)
	for i := range n {
		m.Set(i, i, 1)
	}
	return m
}

// spectrum returns n rows of d values whose centred singular values decay
// geometrically (scale·ratio^i along seeded random orthonormal directions)
// over a little seeded noise: principal components well separated, as in
// real data.
func spectrum(n, d, rank int, scale, ratio, noise float64, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 7))
	gauss := func(rows, cols int) *mat.Dense {
		m := mat.NewDense(rows, cols, nil)
		for i := range m.RawMatrix().Data {
			m.RawMatrix().Data[i] = r.NormFloat64()
		}
		return m
	}
	u, v := gauss(n, rank), gauss(d, rank)
	orthonormalize(u)
	orthonormalize(v)
	s := scale
	for c := range rank {
		col := mat.Col(nil, c, u)
		floats.Scale(s, col)
		u.SetCol(c, col)
		s *= ratio
	}
	var a mat.Dense
	a.Mul(u, v.T())
	x := make([]float32, n*d)
	for i := range n {
		for j := range d {
			x[i*d+j] = float32(a.At(i, j) + noise*r.NormFloat64() + float64(j%5))
		}
	}
	return x
}

// reference is the full-SVD PCA of x, the exact answer the randomized
// path approximates: variances, the total variance, and the first k
// components with their signs fixed.
func reference(t *testing.T, x []float32, d, k int) ([]float64, float64, *mat.Dense) {
	t.Helper()
	n := len(x) / d
	a := mat.NewDense(n, d, Float64s(x))
	for j := range d {
		col := mat.Col(nil, j, a)
		m := floats.Sum(col) / float64(n)
		floats.AddConst(-m, col)
		a.SetCol(j, col)
	}
	vals, v, err := fullSVD(a)
	if err != nil {
		t.Fatal(err)
	}
	vars := sq(vals, n)
	comps := mat.NewDense(d, k, nil)
	for c := range k {
		comps.SetCol(c, signed(mat.Col(nil, c, v)))
	}
	return vars, floats.Sum(vars), comps
}

// TestPCARandomizedMatchesFullSVD: on data wide and long enough for the
// randomized path, FitPCA's components, variances and explained share
// equal the full SVD's (components up to the sign both fix the same way),
// and two fits are identical bit for bit.
func TestPCARandomizedMatchesFullSVD(t *testing.T) {
	for _, c := range []struct {
		name     string
		n, d, k  int
		fraction float64
		tol      float64
	}{
		{"tall, 2-D view", 700, 500, 2, 1, 1e-9},
		{"wide, 2-D view", 500, 1200, 2, 1, 1e-9},
		{"wide, 5 components for 99%", 600, 800, 5, 0.99, 1e-9},
	} {
		t.Run(c.name, func(t *testing.T) {
			x := spectrum(c.n, c.d, 12, 400, 0.6, 0.05, 3)
			if !((2*powerIterations+2)*(c.k+oversample) < min(c.n, c.d)) {
				t.Fatalf("%d×%d does not take the randomized path", c.n, c.d)
			}
			p, err := FitPCA(x, c.d, c.fraction, c.k)
			if err != nil {
				t.Fatal(err)
			}
			vars, total, comps := reference(t, x, c.d, c.k)
			if p.K() != c.k {
				t.Fatalf("%d components, want %d", p.K(), c.k)
			}
			for i := range c.k {
				if !near(p.Variance[i], vars[i], c.tol*vars[i]) {
					t.Errorf("variance %d: %v, full SVD %v", i, p.Variance[i], vars[i])
				}
				for j := range c.d {
					if !near(p.Components.At(j, i), comps.At(j, i), c.tol) {
						t.Fatalf("component %d, loading %d: %v, full SVD %v", i, j, p.Components.At(j, i), comps.At(j, i))
					}
				}
			}
			if want := floats.Sum(vars[:c.k]) / total; !near(p.Explained, want, 1e-12) {
				t.Errorf("explained %v, full SVD %v", p.Explained, want)
			}
			again, err := FitPCA(x, c.d, c.fraction, c.k)
			if err != nil {
				t.Fatal(err)
			}
			if !mat.Equal(again.Components, p.Components) || !slices.Equal(again.Variance, p.Variance) || again.Explained != p.Explained {
				t.Fatal("two fits of the same data differ")
			}
		})
	}
}

// TestPCARandomizedOnNoise: on pure noise no direction is principal and
// the sketch cannot find the exact top components; what it finds must
// still explain nearly as much variance as they do (within 2% of it), with
// orthonormal components.
func TestPCARandomizedOnNoise(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	n, d := 500, 600
	x := make([]float32, n*d)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	p, err := FitPCA(x, d, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	vars, total, _ := reference(t, x, d, 2)
	want := (vars[0] + vars[1]) / total
	if p.Explained > want*(1+1e-12) || p.Explained < 0.98*want {
		t.Fatalf("explained %v, full SVD %v", p.Explained, want)
	}
	var g mat.Dense
	g.Mul(p.Components.T(), p.Components)
	if !mat.EqualApprox(&g, eye(2), 1e-12) {
		t.Fatalf("componentsᵀ·components = %v", mat.Formatted(&g))
	}
}
