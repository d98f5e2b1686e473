package feasibility

import (
	"context"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/train"
)

// Probe settings.
const (
	// KNN is the number of neighbours of the k-NN probe (cosine similarity).
	KNN = 5
	// The linear probe: softmax regression on the standardized embedding,
	// trained by the training loop with Adam.
	ProbeEpochs    = 20
	ProbeBatchSize = 128
	ProbeLR        = 0.01
)

// LinearProbeSettings records how the linear probe was trained.
type LinearProbeSettings struct {
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
		model.Options{TrainBatch: min(ProbeBatchSize, tr.Len()), Seed: seed})
	if err != nil {
		return nil, err
	}
	var sizes []int
	for _, p := range m.Learnables() {
		sizes = append(sizes, len(p.Float32s()))
	}
	opt, err := train.NewOptimizer(train.OptimizerConfig{Name: "adam", LR: ProbeLR, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, sizes)
	if err != nil {
		return nil, err
	}
	loop := &train.Loop{Model: m, Optimizer: opt, Train: tr, Val: va, Epochs: ProbeEpochs, Seed: seed, Shuffle: true, TrainEvalSize: 1}
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

// KNNPredict classifies each query row by a majority vote of its k most
// cosine-similar reference rows (ties go to the class with the larger
// summed similarity, then the smaller index).
func KNNPredict(ref []float32, refY []int, query []float32, dim, k, classes int) []int {
	n, q := len(ref)/dim, len(query)/dim
	k = min(k, n)
	r := unitRows(ref, dim)
	const block = 512
	pred := make([]int, q)
	votes := make([]int, classes)
	sims := make([]float64, classes)
	idx := make([]int, 0, k+1)
	for start := 0; start < q; start += block {
		b := min(block, q-start)
		qm := unitRows(query[start*dim:(start+b)*dim], dim)
		var s mat.Dense
		s.Mul(qm, r.T())
		for i := 0; i < b; i++ {
			row := s.RawRowView(i)
			top := topK(row, k, idx[:0])
			clear(votes)
			clear(sims)
			for _, j := range top {
				votes[refY[j]]++
				sims[refY[j]] += row[j]
			}
			best := 0
			for c := 1; c < classes; c++ {
				if votes[c] > votes[best] || votes[c] == votes[best] && sims[c] > sims[best] {
					best = c
				}
			}
			pred[start+i] = best
		}
	}
	return pred
}

// topK returns the indices of the k largest values of row, largest first
// (on ties the lower index first), in buf.
func topK(row []float64, k int, buf []int) []int {
	top := buf[:0]
	for j, v := range row {
		if len(top) == k && v <= row[top[k-1]] {
			continue
		}
		pos := len(top)
		for pos > 0 && v > row[top[pos-1]] {
			pos--
		}
		if len(top) < k {
			top = append(top, 0)
		}
		copy(top[pos+1:], top[pos:len(top)-1])
		top[pos] = j
	}
	return top
}

// unitRows copies rows into a float64 matrix scaled to unit length (zero
// rows stay zero).
func unitRows(x []float32, dim int) *mat.Dense {
	n := len(x) / dim
	out := mat.NewDense(n, dim, toFloat64(x))
	for i := 0; i < n; i++ {
		row := out.RawRowView(i)
		var ss float64
		for _, v := range row {
			ss += v * v
		}
		if ss > 0 {
			inv := 1 / math.Sqrt(ss)
			for j := range row {
				row[j] *= inv
			}
		}
	}
	return out
}

// BinomialPValue is the exact one-sided p-value P(X ≥ correct) for X ~
// Binomial(n, p0): the chance of doing at least this well by guessing at
// rate p0.
func BinomialPValue(correct, n int, p0 float64) float64 {
	if correct <= 0 {
		return 1
	}
	if p0 <= 0 {
		return 0
	}
	if p0 >= 1 {
		return 1
	}
	b := distuv.Binomial{N: float64(n), P: p0}
	// Sum the upper tail in log space from the largest term down.
	terms := make([]float64, 0, n-correct+1)
	for x := correct; x <= n; x++ {
		terms = append(terms, b.LogProb(float64(x)))
	}
	m := math.Inf(-1)
	for _, t := range terms {
		m = math.Max(m, t)
	}
	var s float64
	for _, t := range terms {
		s += math.Exp(t - m)
	}
	return math.Min(1, math.Exp(m+math.Log(s)))
}

// RequiredCorrect is the fewest correct answers out of n that a probe
// needs for SIGNAL: a share at least p0+margin and a p-value below alpha;
// n+1 when none suffices.
func RequiredCorrect(n int, p0, alpha, margin float64) int {
	lo := int(math.Ceil((p0 + margin) * float64(n) * (1 - 1e-12)))
	lo = max(lo, 0)
	if lo > n || BinomialPValue(n, n, p0) >= alpha {
		return n + 1
	}
	hi := n // the p-value falls as the count rises: bisect
	for lo < hi {
		mid := (lo + hi) / 2
		if BinomialPValue(mid, n, p0) < alpha {
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
