package feasibility

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/internal/stats"
	"github.com/practica-ml/practica/model"
)

// Embedding settings.
const (
	// RandomDim is the width of the Gaussian random projection.
	RandomDim = 256
	// PCAVariance is the fraction of the variance the PCA embedding keeps,
	// with at most PCAMaxComponents components, fitted on at most
	// PCAFitPoints training examples.
	PCAVariance      = 0.95
	PCAMaxComponents = 256
	PCAFitPoints     = 5000
)

// Embedding names.
const (
	EmbedRaw          = "raw"
	EmbedRandom       = "random_projection"
	EmbedPCA          = "pca"
	EmbedUntrainedCNN = "untrained_cnn"
)

// EmbeddingInfo describes one embedding in feasibility.json.
type EmbeddingInfo struct {
	Name        string `json:"name"`
	Dim         int    `json:"dim"`
	Description string `json:"description"`
	// ExplainedVariance is the fraction of variance kept (pca only).
	ExplainedVariance float64 `json:"explained_variance,omitempty"`
}

// embedding is one view of the training and validation examples.
type embedding struct {
	EmbeddingInfo
	train, val []float32 // row-major, Dim wide
}

// embed builds the naive embeddings of tr and va: raw features, a seeded
// Gaussian random projection, PCA, and for images the last hidden layer of
// the untrained CNN (cnn is its spec).
func embed(tr, va *data.Dataset, cnn *model.Spec, seed uint64) ([]embedding, error) {
	d := tr.SampleSize()
	embs := []embedding{{EmbeddingInfo: EmbeddingInfo{Name: EmbedRaw, Dim: d,
		Description: fmt.Sprintf("the %d input features as prepared for training (normalized)", d)}, train: tr.X, val: va.X}}

	rng := rand.New(rand.NewPCG(seed, 0x72616e646f6d)) // "random"
	r := mat.NewDense(d, RandomDim, nil)
	scale := 1 / math.Sqrt(float64(d))
	for i := 0; i < d; i++ {
		for j := 0; j < RandomDim; j++ {
			r.Set(i, j, rng.NormFloat64()*scale)
		}
	}
	embs = append(embs, embedding{EmbeddingInfo: EmbeddingInfo{Name: EmbedRandom, Dim: RandomDim,
		Description: fmt.Sprintf("a seeded Gaussian random projection of the %d features to %d dimensions", d, RandomDim)},
		train: project(tr.X, d, r), val: project(va.X, d, r)})

	fit := tr.X
	if tr.Len() > PCAFitPoints {
		fit = tr.Subset(sample(tr.Len(), PCAFitPoints, seed, 0x706361)).X
	}
	pca, err := stats.FitPCA(fit, d, PCAVariance, PCAMaxComponents)
	if err != nil {
		return nil, err
	}
	embs = append(embs, embedding{EmbeddingInfo: EmbeddingInfo{Name: EmbedPCA, Dim: pca.K(), ExplainedVariance: pca.Explained,
		Description: fmt.Sprintf("the first %d principal components (%.1f%% of the variance; at most %d, for %.0f%%)", pca.K(), 100*pca.Explained, PCAMaxComponents, 100*PCAVariance)},
		train: pca.Transform(tr.X), val: pca.Transform(va.X)})

	if cnn != nil && tr.Kind == data.Image {
		m, err := model.New(*cnn, tr.Shape, tr.NumClasses(), model.Options{TrainBatch: 1, Seed: seed, NoDropout: true})
		if err != nil {
			return nil, err
		}
		ft, dim, err := m.Features(tr.X)
		if err != nil {
			return nil, err
		}
		fv, _, err := m.Features(va.X)
		if err != nil {
			return nil, err
		}
		embs = append(embs, embedding{EmbeddingInfo: EmbeddingInfo{Name: EmbedUntrainedCNN, Dim: dim,
			Description: fmt.Sprintf("the %d activations of the last hidden layer of the untrained cnn (channels %v, hidden %v), seeded weights", dim, cnn.Channels, cnn.Hidden)},
			train: ft, val: fv})
	}
	return embs, nil
}

// project multiplies the rows of x (d wide) by r.
func project(x []float32, d int, r *mat.Dense) []float32 {
	n := len(x) / d
	var out mat.Dense
	out.Mul(mat.NewDense(n, d, toFloat64(x)), r)
	return toFloat32(out.RawMatrix().Data)
}

// sample draws k of n indices without replacement, seeded, in increasing
// order; all of them when k ≥ n.
func sample(n, k int, seed, stream uint64) []int {
	if k >= n {
		return seq(n)
	}
	rng := rand.New(rand.NewPCG(seed, stream))
	idx := rng.Perm(n)[:k]
	slices.Sort(idx)
	return idx
}
