package lrsweep

import (
	"errors"
	"fmt"
	"math"
)

// Names of the suggestion rules, as they appear in lr_sweep.json and on the
// command line.
const (
	Steepest     = "steepest"
	Valley       = "valley"
	MinimumTenth = "minimum/10"
)

// RuleNames lists the suggestion rules in the order they are reported.
func RuleNames() []string { return []string{Steepest, Valley, MinimumTenth} }

// RuleText states a suggestion rule in a sentence ("" for an unknown name).
func RuleText(name string) string {
	switch name {
	case Steepest:
		return "the most negative slope d loss / d log lr of the smoothed loss"
	case Valley:
		return "fastai's valley: a third (plus a sixth of that) of the way into the longest decreasing subsequence of the smoothed loss"
	case MinimumTenth:
		return "the lr at the minimum of the smoothed loss, divided by 10"
	}
	return ""
}

// Skipped at each end of the curve before the rules read it.
const (
	skipStartFraction = 0.10
	skipEnd           = 5
	// minWindow is the fewest points the rules need.
	minWindow = 4
)

// errTooShort is returned when a curve leaves too few points to read a
// suggestion from (the loss diverged almost at once: lower the minimum lr).
var errTooShort = errors.New("too few finite points to suggest a learning rate")

// Suggestion is one rule's learning rate on one curve. Step and Loss are
// the curve's point nearest to LR (for marking it on the plot).
type Suggestion struct {
	Name string  `json:"name"`
	LR   float64 `json:"lr"`
	Step int     `json:"step"`
	Loss float64 `json:"smoothed_loss"`
}

// window returns the half-open range [lo, hi) of the points the rules read:
// the points before the first non-finite loss or smoothed loss, less the
// first 10% of them and the last 5.
func window(points []Point) (lo, hi int, err error) {
	n := 0
	for _, p := range points {
		if !finite(p.Loss) || !finite(p.Smoothed) || !finite(p.LR) || p.LR <= 0 {
			break
		}
		n++
	}
	lo = int(float64(n) * skipStartFraction)
	hi = n - skipEnd
	if hi-lo < minWindow {
		return lo, hi, fmt.Errorf("%w: %d finite points, %d left after skipping the first 10%% and the last %d", errTooShort, n, max(hi-lo, 0), skipEnd)
	}
	return lo, hi, nil
}

// steepestIndex returns the index of the most negative slope of losses
// against logLR, by central differences inside and one-sided differences
// at the ends (numpy's gradient). The first of equal slopes wins.
func steepestIndex(logLR, losses []float64) int {
	n := len(losses)
	if n < 2 {
		return 0
	}
	best, bestSlope := 0, math.Inf(1)
	for i := range n {
		a, b := max(i-1, 0), min(i+1, n-1)
		slope := (losses[b] - losses[a]) / (logLR[b] - logLR[a])
		if slope < bestSlope {
			best, bestSlope = i, slope
		}
	}
	return best
}

// valleyIndex is fastai's valley rule: the longest strictly decreasing
// subsequence of losses (not necessarily contiguous; O(n²) dynamic
// programming; the earliest end wins ties), with end its last index and
// start = end − its length, gives start + ⌊(end−start)/3⌋ + ⌊(end−start)/6⌋
// (at least 0).
func valleyIndex(losses []float64) int {
	n := len(losses)
	if n == 0 {
		return 0
	}
	lds := make([]int, n)
	for i := range lds {
		lds[i] = 1
	}
	end := 0
	for i := 1; i < n; i++ {
		for j := range i {
			if losses[i] < losses[j] && lds[i] < lds[j]+1 {
				lds[i] = lds[j] + 1
			}
		}
		if lds[i] > lds[end] {
			end = i
		}
	}
	start := end - lds[end]
	d := end - start
	return max(start+d/3+d/6, 0)
}

// minimumIndex returns the index of the smallest loss (the first of
// equals).
func minimumIndex(losses []float64) int {
	best := 0
	for i, v := range losses {
		if v < losses[best] {
			best = i
		}
	}
	return best
}

// Suggest reads every rule's suggestion off a curve's smoothed loss, in the
// order of RuleNames.
func Suggest(points []Point) ([]Suggestion, error) {
	lo, hi, err := window(points)
	if err != nil {
		return nil, err
	}
	w := points[lo:hi]
	logLR := make([]float64, len(w))
	sm := make([]float64, len(w))
	for i, p := range w {
		logLR[i], sm[i] = math.Log(p.LR), p.Smoothed
	}
	at := func(name string, i int) Suggestion {
		p := w[i]
		return Suggestion{Name: name, LR: p.LR, Step: p.Step, Loss: p.Smoothed}
	}
	mi := minimumIndex(sm)
	tenth := nearest(points[:hi], w[mi].LR/10)
	return []Suggestion{
		at(Steepest, steepestIndex(logLR, sm)),
		at(Valley, valleyIndex(sm)),
		{Name: MinimumTenth, LR: w[mi].LR / 10, Step: tenth.Step, Loss: tenth.Smoothed},
	}, nil
}

// nearest returns the point whose lr is closest to lr on a log scale.
func nearest(points []Point, lr float64) Point {
	best := points[0]
	for _, p := range points {
		if math.Abs(math.Log(p.LR/lr)) < math.Abs(math.Log(best.LR/lr)) {
			best = p
		}
	}
	return best
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
