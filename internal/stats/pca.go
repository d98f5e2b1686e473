package stats

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// The randomized SVD's settings (Halko, Martinsson & Tropp 2011,
// algorithm 4.4). oversample extra sketch columns and passes of AᵀA until
// the leading singular values settle (a relative change below
// powerTolerance, at most powerIterations passes) make the leading
// singular values and vectors accurate to far below the gaps between them
// on data whose spectrum decays, in two or three passes. On a flat
// spectrum (noise), where no direction is principal, the cap is reached
// and the components found explain a little less than the exact ones
// (99% of their variance on 800×1000 Gaussian noise). sketchSeed fixes the
// Gaussian sketch: the same data give the same components, bit for bit.
const (
	oversample      = 20
	powerIterations = 10
	powerTolerance  = 1e-6
	sketchSeed      = 0x70636131 // "pca1"
)

// PCA is a fitted principal component analysis: x ↦ (x - Mean)·Components.
type PCA struct {
	Mean []float64
	// Components is dim×k, one unit column per component, by decreasing
	// variance, each with its largest loading positive.
	Components *mat.Dense
	// Variance is the variance along each kept component; Explained is the
	// fraction of the total variance they explain together.
	Variance  []float64
	Explained float64
}

// FitPCA fits a PCA on n rows of dim values (row-major) and keeps the
// fewest components that explain at least fraction of the variance, at
// most maxK and at most min(n, dim) (fraction ≥ 1 keeps all of those,
// unless fewer already explain all the variance).
//
// Only the components that can be kept are computed. With m = min(n, dim)
// and l = min(maxK, m) + 20 sketch columns, a randomized SVD costs
// O(n·dim·l) time (products of the data with an l-column block) and
// O((n + dim)·l) memory beyond the data; it is used when that is below a
// full thin SVD's O(n·dim·m) even at the cap of power iterations (22
// products), i.e. when 22·l < m: a 2-D view of 2,000 rows of 5,000
// columns, not 784 pixels kept to 95%. Otherwise the full
// SVD, exact, is cheaper. Explained is exact on either path: the total
// variance it divides by is the squared norm of the centred data.
func FitPCA(x []float32, dim int, fraction float64, maxK int) (*PCA, error) {
	n := len(x) / dim
	if n < 2 || dim < 1 || len(x) != n*dim {
		return nil, fmt.Errorf("pca needs at least 2 rows of %d values, got %d values", dim, len(x))
	}
	data := mat.NewDense(n, dim, Float64s(x))
	mean := make([]float64, dim)
	for j := range dim {
		mean[j] = stat.Mean(mat.Col(nil, j, data), nil)
	}
	centred := mat.NewDense(n, dim, nil)
	centred.Apply(func(_, j int, v float64) float64 { return v - mean[j] }, data)
	kmax := min(max(maxK, 1), n, dim)
	var vals, cum []float64
	var vecs *mat.Dense
	var total float64
	if l := kmax + oversample; (2*powerIterations+2)*l < min(n, dim) {
		var err error
		if vals, vecs, err = randomizedSVD(centred, kmax, l, sketchSeed); err != nil {
			return nil, err
		}
		cum = floats.CumSum(make([]float64, kmax), sq(vals[:kmax], n))
		// The total variance is the squared norm of the centred data,
		// exact although most components are never computed.
		f := mat.Norm(centred, 2)
		total = f * f / float64(n-1)
	} else {
		var err error
		if vals, vecs, err = fullSVD(centred); err != nil {
			return nil, err
		}
		// The running share is read off one cumulative sum, whose last
		// entry is the total, so that keeping every component explains
		// exactly 1.
		cum = floats.CumSum(make([]float64, len(vals)), sq(vals, n))
		total = cum[len(cum)-1]
	}
	vars := sq(vals[:kmax], n)
	k := 1
	for k < kmax && !(total > 0 && cum[k-1]/total >= fraction) {
		k++
	}
	p := &PCA{Mean: mean, Components: mat.NewDense(dim, k, nil), Variance: vars[:k:k]}
	p.Components.Copy(vecs.Slice(0, dim, 0, k))
	for c := range k {
		p.Components.SetCol(c, signed(mat.Col(nil, c, p.Components)))
	}
	if total > 0 {
		p.Explained = min(1, cum[k-1]/total)
	}
	return p, nil
}

// sq turns singular values of centred data of n rows into variances.
func sq(s []float64, n int) []float64 {
	v := make([]float64, len(s))
	for i, x := range s {
		v[i] = x * x / float64(n-1)
	}
	return v
}

