package calibration

import (
	"fmt"
	"math"
	"sort"
)

// DefaultBins is the number of confidence bins M of ECE, MCE and ACE.
const DefaultBins = 15

// probFloor bounds the probability inside the log of the NLL, so that a
// probability of exactly 0 for the true class costs -log(1e-15) ≈ 34.5
// instead of +Inf (which JSON cannot hold).
const probFloor = 1e-15

// Bin is one reliability bin: the confidences in (Lo, Hi], how many
// examples fell there, their accuracy and their mean confidence (both 0
// when the bin is empty).
type Bin struct {
	Lo         float64 `json:"lo"`
	Hi         float64 `json:"hi"`
	Count      int     `json:"count"`
	Accuracy   float64 `json:"accuracy"`
	Confidence float64 `json:"confidence"`
}

// Gap is |Accuracy − Confidence|.
func (b Bin) Gap() float64 { return math.Abs(b.Accuracy - b.Confidence) }

// Report is every metric of top-label probabilities against labels.
type Report struct {
	N        int     `json:"n"`
	Accuracy float64 `json:"accuracy"`
	// Confidence is the mean top-label probability.
	Confidence float64 `json:"confidence"`
	// NLL is the mean −log p(label), with p floored at 1e-15.
	NLL float64 `json:"nll"`
	// Brier is the mean over examples of Σ_k (p_k − y_k)².
	Brier float64 `json:"brier"`
	// ECE is Σ_b (n_b/N)·|acc_b − conf_b| over the equal-width Bins; MCE
	// is the largest gap of a non-empty bin.
	ECE float64 `json:"ece"`
	MCE float64 `json:"mce"`
	// ACE is the ECE over equal-mass bins (as many examples in each, by
	// sorted confidence).
	ACE float64 `json:"ace"`
	// ClasswiseECE is the mean over classes k of the ECE of p_k against
	// 1[y = k], every example counted (equal-width bins, 0 in the first).
	ClasswiseECE float64 `json:"classwise_ece"`
	// Bins are the equal-width bins of ECE and MCE.
	Bins []Bin `json:"bins"`
	// Binning describes the bins every number above was computed with.
	Binning string `json:"binning"`
	// ECELow and ECEHigh are a bootstrap 95% percentile interval of ECE
	// (0, 0 when not computed).
	ECELow  float64 `json:"ece_ci_low"`
	ECEHigh float64 `json:"ece_ci_high"`
	// Resamples is the number of bootstrap resamples behind the interval.
	Resamples int `json:"bootstrap_resamples,omitempty"`
}

// Binning returns the description of M bins that Report.Binning carries.
func Binning(bins int) string {
	return fmt.Sprintf("%d equal-width bins (lo, hi] of top-label confidence for ECE, MCE and classwise ECE; %d equal-mass bins for ACE", bins, bins)
}

// check panics on inputs that are programming errors: sizes that do not
// match and labels outside [0, classes).
func check(probs []float64, labels []int, classes int) {
	if classes < 1 || len(probs) != len(labels)*classes {
		panic(fmt.Sprintf("calibration: %d probabilities for %d labels of %d classes", len(probs), len(labels), classes))
	}
	for i, y := range labels {
		if y < 0 || y >= classes {
			panic(fmt.Sprintf("calibration: label %d of example %d is not in [0, %d)", y, i, classes))
		}
	}
}

// Evaluate computes every metric of probs (N×classes, row-major) against
// labels with bins equal-width bins (DefaultBins when bins ≤ 0). It does
// not compute the bootstrap interval (see Bootstrap). Labels must be in
// [0, classes); sizes that do not match panic.
func Evaluate(probs []float64, labels []int, classes, bins int) Report {
	check(probs, labels, classes)
	if bins <= 0 {
		bins = DefaultBins
	}
	n := len(labels)
	r := Report{N: n, Binning: Binning(bins)}
	conf, correct := topLabel(probs, labels, classes)
	r.Bins = equalWidth(conf, correct, bins)
	if n == 0 {
		return r
	}
	var nll, brier float64
	for i, y := range labels {
		row := probs[i*classes : (i+1)*classes]
		nll -= math.Log(math.Max(row[y], probFloor))
		for k, p := range row {
			d := p
			if k == y {
				d = p - 1
			}
			brier += d * d
		}
		r.Confidence += conf[i]
		r.Accuracy += correct[i]
	}
	fn := float64(n)
	r.NLL, r.Brier, r.Confidence, r.Accuracy = nll/fn, brier/fn, r.Confidence/fn, r.Accuracy/fn
	r.ECE, r.MCE = binErrors(r.Bins, n)
	r.ACE = ace(conf, correct, bins)
	r.ClasswiseECE = classwiseECE(probs, labels, classes, bins)
	return r
}

