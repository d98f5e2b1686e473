package lrsweep

import (
	"math"
	"slices"
)

// disagreeRatio is the max/min ratio of a suggestion across seeds above
// which the seeds are said to disagree.
const disagreeRatio = 3

// Spread is how far one suggestion moves across seeds.
type Spread struct {
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
	// Ratio is Max/Min; Disagree is Ratio > disagreeRatio.
	Ratio    float64 `json:"ratio"`
	Disagree bool    `json:"disagree"`
}

// SpreadOf summarizes positive learning rates. The median of an even
// number of values is the geometric mean of the middle two (learning rates
// live on a log scale).
func SpreadOf(lrs []float64) Spread {
	if len(lrs) == 0 {
		return Spread{}
	}
	s := slices.Clone(lrs)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = math.Sqrt(s[n/2-1] * s[n/2])
	}
	r := s[n-1] / s[0]
	return Spread{Min: s[0], Median: med, Max: s[n-1], Ratio: r, Disagree: r > disagreeRatio}
}
