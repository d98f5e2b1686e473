package metrics

import (
	"fmt"
	"math"
	"sort"
)

// Point is one threshold's operating point on a curve.
type Point struct {
	// Threshold: an example is called positive when its score is ≥ it.
	Threshold float64 `json:"threshold"`
	X         float64 `json:"x"`
	Y         float64 `json:"y"`
}

// ROC returns the receiver operating characteristic of scores (higher
// means more positive) against positive, one point per distinct score
// from the highest down, starting at (0, 0) (threshold +Inf): X is the
// false-positive rate, Y the true-positive rate. AUC is the trapezoidal
// area, which equals the probability that a random positive outscores a
// random negative, ties counting one half.
func ROC(scores []float64, positive []bool) (curve []Point, auc float64, err error) {
	order, nPos, nNeg, err := rank(scores, positive)
	if err != nil {
		return nil, 0, err
	}
	if nPos == 0 || nNeg == 0 {
		return nil, 0, fmt.Errorf("metrics: ROC needs positive and negative examples (%d and %d)", nPos, nNeg)
	}
	curve = []Point{{Threshold: math.Inf(1), X: 0, Y: 0}}
	tp, fp := 0, 0
	for i := 0; i < len(order); {
		t := scores[order[i]]
		for ; i < len(order) && scores[order[i]] == t; i++ {
			if positive[order[i]] {
				tp++
			} else {
				fp++
			}
		}
		prev := curve[len(curve)-1]
		x, y := float64(fp)/float64(nNeg), float64(tp)/float64(nPos)
		auc += (x - prev.X) * (y + prev.Y) / 2
		curve = append(curve, Point{Threshold: t, X: x, Y: y})
	}
	return curve, auc, nil
}

// PR returns the precision-recall curve: X is recall, Y precision, one
// point per distinct score from the highest down. AP, the area reported
// as PR-AUC, is the average precision Σ (R_k − R_{k−1}) P_k, the
// step-wise area that does not interpolate optimistically between
// points (scikit-learn's average_precision_score).
func PR(scores []float64, positive []bool) (curve []Point, ap float64, err error) {
	order, nPos, _, err := rank(scores, positive)
	if err != nil {
		return nil, 0, err
	}
	if nPos == 0 {
		return nil, 0, fmt.Errorf("metrics: a precision-recall curve needs positive examples")
	}
	tp, fp := 0, 0
	prevRecall := 0.0
	for i := 0; i < len(order); {
		t := scores[order[i]]
		for ; i < len(order) && scores[order[i]] == t; i++ {
			if positive[order[i]] {
				tp++
			} else {
				fp++
			}
		}
		recall := float64(tp) / float64(nPos)
		precision := float64(tp) / float64(tp+fp)
		ap += (recall - prevRecall) * precision
		prevRecall = recall
		curve = append(curve, Point{Threshold: t, X: recall, Y: precision})
	}
	return curve, ap, nil
}

// rank orders examples by decreasing score.
func rank(scores []float64, positive []bool) (order []int, nPos, nNeg int, err error) {
	if len(scores) != len(positive) {
		return nil, 0, 0, fmt.Errorf("metrics: %d scores and %d labels", len(scores), len(positive))
	}
	order = make([]int, len(scores))
	for i := range order {
		order[i] = i
		if scores[i] != scores[i] {
			return nil, 0, 0, fmt.Errorf("metrics: score %d is NaN", i)
		}
		if positive[i] {
			nPos++
		} else {
			nNeg++
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return scores[order[a]] > scores[order[b]] })
	return order, nPos, nNeg, nil
}