// fullSVD is the thin SVD of the centred data: its singular values,
// decreasing, and its right singular vectors as columns. The SVD of the
// data, rather than the eigendecomposition of their covariance, which
// squares the condition number: small components of wide inputs (784
// pixels) keep their precision. This is what gonum's stat.PC does, less the
// left singular vectors (n×min(n, dim)), which nothing here uses and which
// made it twice as slow on 784-pixel images.
func fullSVD(a *mat.Dense) ([]float64, *mat.Dense, error) {
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThinV) {
		r, c := a.Dims()
		return nil, nil, fmt.Errorf("pca: the SVD of the %d×%d centred data did not converge", r, c)
	}
	var v mat.Dense
	svd.VTo(&v)
	return svd.Values(nil), &v, nil
}

// randomizedSVD approximates the leading l singular values (decreasing)
// and right singular vectors of a (n×d) by randomized subspace iteration:
// Q spans A·Ω for an l-column Gaussian Ω, refined by passes of
// Q ← orth(A·orth(Aᵀ·Q)), re-orthonormalized at every step so that the
// small directions are not lost to rounding, until the k leading singular
// values of A·orth(Aᵀ·Q) (those of its R factor) settle; then the SVD of
// the small l×d matrix Qᵀ·A gives them.
func randomizedSVD(a *mat.Dense, k, l int, seed uint64) ([]float64, *mat.Dense, error) {
	n, d := a.Dims()
	rng := rand.New(rand.NewPCG(seed, uint64(n)<<32|uint64(d)))
	omega := mat.NewDense(d, l, nil)
	for i := range omega.RawMatrix().Data {
		omega.RawMatrix().Data[i] = rng.NormFloat64()
	}
	y := mat.NewDense(n, l, nil)
	y.Mul(a, omega)
	prev := orthonormalize(y)
	z := mat.NewDense(d, l, nil)
	for range powerIterations {
		z.Mul(a.T(), y)
		orthonormalize(z)
		y.Mul(a, z)
		s := orthonormalize(y)
		settled := true
		for i := range k {
			settled = settled && math.Abs(s[i]-prev[i]) <= powerTolerance*s[i]
		}
		if prev = s; settled {
			break
		}
	}
	var b mat.Dense
	b.Mul(y.T(), a) // l×d
	var svd mat.SVD
	if !svd.Factorize(&b, mat.SVDThinV) {
		return nil, nil, fmt.Errorf("pca: the SVD of the %d×%d sketch of the %d×%d centred data did not converge", l, d, n, d)
	}
	var v mat.Dense
	svd.VTo(&v)
	return svd.Values(nil), &v, nil
}

// orthonormalize replaces the columns of the tall matrix m (rows ≥ cols)
// by an orthonormal basis of their span, the thin Q of its QR
// factorization (without forming the full square Q that mat.QR makes),
// and returns the singular values of R, those of the columns it replaced.
func orthonormalize(m *mat.Dense) []float64 {
	g := m.RawMatrix()
	tau := make([]float64, g.Cols)
	work := []float64{0}
	lapack64.Geqrf(g, tau, work, -1)
	lapack64.Orgqr(g, tau, work, -1)
	work = make([]float64, int(work[0]))
	lapack64.Geqrf(g, tau, work, len(work))
	r := mat.NewTriDense(g.Cols, mat.Upper, nil)
	r.Copy(m.Slice(0, g.Cols, 0, g.Cols))
	lapack64.Orgqr(g, tau, work, len(work))
	var svd mat.SVD
	if !svd.Factorize(r, mat.SVDNone) {
		return make([]float64, g.Cols) // R has NaN or Inf: nothing settles, the cap ends the passes
	}
	return svd.Values(nil)
}

// signed fixes the sign the SVD leaves free: the largest loading (the
// first, on a tie) is made positive, so that the same data give the same
// scatter plot, not its mirror image.
func signed(v []float64) []float64 {
	if v[blas64.Iamax(blas64.Vector{N: len(v), Data: v, Inc: 1})] < 0 {
		floats.Scale(-1, v)
	}
	return v
}

// K is the number of components kept.
func (p *PCA) K() int { _, k := p.Components.Dims(); return k }

// Transform projects rows of x onto the components.
func (p *PCA) Transform(x []float32) []float32 {
	dim := len(p.Mean)
	n := len(x) / dim
	centered := mat.NewDense(n, dim, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < dim; j++ {
			centered.Set(i, j, float64(x[i*dim+j])-p.Mean[j])
		}
	}
	var out mat.Dense
	out.Mul(centered, p.Components)
	return Float32s(out.RawMatrix().Data)
}
