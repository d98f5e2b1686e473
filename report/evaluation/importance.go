package evaluation

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/explain"
	"github.com/practica-ml/practica/figures"
	"github.com/practica-ml/practica/inference"
	"github.com/practica-ml/practica/report"
)

// importancePlot is the permutation importance bar chart.
const importancePlot = "permutation_importance.png"

// importanceShown is the most features the bar chart shows.
const importanceShown = 20

// AddPermutationImportance computes, for a tabular model, the permutation
// importance of each feature on the evaluated split (repeats seeded
// shuffles) into metrics.json and the report; an image model is left as
// it is. Raw columns are shuffled, then normalized by the predictor: the
// same as shuffling normalized columns, the normalization being affine
// per column.
func (e *Result) AddPermutationImportance(repeats int, seed uint64) error {
	if e.kind != data.Tabular {
		return nil
	}
	p, err := inference.Load(e.opt.Checkpoint)
	if err != nil {
		return err
	}
	names := e.checkpoint.Input.FeatureNames
	imp, err := explain.Permutation(p.Logits, e.X, e.Y, explain.PermutationOptions{
		Names: names, Classes: len(e.Metrics.Classes), Temperature: ckptTemperature(e.checkpoint), Repeats: repeats, Seed: seed})
	if err != nil {
		return fmt.Errorf("permutation importance: %w", err)
	}
	e.Metrics.PermutationImportance = imp.Features
	e.Metrics.PermutationRepeats = imp.Repeats
	return nil
}

// importanceSentences say in words what shuffling each feature does.
func (e *Result) importanceSentences() []string {
	m := &e.Metrics
	fs := m.PermutationImportance
	if len(fs) == 0 {
		return nil
	}
	top := fs[0]
	out := []string{fmt.Sprintf("Shuffling '%s' across the %s examples drops accuracy from %s to %s and raises the log loss from %.3f to %.3f (mean of %d shuffles).",
		top.Feature, report.Commas(m.N), report.Pct(m.Accuracy), report.Pct(m.Accuracy-top.AccuracyDropMean), m.NLL, m.NLL+top.NLLRiseMean, m.PermutationRepeats)}
	none := 0
	for _, f := range fs {
		if math.Abs(f.AccuracyDropMean) < 0.5/float64(max(m.N, 1)) && math.Abs(f.NLLRiseMean) < 1e-3 {
			none++
		}
	}
	out = append(out, fmt.Sprintf("%s of %d change nothing: the model does not rely on them.", report.Plural(none, "feature", "features"), len(fs)))
	return out
}

// importancePNG draws the accuracy drop of the features that matter most
// as horizontal bars, largest on top.
func importancePNG(path string, fs []explain.FeatureImportance) error {
	k := min(len(fs), importanceShown)
	vals := make(plotter.Values, k)
	names := make([]string, k)
	for i := range k {
		f := fs[k-1-i]
		vals[i], names[i] = 100*f.AccuracyDropMean, report.Shorten(f.Feature, 24)
	}
	p := figures.New(fmt.Sprintf("Accuracy drop when a feature is shuffled (top %d of %d)", k, len(fs)), "accuracy drop (percentage points)", "")
	bars, err := plotter.NewBarChart(vals, vg.Points(math.Max(4, math.Min(18, 300/float64(k)))))
	if err != nil {
		return err
	}
	bars.Horizontal = true
	bars.Color, bars.LineStyle.Width = figures.Blue(), 0
	p.Add(bars, plotter.NewGrid())
	p.NominalY(names...)
	// Room for the longest bar, and for negative drops (a shuffle that
	// happened to help).
	p.X.Max = 1.08 * math.Max(vals[k-1], 0.1)
	p.X.Min = math.Min(0, 1.08*floats.Min(vals))
	return figures.SavePNG(p, 7*vg.Inch, vg.Length(math.Max(3, 0.28*float64(k)+1.2))*vg.Inch, path)
}
