package train

import (
	"math"

	"github.com/practica-ml/practica/internal/setting"
)

// Stop reasons of early stopping.
const (
	StopPatience = "patience"
	StopDiverged = "diverged"
)

// EarlyStopping ends training when the monitored metric has not improved by
// more than MinDelta for Patience epochs, or when it crosses
// DivergenceThreshold. It keeps no state of its own: every decision is
// recomputed from the history, so a resumed run decides as an
// uninterrupted one would. The best weights are in best.ckpt either way.
type EarlyStopping struct {
	NopHook
	// Monitor is val_loss (lower is better) or val_accuracy (higher).
	Monitor  string
	Patience int
	MinDelta float64
	// Baseline, when set, is the value the metric must beat within the
	// first Patience epochs.
	Baseline *float64
	// DivergenceThreshold, when set, stops at once when the metric is
	// worse than it (a val_loss above it, a val_accuracy below it).
	DivergenceThreshold *float64
}

// Validate reports settings that cannot work.
func (e EarlyStopping) Validate() error {
	if e.Patience < 1 {
		return setting.Errorf("patience", "must be >= 1, got %d", e.Patience)
	}
	if e.MinDelta < 0 || math.IsNaN(e.MinDelta) {
		return setting.Errorf("min_delta", "must be >= 0, got %v", e.MinDelta)
	}
	if e.Monitor != "val_loss" && e.Monitor != "val_accuracy" {
		return setting.Errorf("monitor", "must be val_loss or val_accuracy, got %q", e.Monitor)
	}
	return nil
}

// value returns the monitored metric as "lower is better".
func (e EarlyStopping) value(m EpochMetrics) float64 {
	if e.Monitor == "val_accuracy" {
		return -m.ValAccuracy
	}
	return m.ValLoss
}

// Decide returns the stop reason after the given history, or "".
func (e EarlyStopping) Decide(history []EpochMetrics) string {
	if len(history) == 0 {
		return ""
	}
	last := e.value(history[len(history)-1])
	if math.IsNaN(last) || math.IsInf(last, 0) {
		return StopNonFinite
	}
	if e.DivergenceThreshold != nil {
		th := *e.DivergenceThreshold
		if e.Monitor == "val_accuracy" {
			th = -th
		}
		if last > th {
			return StopDiverged
		}
	}
	best := math.Inf(1)
	if e.Baseline != nil {
		best = *e.Baseline
		if e.Monitor == "val_accuracy" {
			best = -best
		}
	}
	wait := 0
	for _, m := range history {
		if v := e.value(m); v < best-e.MinDelta {
			best, wait = v, 0
		} else {
			wait++
		}
	}
	if wait >= e.Patience {
		return StopPatience
	}
	return ""
}

// AfterEpoch implements Hook.
func (e EarlyStopping) AfterEpoch(s *State) error {
	if r := e.Decide(s.History); r != "" {
		s.Stop = r
	}
	return nil
}
