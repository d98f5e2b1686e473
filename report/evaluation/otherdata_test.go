package evaluation

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/internal/setting"
	"github.com/practica-ml/practica/report/internal/fakerun"
)

// defaultLabelRun is fakeRun trained with the default label column, the
// last ("label" in its CSV of x, y, label): the run's config names no
// label column, its checkpoint does.
func defaultLabelRun(t *testing.T) (run, tmp string) {
	t.Helper()
	tmp = t.TempDir()
	cfg := config.Default()
	cfg.Data.Source = csvOf(t, filepath.Join(tmp, "scores.csv"), "x", "y", "label")
	cfg.Data.Normalize, cfg.Data.Val, cfg.Data.Test = false, 0.25, 0.25
	cfg.Training.Seed = 3
	r := fakerun.Run{Config: cfg, Weight: []float32{0, 2, 0, 0}, Bias: []float32{0, 0}, Temperature: 1.5, Command: "train --data scores.csv"}
	run, err := r.Write(tmp, "run")
	if err != nil {
		t.Fatal(err)
	}
	return run, tmp
}

// TestOtherDataLabelColumn: eval --run --data reads another file's labels
// from the column the checkpoint's came from, wherever it stands (here
// first, with the numeric y last, which was once taken for the label), or
// from the LabelColumn given; the scores equal those of the run's own
// file. LabelColumn without Data is a setting error.
func TestOtherDataLabelColumn(t *testing.T) {
	run, tmp := defaultLabelRun(t)
	own, err := Evaluate(run, Options{Split: "all"})
	if err != nil {
		t.Fatal(err)
	}
	moved := csvOf(t, filepath.Join(tmp, "moved.csv"), "label", "x", "y")
	for _, c := range []struct{ name, column string }{{"checkpoint's column", ""}, {"given column", "label"}} {
		t.Run(c.name, func(t *testing.T) {
			e, err := Evaluate(run, Options{Split: "all", Data: moved, LabelColumn: c.column})
			if err != nil {
				t.Fatal(err)
			}
			if m := e.Metrics; m.N != 20 || m.Correct != 16 || m.Correct != own.Metrics.Correct || m.MacroAvg != own.Metrics.MacroAvg {
				t.Fatalf("%d of %d right, macro %+v; the run's own file: %d of %d, %+v", m.Correct, m.N, m.MacroAvg, own.Metrics.Correct, own.Metrics.N, own.Metrics.MacroAvg)
			}
		})
	}
	if _, err := Evaluate(run, Options{Data: moved, LabelColumn: "nope"}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("an unknown label column: %v", err)
	}
	_, err = Evaluate(run, Options{LabelColumn: "label"})
	var se *setting.Error
	if !errors.As(err, &se) || se.Key != "label_column" {
		t.Fatalf("LabelColumn without Data: %v", err)
	}
}

// TestOneClassEvaluation: a set with only "pos" examples is scored: the 8
// of 10 the rule gets right (x > 0), per-class rows for both classes,
// macro averages over pos and neg (predicted twice, never true), no
// ROC-AUC, which needs both classes, and a PR-AUC of 1 (every example
// positive: the precision is 1 at every threshold).
func TestOneClassEvaluation(t *testing.T) {
	run, tmp := defaultLabelRun(t)
	var b strings.Builder
	b.WriteString("x,y,label\n")
	for i, x := range posX {
		fmt.Fprintf(&b, "%v,%d,pos\n", x, i)
	}
	path := filepath.Join(tmp, "pos.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := Evaluate(run, Options{Split: "all", Data: path})
	if err != nil {
		t.Fatal(err)
	}
	m := e.Metrics
	if m.N != 10 || m.Correct != 8 || m.ROCAUC != nil || m.PRAUC == nil || *m.PRAUC != 1 {
		t.Fatalf("%d of %d right, ROC-AUC %v, PR-AUC %v", m.Correct, m.N, m.ROCAUC, m.PRAUC)
	}
	// pos: precision 1, recall 0.8, F1 8/9; neg: 0, 0, 0.
	if pos := m.PerClass[1]; pos.Class != "pos" || pos.Support != 10 || !near(pos.F1, 8.0/9, 1e-12) || m.PerClass[0].Support != 0 {
		t.Fatalf("per class %+v", m.PerClass)
	}
	if !near(m.MacroAvg.F1, 4.0/9, 1e-12) || !near(m.MacroAvg.Recall, 0.4, 1e-12) {
		t.Fatalf("macro %+v", m.MacroAvg)
	}
	if _, err := e.Write(filepath.Join(tmp, "eval")); err != nil {
		t.Fatal(err)
	}
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// TestPredictionsInertCells: class names a spreadsheet would run as
// formulas are written with a leading quote (OWASP's advice on CSV
// injection); other names are written as they are; ReadPredictions gives
// every name back.
func TestPredictionsInertCells(t *testing.T) {
	classes := []string{"=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "'=q", "plain", "a=b"}
	want := []string{"'=1+2", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "''=q", "plain", "a=b"}
	c := len(classes)
	e := &Result{Y: make([]int, c), Predicted: make([]int, c), probs: make([]float64, c*c)}
	e.Metrics.Classes = classes
	for i := range c {
		e.Y[i], e.Predicted[i] = i, (i+1)%c
		e.probs[i*c+e.Predicted[i]] = 1
	}
	b := e.formatPredictions()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows[1:] {
		if r[1] != want[i] || r[2] != want[(i+1)%c] {
			t.Errorf("row %d: label %q, predicted %q; want %q, %q", i, r[1], r[2], want[i], want[(i+1)%c])
		}
	}
	path := filepath.Join(t.TempDir(), "predictions.csv")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := ReadPredictions(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range c {
		if p.Classes[p.Label[i]] != classes[i] || p.Classes[p.Predicted[i]] != classes[(i+1)%c] {
			t.Fatalf("read back: row %d is %q predicted %q", i, p.Classes[p.Label[i]], p.Classes[p.Predicted[i]])
		}
	}
}
