package drift

import "fmt"

// Thresholds decide when a test says drift.
type Thresholds struct {
	// PValue: a p-value test drifts below it (0.05).
	PValue float64
	// Distance: a distance test drifts above it (0.1).
	Distance float64
	// Share: the features drift as a dataset when at least this fraction
	// of them drift, in (0, 1] (0.5).
	Share float64
}

// DefaultThresholds are Evidently's defaults.
func DefaultThresholds() Thresholds { return Thresholds{PValue: 0.05, Distance: 0.1, Share: 0.5} }

// Check returns an error naming the first threshold out of range, by its
// flag's name.
func (t Thresholds) Check() error {
	switch {
	case !(t.PValue > 0 && t.PValue < 1):
		return fmt.Errorf("drift-p must be in (0, 1), got %g", t.PValue)
	case !(t.Distance > 0):
		return fmt.Errorf("drift-distance must be above 0, got %g", t.Distance)
	case !(t.Share > 0 && t.Share <= 1):
		return fmt.Errorf("drift-share must be in (0, 1], got %g", t.Share)
	}
	return nil
}

// Test is the outcome of one statistical test. A p-value test has
// PValue, a distance test Distance (equal to Statistic).
type Test struct {
	Test      string   `json:"test"`
	Statistic float64  `json:"statistic"`
	PValue    *float64 `json:"p_value,omitempty"`
	Distance  *float64 `json:"distance,omitempty"`
	Threshold float64  `json:"threshold"`
	Drift     bool     `json:"drift"`
}

// pTest is a p-value test's outcome.
func pTest(name string, statistic, p, threshold float64) Test {
	return Test{Test: name, Statistic: finite(statistic), PValue: &p, Threshold: threshold, Drift: p < threshold}
}

// distanceTest is a distance test's outcome.
func distanceTest(name string, d, threshold float64) Test {
	return Test{Test: name, Statistic: d, Distance: &d, Threshold: threshold, Drift: d > threshold}
}

// finite keeps JSON valid: an infinite chi-squared statistic (a category
// the reference never saw) is written as the largest float64.
func finite(v float64) float64 {
	switch {
	case v > 1e308:
		return 1e308
	case v < -1e308:
		return -1e308
	}
	return v
}

// Report is drift.json.
type Report struct {
	// Drift is the dataset verdict: for tabular data, at least
	// Thresholds.Share of the features drift; for images, the embedding
	// test drifts.
	Drift bool `json:"drift"`
	// Share is the fraction of features that drift; for images 1 when the
	// embedding drifts and 0 when it does not (the embedding is one test).
	Share     float64 `json:"share"`
	Reference string  `json:"reference"`
	Data      string  `json:"data"`
	// NReference and NNew count the examples compared.
	NReference int       `json:"n_reference"`
	NNew       int       `json:"n_new"`
	Features   []Feature `json:"features"`
	// Predictions test what the model answers.
	Predictions Predictions `json:"predictions"`
	Embedding   *Embedding  `json:"embedding,omitempty"`
	// Brightness and Contrast are per-channel means and standard
	// deviations of the raw pixels of each side (images only).
	Brightness *ChannelStats  `json:"brightness,omitempty"`
	Contrast   *ChannelStats  `json:"contrast,omitempty"`
	Thresholds ThresholdsJSON `json:"thresholds"`
	// Alarm is what the exit status says: the dataset drifts, or the
	// predictions or the embedding do.
	Alarm bool     `json:"alarm"`
	Notes []string `json:"notes,omitempty"`
}

// ThresholdsJSON is Thresholds as drift.json records them.
type ThresholdsJSON struct {
	PValue   float64 `json:"p_value"`
	Distance float64 `json:"distance"`
	Share    float64 `json:"share"`
}

// Feature is one tabular feature's test.
type Feature struct {
	Name string `json:"name"`
	Test
	PSI      float64 `json:"psi"`
	PSILevel string  `json:"psi_level"`
	// ReferenceMedian and NewMedian are the typical raw values of each
	// side, for the report's plain words.
	ReferenceMedian float64 `json:"reference_median"`
	NewMedian       float64 `json:"new_median"`
}

// Predictions are the tests of the model's answers.
type Predictions struct {
	Class      Test `json:"class"`
	Confidence Test `json:"confidence"`
	// ReferenceClassShares and NewClassShares are the share of each
	// class among the predictions, in the model's class order.
	Classes              []string  `json:"classes"`
	ReferenceClassShares []float64 `json:"reference_class_shares"`
	NewClassShares       []float64 `json:"new_class_shares"`
}

// Embedding is the images' MMD test in the model's embedding.
type Embedding struct {
	Test
	NReference int `json:"n_reference"`
	NNew       int `json:"n_new"`
	// Space says what the embedding is (the last hidden layer, or the
	// logits of a model without one).
	Space string `json:"space"`
	Dim   int    `json:"dim"`
	// Bandwidth is the Gaussian kernel's σ, Permutations the null's size
	// and Null its MMD² values (for the figure).
	Bandwidth    float64   `json:"bandwidth"`
	Permutations int       `json:"permutations"`
	Null         []float64 `json:"null"`
}

// ChannelStats is a per-channel statistic of each side.
type ChannelStats struct {
	Reference []float64 `json:"reference"`
	New       []float64 `json:"new"`
}

// Finish sets the dataset verdict and the alarm from the tests made.
func (r *Report) Finish(t Thresholds) {
	r.Thresholds = ThresholdsJSON{PValue: t.PValue, Distance: t.Distance, Share: t.Share}
	if r.Embedding != nil {
		r.Drift = r.Embedding.Drift
		r.Share = 0
		if r.Drift {
			r.Share = 1
		}
	} else if len(r.Features) > 0 {
		n := 0
		for _, f := range r.Features {
			if f.Drift {
				n++
			}
		}
		r.Share = float64(n) / float64(len(r.Features))
		r.Drift = r.Share >= t.Share
	}
	r.Alarm = r.Drift || r.Predictions.Class.Drift || r.Predictions.Confidence.Drift
}
