package stats

import (
	"fmt"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
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
	// The SVD of the centred data, rather than the eigendecomposition of
	// its covariance, which squares the condition number: small components
	// of wide inputs (784 pixels) keep their precision. This is what
	// gonum's stat.PC does, less the left singular vectors (n×min(n, dim)),
	// which nothing here uses and which made it twice as slow on 784-pixel
	// images.
	var svd mat.SVD
	if !svd.Factorize(centred, mat.SVDThinV) {
		return nil, fmt.Errorf("pca: the SVD of the %d×%d centred data did not converge", n, dim)
	}
	vars := svd.Values(nil) // decreasing, min(n, dim) of them
	for i, s := range vars {
		vars[i] = s * s / float64(n-1)
	}
	var vecs mat.Dense
	svd.VTo(&vecs)
	// The running share is read off one cumulative sum, whose last entry is
	// the total, so that keeping every component explains exactly 1.
	cum := floats.CumSum(make([]float64, len(vars)), vars)
	total := cum[len(cum)-1]
	k := 1
	for k < min(maxK, len(vars)) && !(total > 0 && cum[k-1]/total >= fraction) {
		k++
	}
	p := &PCA{Mean: mean, Components: mat.NewDense(dim, k, nil), Variance: vars[:k:k]}
	p.Components.Copy(vecs.Slice(0, dim, 0, k))
	for c := range k {
		p.Components.SetCol(c, signed(mat.Col(nil, c, p.Components)))
	}
	if total > 0 {
		p.Explained = cum[k-1] / total
	}
	return p, nil
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
