package labeling

import (
	"fmt"
	"sort"

	"github.com/practica-ml/practica/calibration"
	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/inference"
)

// topClasses is the number of a model's most probable classes an
// Uncertain example carries.
const topClasses = 3

// uncertainQueue offers the examples by a model's uncertainty, the least
// sure first.
type uncertainQueue struct{ order []Example }

// newUncertainQueue scores every example of d with the predictor's model
// (with its own preprocessing) under score (margin when ""), ranks them
// with inference.Rank (calibration's scores), most uncertain first, ties
// by index, and gives each its top classes and the prediction. bald runs
// passes MC dropout passes (DefaultMCPasses when 0) with masks from seed.
func newUncertainQueue(pr *inference.Predictor, d *data.Dataset, score string, passes int, seed uint64) (*uncertainQueue, error) {
	return newUncertainQueueOf(pr, d, nil, score, passes, seed)
}

// newUncertainQueueOf is newUncertainQueue over the examples idx of d
// alone (all of them when idx is nil): a simulation scores only those
// it has not labeled yet.
func newUncertainQueueOf(pr *inference.Predictor, d *data.Dataset, idx []int, score string, passes int, seed uint64) (*uncertainQueue, error) {
	if score == "" {
		score = calibration.Margin
	}
	if err := checkScore(score); err != nil {
		return nil, err
	}
	if idx != nil {
		d = d.Subset(idx)
	}
	in, err := conformX(pr, d)
	if err != nil {
		return nil, err
	}
	preds, err := pr.Predict(in)
	if err != nil {
		return nil, err
	}
	if score == calibration.BALD {
		if passes <= 0 {
			passes = DefaultMCPasses
		}
		if err := pr.AddMCDropout(preds, in, passes, seed); err != nil {
			return nil, fmt.Errorf("the bald score needs MC dropout: %w", err)
		}
	}
	classes := pr.Checkpoint.Classes
	ranked, err := inference.Rank(preds, len(classes), score, 0)
	if err != nil {
		return nil, err
	}
	q := &uncertainQueue{order: make([]Example, len(ranked))}
	for r, pd := range ranked {
		probs := pd.Probabilities
		if pd.MCProbabilities != nil {
			probs = pd.MCProbabilities
		}
		top := top(probs, classes, topClasses)
		i := pd.Index
		if idx != nil {
			i = idx[i]
		}
		q.order[r] = Example{Index: i, Suggested: top[0].Class, Top: top, Score: *pd.Score, Cluster: -1}
	}
	return q, nil
}

// top returns the k most probable classes of probs, most probable first
// (ties by class index).
func top(probs []float64, classes []string, k int) []ClassScore {
	idx := make([]int, len(probs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return probs[idx[a]] > probs[idx[b]] })
	out := make([]ClassScore, min(k, len(idx)))
	for j := range out {
		out[j] = ClassScore{Class: classes[idx[j]], Probability: probs[idx[j]]}
	}
	return out
}

// conformX brings d's features to the predictor's model (feature order,
// image scale) without its labels, which the model's classes need not
// name: the pool's labels are the source's, the model's may come from a
// labels file.
func conformX(pr *inference.Predictor, d *data.Dataset) (inference.Input, error) {
	x := *d
	x.Y, x.Classes = nil, pr.Checkpoint.Classes
	in, err := pr.Conform(&x)
	if err != nil {
		return inference.Input{}, err
	}
	return inference.Input{X: in.X}, nil
}

func (*uncertainQueue) Strategy() string { return Uncertain }

func (q *uncertainQueue) Next(st State) ([]Example, bool) {
	for _, e := range q.order {
		if !st.Taken(e.Index) {
			return []Example{e}, true
		}
	}
	return nil, false
}
