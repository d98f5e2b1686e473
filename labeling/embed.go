package labeling

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/internal/stats"
)

// The PCA embedding's settings: the fewest principal components that
// explain pcaVariance of the normalized inputs' variance, at most
// pcaMaxComponents, fitted on a seeded sample of at most pcaFitPoints
// examples (as feasibility fits its PCA).
const (
	pcaVariance      = 0.95
	pcaMaxComponents = 32
	pcaFitPoints     = 5000
)

// Embedding names.
const (
	EmbedRunFeatures = "run_features"
	EmbedPCA         = "pca"
)

// Embedding is the pool's examples as vectors, for clustering.
type Embedding struct {
	// Name is EmbedRunFeatures or EmbedPCA; Description says it in words.
	Name        string
	Description string
	// X is n×Dim, row-major, row i the pool's example i.
	X   []float64
	Dim int
	// Classes is the number of classes the embedding is known to separate
	// (the run's model's, else the source's), for ChooseK.
	Classes int
}

// Embed is the best embedding of the pool at hand: with a run, its
// model's penultimate layer (the activations entering its output layer,
// after the run's own preprocessing); without, or when the run's model
// has no hidden layer (linear), the principal components of the inputs
// normalized as train would (the statistics fitted on the pool).
func (p *Pool) Embed() (*Embedding, error) {
	if p.Options.Run != "" {
		pr, err := p.runPredictor()
		if err != nil {
			return nil, err
		}
		in, err := conformX(pr, p.Data)
		if err != nil {
			return nil, err
		}
		f, dim, err := pr.Features(in.X)
		if err != nil {
			// A model without a hidden layer (linear) has no embedding of
			// its own: the inputs' principal components stand in.
			emb, perr := PCAEmbedding(p.Data, p.Options.Seed)
			if perr != nil {
				return nil, fmt.Errorf("embedding with the run's model: %w", err)
			}
			emb.Description += fmt.Sprintf(" (the run's model gives none: %v)", err)
			return emb, nil
		}
		return &Embedding{Name: EmbedRunFeatures, X: stats.Float64s(f), Dim: dim, Classes: len(pr.Checkpoint.Classes),
			Description: fmt.Sprintf("the %d activations entering the output layer of the %s model of %s", dim, pr.Checkpoint.Spec.Arch, p.Options.Run)}, nil
	}
	return PCAEmbedding(p.Data, p.Options.Seed)
}

// PCAEmbedding embeds d by the principal components of its inputs, normalized
// with statistics fitted on d as train fits them on its training split.
// Missing cells (NaN) count as the mean.
func PCAEmbedding(d *data.Dataset, seed uint64) (*Embedding, error) {
	norm, err := data.FitNormalization(d)
	if err != nil {
		return nil, err
	}
	x := slices.Clone(d.X)
	norm.ApplyRows(x)
	for i, v := range x {
		if math.IsNaN(float64(v)) {
			x[i] = 0
		}
	}
	s := d.SampleSize()
	fit := x
	if n := d.Len(); n > pcaFitPoints {
		rng := rand.New(rand.NewPCG(seed, 0x706361)) // "pca"
		idx := rng.Perm(n)[:pcaFitPoints]
		slices.Sort(idx)
		fit = make([]float32, 0, pcaFitPoints*s)
		for _, i := range idx {
			fit = append(fit, x[i*s:(i+1)*s]...)
		}
	}
	pca, err := stats.FitPCA(fit, s, pcaVariance, pcaMaxComponents)
	if err != nil {
		return nil, err
	}
	return &Embedding{Name: EmbedPCA, X: stats.Float64s(pca.Transform(x)), Dim: pca.K(), Classes: d.NumClasses(),
		Description: fmt.Sprintf("the first %d principal components of the normalized inputs (%.0f%% of their variance; at most %d, for %.0f%%)",
			pca.K(), 100*pca.Explained, pcaMaxComponents, 100*pcaVariance)}, nil
}