// topLabel returns each example's top-label confidence and whether the top
// label (the first largest probability) is right, as 0 or 1.
func topLabel(probs []float64, labels []int, classes int) (conf, correct []float64) {
	conf = make([]float64, len(labels))
	correct = make([]float64, len(labels))
	for i, y := range labels {
		row := probs[i*classes : (i+1)*classes]
		best := 0
		for k, p := range row {
			if p > row[best] {
				best = k
			}
		}
		conf[i] = row[best]
		if best == y {
			correct[i] = 1
		}
	}
	return conf, correct
}

// binIndex is the equal-width bin (lo, hi] holding c, with 0 (and
// anything below) in the first bin and anything above 1 in the last.
func binIndex(c float64, bins int) int {
	i := int(math.Ceil(c*float64(bins))) - 1
	i = max(0, min(bins-1, i))
	// c*bins may round across an edge: settle it against the edges as
	// Bins report them.
	if i > 0 && c <= edge(i, bins) {
		i--
	} else if i < bins-1 && c > edge(i+1, bins) {
		i++
	}
	return i
}

// edge is the i-th of bins+1 equal-width edges over [0, 1].
func edge(i, bins int) float64 { return float64(i) / float64(bins) }

// equalWidth bins confidences into (lo, hi] bins with the accuracy
// (mean of hit) and the mean confidence of each.
func equalWidth(conf, hit []float64, bins int) []Bin {
	out := make([]Bin, bins)
	for b := range out {
		out[b].Lo, out[b].Hi = edge(b, bins), edge(b+1, bins)
	}
	for i, c := range conf {
		b := &out[binIndex(c, bins)]
		b.Count++
		b.Accuracy += hit[i]
		b.Confidence += c
	}
	for b := range out {
		if k := float64(out[b].Count); k > 0 {
			out[b].Accuracy /= k
			out[b].Confidence /= k
		}
	}
	return out
}

// binErrors is the count-weighted mean gap (ECE) and the largest gap of a
// non-empty bin (MCE).
func binErrors(bins []Bin, n int) (ece, mce float64) {
	if n == 0 {
		return 0, 0
	}
	for _, b := range bins {
		if b.Count == 0 {
			continue
		}
		g := b.Gap()
		ece += float64(b.Count) / float64(n) * g
		mce = math.Max(mce, g)
	}
	return ece, mce
}

// ECE is the expected calibration error of confidences against hits
// (1 right, 0 wrong) over equal-width bins.
func ECE(conf, hit []float64, bins int) float64 {
	e, _ := binErrors(equalWidth(conf, hit, bins), len(conf))
	return e
}

// ace is the ECE over equal-mass bins: the examples sorted by confidence
// (ties by index) and cut into bins of ⌊N/M⌋ or ⌈N/M⌉ examples (fewer bins
// when N < M).
func ace(conf, hit []float64, bins int) float64 {
	n := len(conf)
	if n == 0 {
		return 0
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return conf[idx[a]] < conf[idx[b]] })
	m := min(bins, n)
	var total float64
	for b := range m {
		lo, hi := b*n/m, (b+1)*n/m
		var acc, c float64
		for _, i := range idx[lo:hi] {
			acc += hit[i]
			c += conf[i]
		}
		total += math.Abs(acc - c) // = count · |mean acc − mean conf|
	}
	return total / float64(n)
}

// classwiseECE is the mean over classes of the ECE of each class's
// probability against whether the label is that class.
func classwiseECE(probs []float64, labels []int, classes, bins int) float64 {
	n := len(labels)
	if n == 0 {
		return 0
	}
	p := make([]float64, n)
	hit := make([]float64, n)
	var sum float64
	for k := range classes {
		for i, y := range labels {
			p[i] = probs[i*classes+k]
			hit[i] = 0
			if y == k {
				hit[i] = 1
			}
		}
		sum += ECE(p, hit, bins)
	}
	return sum / float64(classes)
}
