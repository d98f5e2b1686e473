package train

import (
	"math"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/model"
)

// Evaluation is a model's eval-mode performance on a dataset.
type Evaluation struct {
	// Loss is the mean cross-entropy (negative log-likelihood).
	Loss     float64
	Accuracy float64
	// Logits are the N×C raw outputs of the evaluation graph.
	Logits []float32
}

// Evaluate runs every example of ds (none left out) through the model's
// evaluation graph.
func Evaluate(m *model.Model, ds *data.Dataset) (Evaluation, error) {
	n, c := ds.Len(), m.Classes
	logits := make([]float32, n*c)
	if err := m.Logits(ds.X, logits); err != nil {
		return Evaluation{}, err
	}
	var nll float64
	correct := 0
	for i, y := range ds.Y {
		row := logits[i*c : (i+1)*c]
		lp := LogSoftmax(row)
		nll -= lp[y]
		if Argmax(row) == y {
			correct++
		}
	}
	return Evaluation{Loss: nll / float64(n), Accuracy: float64(correct) / float64(n), Logits: logits}, nil
}

// LogSoftmax computes a row's log-probabilities in float64, stably.
func LogSoftmax(row []float32) []float64 {
	m := math.Inf(-1)
	for _, v := range row {
		m = math.Max(m, float64(v))
	}
	var s float64
	for _, v := range row {
		s += math.Exp(float64(v) - m)
	}
	lse := m + math.Log(s)
	out := make([]float64, len(row))
	for i, v := range row {
		out[i] = float64(v) - lse
	}
	return out
}

// Argmax is the index of the largest value (the first on ties).
func Argmax(row []float32) int {
	best := 0
	for i, v := range row {
		if v > row[best] {
			best = i
		}
	}
	return best
}
