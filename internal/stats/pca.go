package stats

import (
	"fmt"
	"sort"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// PCA is a fitted principal component analysis: x ↦ (x - Mean)·Components.
type PCA struct {
	Mean []float64
	// Components is dim×k, one unit column per component, by decreasing
	// variance.
	Components *mat.Dense
	// Variance is the variance along each kept component; Explained is the
	// fraction of the total variance they explain together.
	Variance  []float64
	Explained float64
}

// FitPCA fits a PCA on n rows of dim values (row-major) and keeps the
// fewest components that explain at least fraction of the variance, at
// most maxK (fraction ≥ 1 keeps exactly maxK).
func FitPCA(x []float32, dim int, fraction float64, maxK int) (*PCA, error) {
	n := len(x) / dim
	if n < 2 || dim < 1 || len(x) != n*dim {
		return nil, fmt.Errorf("pca needs at least 2 rows of %d values, got %d values", dim, len(x))
	}
	data := mat.NewDense(n, dim, toFloat64(x))
	var cov mat.SymDense
	stat.CovarianceMatrix(&cov, data, nil)
	var eig mat.EigenSym
	if !eig.Factorize(&cov, true) {
		return nil, fmt.Errorf("pca: the eigendecomposition of the %d×%d covariance did not converge", dim, dim)
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	order := make([]int, dim)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return vals[order[a]] > vals[order[b]] })
	var total float64
	for _, v := range vals {
		total += max(v, 0)
	}
	maxK = min(maxK, dim)
	k, cum := 0, 0.0
	for k < maxK {
		cum += max(vals[order[k]], 0)
		k++
		if total > 0 && cum/total >= fraction {
			break
		}
	}
	p := &PCA{Mean: make([]float64, dim), Components: mat.NewDense(dim, k, nil), Variance: make([]float64, k)}
	for j := 0; j < dim; j++ {
		p.Mean[j] = stat.Mean(mat.Col(nil, j, data), nil)
	}
	for c := 0; c < k; c++ {
		p.Variance[c] = vals[order[c]]
		for j := 0; j < dim; j++ {
			p.Components.Set(j, c, vecs.At(j, order[c]))
		}
		// A fixed sign (the largest loading positive) makes plots stable.
		big := 0
		for j := 1; j < dim; j++ {
			if abs(p.Components.At(j, c)) > abs(p.Components.At(big, c)) {
				big = j
			}
		}
		if p.Components.At(big, c) < 0 {
			for j := 0; j < dim; j++ {
				p.Components.Set(j, c, -p.Components.At(j, c))
			}
		}
	}
	if total > 0 {
		p.Explained = cum / total
	}
	return p, nil
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
	return toFloat32(out.RawMatrix().Data)
}

func toFloat64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

func toFloat32(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
