package calibration

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
)

// bootstrapStream separates the bootstrap's random stream from the other
// uses of a run's seed.
const bootstrapStream = 0xCA11B8A7E

// Bootstrap is a 95% percentile interval of ECE (equal-width bins): the
// 2.5th and 97.5th percentiles (linearly interpolated) of the ECE of
// resamples resamples of the N examples drawn with replacement from a
// generator seeded by seed. It returns 0, 0 when resamples ≤ 0 or there
// are no examples.
func Bootstrap(probs []float64, labels []int, classes, bins, resamples int, seed uint64) (lo, hi float64) {
	lo, hi, _ = BootstrapContext(context.Background(), probs, labels, classes, bins, resamples, seed)
	return lo, hi
}

// BootstrapContext is Bootstrap that stops when ctx ends (a long
// bootstrap at the end of a run must not outlive an interrupt), returning
// ctx's error.
func BootstrapContext(ctx context.Context, probs []float64, labels []int, classes, bins, resamples int, seed uint64) (lo, hi float64, err error) {
	check(probs, labels, classes)
	n := len(labels)
	if resamples <= 0 || n == 0 {
		return 0, 0, nil
	}
	if bins <= 0 {
		bins = DefaultBins
	}
	conf, hit := topLabel(probs, labels, classes)
	rng := rand.New(rand.NewPCG(seed, bootstrapStream))
	rc, rh := make([]float64, n), make([]float64, n)
	eces := make([]float64, resamples)
	for r := range eces {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		for i := range n {
			j := rng.IntN(n)
			rc[i], rh[i] = conf[j], hit[j]
		}
		eces[r] = ECE(rc, rh, bins)
	}
	slices.Sort(eces)
	return quantile(eces, 0.025), quantile(eces, 0.975), nil
}

// quantile of sorted values, linearly interpolated between order
// statistics (type 7, as numpy's default).
func quantile(sorted []float64, q float64) float64 {
	h := q * float64(len(sorted)-1)
	i := int(math.Floor(h))
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (h-float64(i))*(sorted[i+1]-sorted[i])
}

// WithInterval returns r with its bootstrap interval computed from the
// same probabilities and labels.
func WithInterval(r Report, probs []float64, labels []int, classes, bins, resamples int, seed uint64) Report {
	r, _ = withInterval(context.Background(), r, probs, labels, classes, bins, resamples, seed)
	return r
}

func withInterval(ctx context.Context, r Report, probs []float64, labels []int, classes, bins, resamples int, seed uint64) (Report, error) {
	var err error
	if r.ECELow, r.ECEHigh, err = BootstrapContext(ctx, probs, labels, classes, bins, resamples, seed); err != nil {
		return r, err
	}
	if resamples > 0 && len(labels) > 0 {
		r.Resamples = resamples
	}
	return r, nil
}
