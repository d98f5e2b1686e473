package metrics

import (
	"fmt"
	"math"
)

// McNemarResult is McNemar's test of two classifiers scored on the same
// examples: only the examples on which they disagree count.
type McNemarResult struct {
	N int `json:"n"`
	// Both and Neither count the examples both got right / both got wrong.
	Both    int `json:"both_right"`
	Neither int `json:"both_wrong"`
	// OnlyA and OnlyB count the examples only A / only B got right.
	OnlyA int `json:"only_a_right"`
	OnlyB int `json:"only_b_right"`
	// ChiSquare is (|OnlyA − OnlyB| − 1)² / (OnlyA + OnlyB), the
	// continuity-corrected statistic (0 when they never disagree).
	ChiSquare float64 `json:"chi_square"`
	// PValue is the exact two-sided binomial p-value: under the null
	// hypothesis each disagreement is a fair coin.
	PValue float64 `json:"p_value"`
	Method string  `json:"method"`
}

// McNemar compares the per-example correctness of two classifiers.
func McNemar(correctA, correctB []bool) (McNemarResult, error) {
	if len(correctA) != len(correctB) {
		return McNemarResult{}, fmt.Errorf("metrics: McNemar needs the same examples, got %d and %d", len(correctA), len(correctB))
	}
	r := McNemarResult{N: len(correctA), Method: "exact binomial (two-sided)"}
	for i, a := range correctA {
		b := correctB[i]
		switch {
		case a && b:
			r.Both++
		case !a && !b:
			r.Neither++
		case a:
			r.OnlyA++
		default:
			r.OnlyB++
		}
	}
	d := r.OnlyA + r.OnlyB
	r.PValue = 1
	if d > 0 {
		diff := math.Abs(float64(r.OnlyA-r.OnlyB)) - 1
		r.ChiSquare = max(diff, 0) * max(diff, 0) / float64(d)
		r.PValue = min(1, 2*binomCDF(min(r.OnlyA, r.OnlyB), d))
	}
	return r, nil
}

// binomCDF is P(X ≤ k) for X ~ Binomial(n, 1/2), summed in log space.
func binomCDF(k, n int) float64 {
	lgN, _ := math.Lgamma(float64(n + 1))
	var s float64
	for i := 0; i <= k; i++ {
		a, _ := math.Lgamma(float64(i + 1))
		b, _ := math.Lgamma(float64(n - i + 1))
		s += math.Exp(lgN - a - b - float64(n)*math.Ln2)
	}
	return s
}
