package feasibility

import (
	"context"
	"math"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/internal/stats"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/train"
)

// Probe settings.
const (
	// knnNeighbours is the number of neighbours of the k-NN probe (cosine similarity).
	knnNeighbours = 5
	// The linear probe: softmax regression on the standardized embedding,
	// trained by the training loop with Adam.
	probeEpochs    = 20
	probeBatchSize = 128
	probeLR        = 0.01
)

// linearProbeSettings records how the linear probe was trained.
type linearProbeSettings struct {
	Epochs    int     `json:"epochs"`
	BatchSize int     `json:"batch_size"`
	Optimizer string  `json:"optimizer"`
	LR        float64 `json:"lr"`
}

// linearProbe trains a softmax linear classifier (the linear architecture)
// on the training embedding, standardized with its own statistics, with
// the training loop, and returns its predictions on the validation
// embedding (from the last epoch: no choice is made on the validation
// split, so that the binomial test stays honest).
func linearProbe(ctx context.Context, e embedding, trY, vaY []int, classes []string, seed uint64) ([]int, error) {
	tr := &data.Dataset{Source: e.Name, Kind: data.Tabular, Shape: []int{e.Dim}, X: append([]float32(nil), e.train...), Y: trY, Classes: classes}
	va := &data.Dataset{Source: e.Name, Kind: data.Tabular, Shape: []int{e.Dim}, X: append([]float32(nil), e.val...), Y: vaY, Classes: classes}
	standardize(tr.X, va.X, e.Dim)
	m, err := model.New(model.Spec{Arch: model.Linear, Activation: "relu"}, tr.Shape, len(classes),
		model.Options{TrainBatch: min(probeBatchSize, tr.Len()), Seed: seed})
	if err != nil {
		return nil, err
	}
	var sizes []int
	for _, p := range m.Learnables() {
		sizes = append(sizes, len(p.Float32s()))
	}
	opt, err := train.NewOptimizer(train.OptimizerConfig{Name: "adam", LR: probeLR, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, sizes)
	if err != nil {
		return nil, err
	}
	loop := &train.Loop{Model: m, Optimizer: opt, Train: tr, Val: va, Epochs: probeEpochs, Seed: seed, Shuffle: true, TrainEvalSize: 1}
	if _, err := loop.Run(ctx); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ev, err := train.Evaluate(m, va)
	if err != nil {
		return nil, err
	}
	pred := make([]int, va.Len())
	c := len(classes)
	for i := range pred {
		pred[i] = train.Argmax(ev.Logits[i*c : (i+1)*c])
	}
	return pred, nil
}

// standardize rescales each column of tr and va to the mean 0 and
// standard deviation 1 of tr (constant columns are only centred).
func standardize(tr, va []float32, dim int) {
	n := len(tr) / dim
	for j := 0; j < dim; j++ {
		var s, ss float64
		for i := 0; i < n; i++ {
			v := float64(tr[i*dim+j])
			s += v
			ss += v * v
		}
		mean := s / float64(n)
		sd := math.Sqrt(math.Max(ss/float64(n)-mean*mean, 0))
		if sd < 1e-12 {
			sd = 1
		}
		for _, x := range [][]float32{tr, va} {
			for i := j; i < len(x); i += dim {
				x[i] = float32((float64(x[i]) - mean) / sd)
			}
		}
	}
}

// requiredCorrect is the fewest correct answers out of n that a probe
// needs for SIGNAL: a share at least p0+margin and a p-value below alpha;
// n+1 when none suffices.
func requiredCorrect(n int, p0, alpha, margin float64) int {
	lo := int(math.Ceil((p0 + margin) * float64(n) * (1 - 1e-12)))
	lo = max(lo, 0)
	if lo > n || stats.BinomialTail(n, n, p0) >= alpha {
		return n + 1
	}
	hi := n // the p-value falls as the count rises: bisect
	for lo < hi {
		mid := (lo + hi) / 2
		if stats.BinomialTail(mid, n, p0) < alpha {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

func accuracy(pred, y []int) (float64, int) {
	correct := 0
	for i, p := range pred {
		if p == y[i] {
			correct++
		}
	}
	return float64(correct) / float64(len(y)), correct
}
