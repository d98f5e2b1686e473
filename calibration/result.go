package calibration

import "context"

// Split is one split's metrics before calibration (softmax of the raw
// logits) and after (softmax of logits/T).
type Split struct {
	Before Report `json:"before"`
	After  Report `json:"after"`
}

// Compare scores N×classes logits against labels before and after
// temperature scaling by T, each Report with its bootstrap interval of ECE
// (resamples resamples seeded by seed; none when resamples ≤ 0).
func Compare(logits []float32, labels []int, classes, bins, resamples int, seed uint64, T float64) Split {
	s, _ := CompareContext(context.Background(), logits, labels, classes, bins, resamples, seed, T)
	return s
}

// CompareContext is Compare that stops when ctx ends, inside the
// bootstrap too, returning ctx's error.
func CompareContext(ctx context.Context, logits []float32, labels []int, classes, bins, resamples int, seed uint64, T float64) (Split, error) {
	var s Split
	for i, t := range []float64{1, T} {
		probs := Softmax(logits, classes, t)
		r, err := withInterval(ctx, Evaluate(probs, labels, classes, bins), probs, labels, classes, bins, resamples, seed)
		if err != nil {
			return Split{}, err
		}
		if i == 0 {
			s.Before = r
		} else {
			s.After = r
		}
	}
	return s, nil
}

// Result is calibration.json: the temperature fitted at the end of
// training and every metric before and after it, on the validation split
// it was fitted on and on the test split it was not.
type Result struct {
	// Method says how T was found.
	Method string `json:"method"`
	// Temperature is T, as stored in checkpoints/best.ckpt (1 when not
	// fitted).
	Temperature float64 `json:"temperature"`
	// Fitted is false when no temperature could be fitted (Note says why).
	Fitted bool `json:"fitted"`
	// FittedOn is the split T was fitted on ("val").
	FittedOn string `json:"fitted_on"`
	Note     string `json:"note,omitempty"`
	// Warning says when T is fitted but should not be trusted as it
	// stands (at the top of its range, or resting on very few errors).
	Warning string `json:"warning,omitempty"`
	// Bins and Binning describe the bins of every Report.
	Bins    int    `json:"bins"`
	Binning string `json:"binning"`
	// Bootstrap is the number of resamples of the ECE intervals (95%,
	// percentile), drawn from BootstrapSeed (the run's seed).
	Bootstrap     int    `json:"bootstrap_resamples"`
	BootstrapSeed uint64 `json:"bootstrap_seed"`
	Val           *Split `json:"val,omitempty"`
	Test          *Split `json:"test,omitempty"`
}
