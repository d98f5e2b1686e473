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
	// randomDim is the width of the Gaussian random projection.
	randomDim = 256
	// pcaVariance is the fraction of the variance the PCA embedding keeps,
	// with at most pcaMaxComponents components, fitted on at most
	// pcaFitPoints training examples.
	pcaVariance      = 0.95
	pcaMaxComponents = 256
	pcaFitPoints     = 5000
)

// Embedding names.
const (
	embedRaw          = "raw"
	embedRandom       = "random_projection"
	embedPCA          = "pca"
	embedUntrainedCNN = "untrained_cnn"
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
	embs := []embedding{{EmbeddingInfo: EmbeddingInfo{Name: embedRaw, Dim: d,
		Description: fmt.Sprintf("the %d input features as prepared for training (normalized)", d)}, train: tr.X, val: va.X}}

	rng := rand.New(rand.NewPCG(seed, 0x72616e646f6d)) // "random"
	r := mat.NewDense(d, randomDim, nil)
	scale := 1 / math.Sqrt(float64(d))
	for i := 0; i < d; i++ {
		for j := 0; j < randomDim; j++ {
			r.Set(i, j, rng.NormFloat64()*scale)
		}
	}
	embs = append(embs, embedding{EmbeddingInfo: EmbeddingInfo{Name: embedRandom, Dim: randomDim,
		Description: fmt.Sprintf("a seeded Gaussian random projection of the %d features to %d dimensions", d, randomDim)},
		train: project(tr.X, d, r), val: project(va.X, d, r)})

	fit := tr.X
	if tr.Len() > pcaFitPoints {
		fit = tr.Subset(sample(tr.Len(), pcaFitPoints, seed, 0x706361)).X
	}
	pca, err := stats.FitPCA(fit, d, pcaVariance, pcaMaxComponents)
	if err != nil {
		return nil, err
	}
	embs = append(embs, embedding{EmbeddingInfo: EmbeddingInfo{Name: embedPCA, Dim: pca.K(), ExplainedVariance: pca.Explained,
		Description: fmt.Sprintf("the first %d principal components (%.1f%% of the variance; at most %d, for %.0f%%)", pca.K(), 100*pca.Explained, pcaMaxComponents, 100*pcaVariance)},
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
		embs = append(embs, embedding{EmbeddingInfo: EmbeddingInfo{Name: embedUntrainedCNN, Dim: dim,
			Description: fmt.Sprintf("the %d activations of the last hidden layer of the untrained cnn (channels %v, hidden %v), seeded weights", dim, cnn.Channels, cnn.Hidden)},
			train: ft, val: fv})
	}
	return embs, nil
}

// project multiplies the rows of x (d wide) by r.
func project(x []float32, d int, r *mat.Dense) []float32 {
	n := len(x) / d
	var out mat.Dense
	out.Mul(mat.NewDense(n, d, stats.Float64s(x)), r)
	return stats.Float32s(out.RawMatrix().Data)
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
