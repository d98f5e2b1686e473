package lrsweep

import (
	"bytes"
	"fmt"
	"strconv"
)

// csvHeader is the header of lr_sweep.csv.
const csvHeader = "seed,step,lr,loss,smoothed"

// Report is lr_sweep.json.
type Report struct {
	// RunDir is the run directory's absolute path.
	RunDir string `json:"run_dir,omitempty"`
	// Suggestions holds, for each rule (steepest, valley, minimum/10), its
	// value on every seed and their spread.
	Suggestions map[string]RuleReport `json:"suggestions"`
	// Recommended is the median over seeds of the RecommendedBy rule.
	Recommended   float64 `json:"recommended"`
	RecommendedBy string  `json:"recommended_by"`
	Reason        string  `json:"reason"`
	// TrainedWith is the learning rate the run then trained with (--lr
	// auto), absent for a sweep alone.
	TrainedWith float64      `json:"trained_with,omitempty"`
	Seeds       []SeedReport `json:"seeds"`
	Settings    Settings     `json:"settings"`
	Warnings    []string     `json:"warnings,omitempty"`
	// Grid is present when --grid was given.
	Grid *GridResult `json:"grid,omitempty"`
}

// RuleReport is one rule across seeds.
type RuleReport struct {
	Rule    string      `json:"rule"`
	PerSeed []SeedValue `json:"per_seed"`
	Spread
}

// SeedValue is one rule's suggestion on one seed's curve.
type SeedValue struct {
	Seed uint64  `json:"seed"`
	LR   float64 `json:"lr"`
	// Step and SmoothedLoss are the curve's point nearest to LR.
	Step         int     `json:"step"`
	SmoothedLoss float64 `json:"smoothed_loss"`
}

// SeedReport is how one seed's range test went.
type SeedReport struct {
	Seed  uint64 `json:"seed"`
	Steps int    `json:"steps"`
	// Stop is completed, diverged (smoothed loss above 4× its minimum) or
	// non-finite.
	Stop string `json:"stop"`
	// MinSmoothedLoss is the lowest smoothed loss, at LRAtMin.
	MinSmoothedLoss float64 `json:"min_smoothed_loss"`
	LRAtMin         float64 `json:"lr_at_min"`
	// Error says why this seed gave no suggestions (too few finite points).
	Error string `json:"error,omitempty"`
}

// Settings are what the sweep ran with.
type Settings struct {
	MinLR         float64 `json:"lr_min"`
	MaxLR         float64 `json:"lr_max"`
	Steps         int     `json:"lr_steps"`
	Seeds         int     `json:"seeds"`
	Beta          float64 `json:"beta"`
	DivergeFactor float64 `json:"diverge_factor"`
	BatchSize     int     `json:"batch_size"`
	Optimizer     string  `json:"optimizer"`
	Model         string  `json:"model"`
	Data          string  `json:"data"`
}

// FormatCSV renders the curves as lr_sweep.csv: seed, step, lr, loss,
// smoothed, every number in its shortest exact form (NaN and ±Inf as Go
// writes them).
func FormatCSV(curves []Curve) []byte {
	var b bytes.Buffer
	b.WriteString(csvHeader + "\n")
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, c := range curves {
		for _, p := range c.Points {
			fmt.Fprintf(&b, "%d,%d,%s,%s,%s\n", c.Seed, p.Step, f(p.LR), f(p.Loss), f(p.Smoothed))
		}
	}
	return b.Bytes()
}

// Result is a finished sweep: the report and every seed's curve.
type Result struct {
	Report Report
	Curves []Curve
}
