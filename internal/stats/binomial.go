package stats

import "gonum.org/v1/gonum/mathext"

// BinomialTail is the upper tail P(X ≥ k) of X ~ Binomial(n, p): the exact
// one-sided p-value of k successes in n trials against the rate p.
func BinomialTail(k, n int, p float64) float64 {
	switch {
	case k <= 0:
		return 1
	case k > n || p <= 0:
		return 0
	case p >= 1:
		return 1
	}
	// P(X ≥ k) = I_p(k, n-k+1), the regularized incomplete beta function
	// that distuv.Binomial's CDF evaluates too. Not distuv's Survival: it
	// is 1 - CDF, which cancels to about 1e-16 for every tail below that,
	// where strong probes land (1e-150 and less on digits). Nor the CDF of
	// the failure count under 1-p, which would round p through 1-(1-p).
	return mathext.RegIncBeta(float64(k), float64(n-k+1), p)
}
