package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// BinomialTail is the upper tail P(X ≥ k) of X ~ Binomial(n, p): the exact
// one-sided p-value of k successes in n trials against the rate p.
func BinomialTail(k, n int, p float64) float64 {
	if k <= 0 {
		return 1
	}
	if p <= 0 {
		return 0
	}
	if p >= 1 {
		return 1
	}
	b := distuv.Binomial{N: float64(n), P: p}
	// Sum the upper tail in log space from the largest term down.
	terms := make([]float64, 0, n-k+1)
	for x := k; x <= n; x++ {
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
