package metrics

import (
	"fmt"
	"math"
	"sort"
)

// Wilson returns the Wilson score interval of a proportion of k successes
// in n trials at the normal quantile z (1.959964 for 95%). It stays inside
// [0, 1] and is sensible at k = 0 and k = n, unlike the normal
// approximation. n = 0 gives [0, 1].
func Wilson(k, n int, z float64) (lo, hi float64) {
	if n <= 0 {
		return 0, 1
	}
	nf := float64(n)
	p := float64(k) / nf
	z2 := z * z
	den := 1 + z2/nf
	center := (p + z2/(2*nf)) / den
	half := z / den * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	return max(0, center-half), min(1, center+half)
}

// Z95 is the normal quantile of a two-sided 95% interval.
const Z95 = 1.959963984540054

// ClassMetrics are one class's scores. Precision is 0 when the class is
// never predicted, recall 0 when it has no examples, F1 0 when both are 0.
type ClassMetrics struct {
	Class     string  `json:"class"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	// Support is the number of examples of the class.
	Support int `json:"support"`
	// Predicted is how many examples were predicted as the class.
	Predicted int `json:"predicted"`
	// Correct is how many of the class's examples were predicted right.
	Correct int `json:"correct"`
}

// Average is an average of the per-class scores: macro (each class
// counts the same) or weighted (each class by its support). The macro
// average is over the classes present in the labels or the predictions,
// as scikit-learn's default (labels=None) does: a class absent from
// both, as a subset of the data may lack one, has no precision or recall
// to average, and counting it as 0 would halve the F1 of a perfect
// classifier on a two-class subset of three classes.
type Average struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// Classification is the decision metrics of one set of predictions.
type Classification struct {
	N       int `json:"n"`
	Correct int `json:"correct"`
	// Accuracy is Correct/N; AccuracyCI95 its 95% Wilson interval.
	Accuracy     float64        `json:"accuracy"`
	AccuracyCI95 [2]float64     `json:"accuracy_ci95"`
	PerClass     []ClassMetrics `json:"per_class"`
	Macro        Average        `json:"macro_avg"`
	Weighted     Average        `json:"weighted_avg"`
	// Confusion[a][p] counts the examples of actual class a predicted as p.
	Confusion [][]int `json:"confusion_matrix"`
}

// Classify scores predicted labels against true labels, both indices
// into classes.
func Classify(labels, predicted []int, classes []string) (Classification, error) {
	c := len(classes)
	if len(labels) != len(predicted) {
		return Classification{}, fmt.Errorf("metrics: %d labels and %d predictions", len(labels), len(predicted))
	}
	r := Classification{N: len(labels), Confusion: make([][]int, c)}
	for i := range r.Confusion {
		r.Confusion[i] = make([]int, c)
	}
	for i, y := range labels {
		p := predicted[i]
		if y < 0 || y >= c || p < 0 || p >= c {
			return Classification{}, fmt.Errorf("metrics: example %d has label %d and prediction %d, outside [0, %d)", i, y, p, c)
		}
		r.Confusion[y][p]++
		if y == p {
			r.Correct++
		}
	}
	if r.N > 0 {
		r.Accuracy = float64(r.Correct) / float64(r.N)
	}
	r.AccuracyCI95[0], r.AccuracyCI95[1] = Wilson(r.Correct, r.N, Z95)
	r.PerClass = make([]ClassMetrics, c)
	for k := range classes {
		m := ClassMetrics{Class: classes[k], Correct: r.Confusion[k][k]}
		for j := 0; j < c; j++ {
			m.Support += r.Confusion[k][j]
			m.Predicted += r.Confusion[j][k]
		}
		if m.Predicted > 0 {
			m.Precision = float64(m.Correct) / float64(m.Predicted)
		}
		if m.Support > 0 {
			m.Recall = float64(m.Correct) / float64(m.Support)
		}
		if m.Precision+m.Recall > 0 {
			m.F1 = 2 * m.Precision * m.Recall / (m.Precision + m.Recall)
		}
		r.PerClass[k] = m
	}
	present := 0
	for _, m := range r.PerClass {
		if m.Support > 0 || m.Predicted > 0 {
			present++
		}
	}
	for _, m := range r.PerClass {
		if m.Support > 0 || m.Predicted > 0 {
			r.Macro.Precision += m.Precision / float64(present)
			r.Macro.Recall += m.Recall / float64(present)
			r.Macro.F1 += m.F1 / float64(present)
		}
		if r.N > 0 {
			w := float64(m.Support) / float64(r.N)
			r.Weighted.Precision += w * m.Precision
			r.Weighted.Recall += w * m.Recall
			r.Weighted.F1 += w * m.F1
		}
	}
	r.Macro.Support, r.Weighted.Support = r.N, r.N
	return r, nil
}

// Pair is an actual class often predicted as another.
type Pair struct {
	Actual    string `json:"actual"`
	Predicted string `json:"predicted"`
	Count     int    `json:"count"`
	// Share is Count over the actual class's support.
	Share float64 `json:"share"`
}

// MostConfused lists the off-diagonal cells of a confusion matrix with at
// least one example, most frequent first (ties by actual, then predicted
// class order), at most k of them.
func MostConfused(confusion [][]int, classes []string, k int) []Pair {
	var out []Pair
	for a, row := range confusion {
		support := 0
		for _, v := range row {
			support += v
		}
		for p, v := range row {
			if a != p && v > 0 {
				out = append(out, Pair{Actual: classes[a], Predicted: classes[p], Count: v, Share: float64(v) / float64(support)})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	if len(out) > k {
		out = out[:k]
	}
	return out
}

// WorstClasses returns the indices of the k classes with the lowest F1
// (ties by lower recall, then class order).
func WorstClasses(per []ClassMetrics, k int) []int {
	idx := make([]int, len(per))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		pa, pb := per[idx[a]], per[idx[b]]
		if pa.F1 != pb.F1 {
			return pa.F1 < pb.F1
		}
		return pa.Recall < pb.Recall
	})
	if len(idx) > k {
		idx = idx[:k]
	}
	return idx
}
