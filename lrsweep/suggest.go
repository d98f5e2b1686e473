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

// The window the rules read is fastai's. Its lr_find reads the suggestions
// off the recorder's smoothed losses like this (fastai/callback/schedule.py
// at commit 0a049e8a90b86d70860f68072698245a1ee787ca, lines 287-292,
// generated from nbs/14_callback.schedule.ipynb):
//
//	lrs, losses = tensor(self.recorder.lrs[num_it//10:-5]), tensor(self.recorder.losses[num_it//10:-5])
//	nan_idxs = torch.nonzero(torch.isnan(losses.view(-1)))
//	if len(nan_idxs) > 0:
//	    drop_idx = min(nan_idxs)
//	    lrs = lrs[:drop_idx]
//	    losses = losses[:drop_idx]
//
// num_it is the number of steps asked for, not the number recorded: a test
// that stops early still skips a tenth of the steps it was asked to run.
const (
	// skipStartDivisor: the first steps/skipStartDivisor points are skipped
	// (num_it//10), steps being the range test's Options.Steps.
	skipStartDivisor = 10
	// skipEnd points are skipped at the end of what was recorded ([:-5]).
	skipEnd = 5
	// minWindow is the fewest points the rules need. fastai has no such
	// floor (its valley indexes an empty list and fails); we say why.
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

// window returns the half-open range [lo, hi) of the points the rules read
// on a curve of a test asked to run steps steps: fastai's [steps/10, n-5)
// over the n points recorded, ended at the first non-finite point.
//
// Where a non-finite loss ends the curve, fastai's recorder and ours hold
// different lists, and hi is what fastai's would give:
//
//   - a NaN loss: fastai's LRFinder.after_batch (lines 183-187) does not
//     stop, because NaN compares false with both its stop conditions; its
//     recorder holds NaN from there up to step num_it, and the window ends
//     at the first NaN, without skipping 5 points before it. Ours stops at
//     the NaN, so hi = min(steps-5, the NaN's index).
//   - an infinite loss makes fastai's smoothed loss infinite, and its
//     divergence check (4x the best) stops there with that point recorded:
//     hi = n-5, as for any other early stop.
//
// The weight guard's stop (train.CheckWeights) has no counterpart in
// fastai; its last point is finite and counts like a divergence's.
func window(points []Point, steps int) (lo, hi int, err error) {
	n := len(points)
	lo, hi = steps/skipStartDivisor, n-skipEnd
	for i, p := range points {
		if finite(p.Loss) && finite(p.Smoothed) && finite(p.LR) && p.LR > 0 {
			continue
		}
		if math.IsNaN(p.Loss) {
			hi = min(steps-skipEnd, i)
		} else {
			hi = min(hi, i)
		}
		break
	}
	if hi-lo < minWindow {
		return lo, hi, fmt.Errorf("%w: %d points recorded, %d left after skipping the first %d (a tenth of the %d steps) and the last %d",
			errTooShort, n, max(hi-lo, 0), lo, steps, skipEnd)
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

// valleyIndex is fastai's valley rule, statement for statement
// (fastai/callback/schedule.py, valley, lines 205-223 at commit 0a049e8a):
// lds[i] is the length of the longest strictly decreasing subsequence (not
// necessarily contiguous) ending at i; max_end is the first i with the
// greatest lds, max_start = max_end - lds[max_end] (one before the
// subsequence's first point, so -1 when it starts at 0); the pick is
// max_start + int(sections) + int(sections/2) with sections =
// (max_end - max_start)/3 in floating point. When nothing decreases,
// max_start = max_end = 0 and the pick is 0. The one negative pick, -1
// (the subsequence is the first two points), indexes the last point in
// Python, and here too.
func valleyIndex(losses []float64) int {
	n := len(losses)
	if n == 0 {
		return 0
	}
	lds := make([]int, n)
	for i := range lds {
		lds[i] = 1
	}
	maxStart, maxEnd := 0, 0
	for i := 1; i < n; i++ {
		for j := range i {
			if losses[i] < losses[j] && lds[i] < lds[j]+1 {
				lds[i] = lds[j] + 1
			}
			if lds[maxEnd] < lds[i] {
				maxEnd = i
				maxStart = maxEnd - lds[maxEnd]
			}
		}
	}
	sections := float64(maxEnd-maxStart) / 3
	idx := maxStart + int(sections) + int(sections/2)
	if idx < 0 {
		idx += n
	}
	return idx
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

// Suggest reads every rule's suggestion off the smoothed loss of a curve
// from a range test asked to run steps steps (Options.Steps), in the order
// of RuleNames.
func Suggest(points []Point, steps int) ([]Suggestion, error) {
	lo, hi, err := window(points, steps)
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
