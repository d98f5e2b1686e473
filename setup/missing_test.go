package setup

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/data"
)

// missingCSV writes a CSV of 100 rows, two classes: an id, "a" missing in
// every fifth row (as NA), "b" empty in two rows, "c" always present; the
// values grow with the row, so that the training split's statistics differ
// from those of all rows.
func missingCSV(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("id;a;b;c;label\n")
	for i := range 100 {
		a, bv := fmt.Sprint(i), fmt.Sprint(i*i%37)
		if i%5 == 0 {
			a = "NA"
		}
		if i == 3 || i == 10 {
			bv = ""
		}
		fmt.Fprintf(&b, "row-%d;%s;%s;%d;%s\n", i, a, bv, i%7, []string{"n", "y"}[i%2])
	}
	p := filepath.Join(t.TempDir(), "m.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPrepareFillsMissingCells: under median with indicators, the fill
// values are the medians of the training split's present cells (computed
// here from the raw split, and not those of all rows), every split is
// filled, and the schema keeps the CSV's columns while its shape is the
// model's input with the indicators of "a" and "b".
func TestPrepareFillsMissingCells(t *testing.T) {
	cfg := config.Default()
	cfg.Data.Source, cfg.Data.Delimiter, cfg.Data.IgnoreColumns = missingCSV(t), ";", []string{" id "}
	cfg.Data.Missing, cfg.Data.MissingIndicator = "median", true
	p, err := Prepare(cfg, Env{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := OpenSplits(cfg, Env{})
	if err != nil {
		t.Fatal(err)
	}
	median := func(d *data.Dataset, j int) float32 {
		var v []float64
		for i := range d.Len() {
			if x := d.Row(i)[j]; !math.IsNaN(float64(x)) {
				v = append(v, float64(x))
			}
		}
		slices.Sort(v)
		if len(v)%2 == 0 {
			return float32((v[len(v)/2-1] + v[len(v)/2]) / 2)
		}
		return float32(v[len(v)/2])
	}
	all := &data.Dataset{Shape: []int{3}}
	for _, d := range []*data.Dataset{raw.Train, raw.Val, raw.Test} {
		all.X, all.Y = append(all.X, d.X...), append(all.Y, d.Y...)
	}
	m := p.Schema.Missing
	if m == nil {
		t.Fatal("no imputation in the schema")
	}
	for j := range 3 {
		if want := median(raw.Train, j); m.Fill[j] != want {
			t.Errorf("fill of column %d is %v, want the training median %v", j, m.Fill[j], want)
		}
	}
	if median(all, 0) == m.Fill[0] {
		t.Errorf("the fixture does not tell the training median of a (%v) from that of all rows", m.Fill[0])
	}
	wantInd := []int{0}
	for i := range raw.Train.Len() {
		if math.IsNaN(float64(raw.Train.Row(i)[1])) {
			wantInd = []int{0, 1}
		}
	}
	if !slices.Equal(m.Indicators, wantInd) {
		t.Errorf("indicators %v, want %v: the columns with a missing cell in the training split", m.Indicators, wantInd)
	}
	k := 3 + len(m.Indicators)
	s := p.Schema
	if !slices.Equal(s.FeatureNames, []string{"a", "b", "c"}) || !slices.Equal(s.Shape, []int{k}) || s.Delimiter != ";" || !slices.Equal(s.IgnoredColumns, []string{"id"}) {
		t.Errorf("schema features %q shape %v delimiter %q ignored %q", s.FeatureNames, s.Shape, s.Delimiter, s.IgnoredColumns)
	}
	for _, d := range []*data.Dataset{p.Splits.Train, p.Splits.Val, p.Splits.Test} {
		if d.SampleSize() != k || len(d.FeatureNames) != k || d.MissingAsNaN || d.Validate() != nil {
			t.Errorf("a split of %d features (%q), MissingAsNaN %v: %v", d.SampleSize(), d.FeatureNames, d.MissingAsNaN, d.Validate())
		}
	}
	if n := p.Normalization.Groups; n != k {
		t.Errorf("normalization of %d features, want %d", n, k)
	}
}

// TestPrepareCSVOptions: drop counts its rows in a warning; the defaults
// leave the schema exactly as before the options existed.
func TestPrepareCSVOptions(t *testing.T) {
	cfg := config.Default()
	cfg.Data.Source, cfg.Data.Delimiter, cfg.Data.IgnoreColumns, cfg.Data.Missing = missingCSV(t), ";", []string{"id"}, "drop"
	p, err := Prepare(cfg, Env{})
	if err != nil {
		t.Fatal(err)
	}
	if n := p.Splits.Train.Len() + p.Splits.Val.Len() + p.Splits.Test.Len(); n != 79 {
		t.Errorf("%d rows after drop, want 79 (100 less 20 with a missing a and row 3 with a missing b)", n)
	}
	want := "data.missing drop left out 21 rows of " + cfg.Data.Source + " with a missing feature cell"
	if len(p.Warnings) == 0 || !strings.HasPrefix(p.Warnings[0], want) {
		t.Errorf("warnings %q, want one starting %q", p.Warnings, want)
	}
	if p.Schema.Missing != nil || p.Schema.Delimiter != ";" {
		t.Errorf("schema missing %v delimiter %q", p.Schema.Missing, p.Schema.Delimiter)
	}
	def := config.Default()
	def.Data.Source = "../data/testdata/iris.csv"
	q, err := Prepare(def, Env{})
	if err != nil {
		t.Fatal(err)
	}
	if s := q.Schema; s.Delimiter != "" || s.IgnoredColumns != nil || s.Missing != nil || len(q.Warnings) != 2 {
		t.Errorf("default schema %+v, warnings %q", s, q.Warnings)
	}
}
