package calibration

import (
	"fmt"
	"math"
	"sort"
)

// Entropy is the Shannon entropy of a probability row in nats (0·log 0 = 0).
func Entropy(p []float64) float64 {
	var h float64
	for _, v := range p {
		if v > 0 {
			h -= v * math.Log(v)
		}
	}
	return h
}

// MC summarizes K stochastic forward passes (MC dropout) of N examples.
type MC struct {
	// Mean is the N×C mean of the passes' probabilities.
	Mean []float64
	// Entropy is the predictive entropy H[mean p] of each example.
	Entropy []float64
	// MutualInformation is H[mean p] − mean_k H[p_k], the information the
	// prediction carries about the weights (BALD): high when the passes
	// disagree, 0 when they agree. It is clamped at 0 against rounding.
	MutualInformation []float64
}

// SummarizeMC averages passes (each N×classes probabilities of the same
// examples) into the mean probabilities, the predictive entropy and the
// mutual information (BALD).
func SummarizeMC(passes [][]float64, classes int) (MC, error) {
	if len(passes) == 0 {
		return MC{}, fmt.Errorf("no passes to summarize")
	}
	size := len(passes[0])
	if classes < 1 || size%classes != 0 {
		return MC{}, fmt.Errorf("%d probabilities are not rows of %d classes", size, classes)
	}
	n := size / classes
	out := MC{Mean: make([]float64, size), Entropy: make([]float64, n), MutualInformation: make([]float64, n)}
	k := float64(len(passes))
	expected := make([]float64, n)
	for j, p := range passes {
		if len(p) != size {
			return MC{}, fmt.Errorf("pass %d has %d probabilities, pass 0 has %d", j, len(p), size)
		}
		for i := range n {
			row := p[i*classes : (i+1)*classes]
			expected[i] += Entropy(row) / k
			for c, v := range row {
				out.Mean[i*classes+c] += v / k
			}
		}
	}
	for i := range n {
		out.Entropy[i] = Entropy(out.Mean[i*classes : (i+1)*classes])
		out.MutualInformation[i] = math.Max(0, out.Entropy[i]-expected[i])
	}
	return out, nil
}

// Acquisition functions of active learning: how much labelling an example
// is worth, higher first.
const (
	// LeastConfident scores 1 − max_k p_k.
	LeastConfident = "least-confident"
	// Margin scores 1 − (p₁ − p₂), the top two probabilities' gap.
	Margin = "margin"
	// MaxEntropy scores the entropy of p.
	MaxEntropy = "entropy"
	// BALD scores the mutual information of MC dropout passes.
	BALD = "bald"
)

// Methods lists the acquisition functions Score knows.
func Methods() []string { return []string{LeastConfident, Margin, MaxEntropy, BALD} }

// Score gives each of the N examples of probs (N×classes) its value under
// method; bald uses mi (the MutualInformation of SummarizeMC), which it
// needs.
func Score(method string, probs []float64, classes int, mi []float64) ([]float64, error) {
	if classes < 2 || len(probs)%classes != 0 {
		return nil, fmt.Errorf("%d probabilities are not rows of %d classes", len(probs), classes)
	}
	n := len(probs) / classes
	out := make([]float64, n)
	for i := range n {
		row := probs[i*classes : (i+1)*classes]
		first, second := math.Inf(-1), math.Inf(-1)
		for _, v := range row {
			if v > first {
				first, second = v, first
			} else if v > second {
				second = v
			}
		}
		switch method {
		case LeastConfident:
			out[i] = 1 - first
		case Margin:
			out[i] = 1 - (first - second)
		case MaxEntropy:
			out[i] = Entropy(row)
		case BALD:
			if len(mi) != n {
				return nil, fmt.Errorf("bald ranks by the mutual information of MC dropout passes, and none were given")
			}
			out[i] = mi[i]
		default:
			return nil, fmt.Errorf("unknown ranking %q: want least-confident, margin, entropy or bald", method)
		}
	}
	return out, nil
}

// Rank returns the indices of the top highest scores, highest first (ties
// by index); all of them when top ≤ 0 or top > len(scores).
func Rank(scores []float64, top int) []int {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	if top > 0 && top < len(idx) {
		idx = idx[:top]
	}
	return idx
}
