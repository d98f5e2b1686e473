package evaluation

import (
	"fmt"
	"os"
	"path/filepath"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/figures"
	"github.com/practica-ml/practica/internal/atomicfile"
	"github.com/practica-ml/practica/report"
)

// topLossesShown is the number of examples of the top-losses grid/table.
const topLossesShown = 16

// Write writes metrics.json, predictions.csv, the figures and report.html
// into out (created when missing), each file atomically, and returns the
// names written.
func (e *Result) Write(out string) ([]string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	var files []string
	put := func(name string, b []byte) error {
		files = append(files, name)
		return atomicfile.Write(filepath.Join(out, name), b)
	}
	if err := put(PredictionsFile, e.formatPredictions()); err != nil {
		return nil, err
	}
	mj, err := report.JSON(e.Metrics)
	if err != nil {
		return nil, err
	}
	if err := put(MetricsFile, mj); err != nil {
		return nil, err
	}
	figs, err := e.writeFigures(out)
	if err != nil {
		return nil, err
	}
	files = append(files, figs...)
	page, err := e.html(out)
	if err != nil {
		return nil, err
	}
	if err := put(report.HTMLFile, page); err != nil {
		return nil, err
	}
	return files, nil
}

// writeFigures draws the evaluation's figures and copies those of earlier
// stages from the run directory.
func (e *Result) writeFigures(out string) ([]string, error) {
	var files []string
	path := func(name string) string { files = append(files, name); return filepath.Join(out, name) }
	m := &e.Metrics
	if len(e.Run.History) > 0 {
		stop := ""
		if e.Run.Summary != nil {
			stop = e.Run.Summary.StopReason
		}
		if err := figures.CurvesPNG(path(curvesPlot), e.Run.History, e.Run.bestIndex(), stop); err != nil {
			return nil, err
		}
	}
	if err := confusionPNG(path(confusionPlot), m.ConfusionMatrix, m.Classes); err != nil {
		return nil, err
	}
	if err := f1PNG(path(f1Plot), m.PerClass, m.MacroAvg.F1); err != nil {
		return nil, err
	}
	if m.ROCAUC != nil {
		op := e.operatingPoint()
		if err := curvePNG(path(rocPlot), fmt.Sprintf("ROC curve of %q (AUC %.3f)", m.PositiveClass, *m.ROCAUC),
			"false-positive rate", "true-positive rate (recall)", e.roc,
			plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}}, "random guessing", plotter.XY{X: op.fpr, Y: op.recall}); err != nil {
			return nil, err
		}
	}
	if m.PRAUC != nil {
		op := e.operatingPoint()
		prev := float64(m.PerClass[1].Support) / float64(m.N)
		if err := curvePNG(path(prPlot), fmt.Sprintf("Precision-recall of %q (AP %.3f)", m.PositiveClass, *m.PRAUC),
			"recall", "precision", e.pr,
			plotter.XYs{{X: 0, Y: prev}, {X: 1, Y: prev}}, fmt.Sprintf("random guessing (%.2f)", prev), plotter.XY{X: op.recall, Y: op.precision}); err != nil {
			return nil, err
		}
	}
	title := fmt.Sprintf("Reliability on the %s split (%d examples): before and after temperature scaling (T = %.3g)", m.Split, m.N, m.Temperature)
	after := m.Calibration.After
	// An uncalibrated checkpoint: the left side is what predict serves,
	// the right the what-if temperature, which the title says is not.
	if w := m.WhatIfCalibrated; w != nil {
		title = fmt.Sprintf("Reliability on the %s split (%d examples): as served, uncalibrated (T = 1); no temperature to compare with", m.Split, m.N)
		if w.Calibration != nil {
			title = fmt.Sprintf("Reliability on the %s split (%d examples): as served, uncalibrated (left); what-if T = %.3g fitted by eval, not served (right)", m.Split, m.N, w.Temperature)
			after = w.Calibration.After
		}
	}
	if err := figures.ReliabilityPNG(path(reliabilityPlot), title, m.Calibration.Before, after); err != nil {
		return nil, err
	}
	if len(m.PermutationImportance) > 0 {
		if err := importancePNG(path(importancePlot), m.PermutationImportance); err != nil {
			return nil, err
		}
	}
	if e.kind == data.Image && len(e.shape) == 3 {
		idx, _ := e.topLosses(topLossesShown)
		caps := make([]string, len(idx))
		c := len(m.Classes)
		for k, i := range idx {
			caps[k] = fmt.Sprintf("#%d: is %s\nsaid %s (%.0f%%)", i, report.Shorten(m.Classes[e.Y[i]], 10), report.Shorten(m.Classes[e.Predicted[i]], 10), 100*e.probs[i*c+e.Predicted[i]])
		}
		if err := report.ImageGridPNG(path(topLossesPlot), e.X, e.shape, e.checkpoint.Input.RawMax, idx, caps, 4, 1.9*vg.Inch); err != nil {
			return nil, err
		}
	}
	if err := e.attributionPNGs(path); err != nil {
		return nil, err
	}
	for _, f := range e.Run.Figures {
		b, err := os.ReadFile(e.Run.Dir.Join(f))
		if err != nil {
			return nil, err
		}
		if err := atomicfile.Write(path(f), b); err != nil {
			return nil, err
		}
	}
	return files, nil
}

type operating struct{ fpr, recall, precision float64 }

// operatingPoint is where the threshold in use (argmax) puts the
// two-class model.
func (e *Result) operatingPoint() operating {
	cm := e.Metrics.ConfusionMatrix
	tp, fn, fp, tn := cm[1][1], cm[1][0], cm[0][1], cm[0][0]
	var o operating
	if tp+fn > 0 {
		o.recall = float64(tp) / float64(tp+fn)
	}
	if fp+tn > 0 {
		o.fpr = float64(fp) / float64(fp+tn)
	}
	o.precision = 1
	if tp+fp > 0 {
		o.precision = float64(tp) / float64(tp+fp)
	}
	return o
}
