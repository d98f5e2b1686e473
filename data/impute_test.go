package data

import (
	"slices"
	"strings"
	"testing"
)

// missingSet is a training split of 5 rows and 3 columns: "a" with two
// missing cells, "b" with none, "c" with one.
func missingSet() *Dataset {
	return &Dataset{
		Source: "t.csv", Kind: Tabular, Shape: []int{3}, FeatureNames: []string{"a", "b", "c"},
		X: []float32{
			1, 10, nan,
			nan, 20, 4,
			4, 30, 1,
			nan, 40, 2,
			10, 50, 8,
		},
		Y: []int{0, 1, 0, 1, 0}, Classes: []string{"n", "y"}, MissingAsNaN: true,
	}
}

// TestFitImputation checks the fill values worked by hand: the mean and
// the median of the present cells of each column, and the indicators of
// the columns with missing cells.
func TestFitImputation(t *testing.T) {
	cases := []struct {
		rule       Missing
		indicators bool
		fill       []float32
		ind        []int
	}{
		// a: 1, 4, 10; b: 10..50; c: 4, 1, 2, 8.
		{MissingMean, false, []float32{5, 30, 3.75}, nil},
		{MissingMedian, false, []float32{4, 30, 3}, nil},
		{MissingMedian, true, []float32{4, 30, 3}, []int{0, 2}},
	}
	for _, c := range cases {
		m, err := FitImputation(missingSet(), c.rule, c.indicators)
		if err != nil {
			t.Fatal(err)
		}
		if m.Rule != c.rule || !slices.Equal(m.Fill, c.fill) || !slices.Equal(m.Indicators, c.ind) || !slices.Equal(m.Columns, []string{"a", "b", "c"}) {
			t.Errorf("%s, indicators %v: %+v; want fill %v indicators %v", c.rule, c.indicators, m, c.fill, c.ind)
		}
		if err := m.Check(3 + len(c.ind)); err != nil {
			t.Errorf("Check: %v", err)
		}
	}
}

// TestImputationApply fills a split in place: every NaN becomes its
// column's fill value, indicator columns are appended and named, and the
// result validates as a dataset without missing cells.
func TestImputationApply(t *testing.T) {
	d := missingSet()
	m, err := FitImputation(d, MissingMean, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(d); err != nil {
		t.Fatal(err)
	}
	want := []float32{
		1, 10, 3.75, 0, 1,
		5, 20, 4, 1, 0,
		4, 30, 1, 0, 0,
		5, 40, 2, 1, 0,
		10, 50, 8, 0, 0,
	}
	if !slices.Equal(d.X, want) || !slices.Equal(d.Shape, []int{5}) || d.MissingAsNaN {
		t.Errorf("X %v shape %v MissingAsNaN %v; want %v [5] false", d.X, d.Shape, d.MissingAsNaN, want)
	}
	if names := []string{"a", "b", "c", "missing:a", "missing:c"}; !slices.Equal(d.FeatureNames, names) {
		t.Errorf("feature names %q, want %q", d.FeatureNames, names)
	}
	if err := d.Validate(); err != nil {
		t.Error(err)
	}
	// Serving: one row with every cell missing gets the fill values and
	// both indicators; a row without missing cells passes unchanged.
	got, err := m.ApplyRows([]float32{nan, nan, nan, 7, 8, 9})
	if err != nil || !slices.Equal(got, []float32{5, 30, 3.75, 1, 1, 7, 8, 9, 0, 0}) {
		t.Errorf("ApplyRows: %v, %v", got, err)
	}
	if _, err := m.ApplyRows([]float32{1, 2}); err == nil {
		t.Error("ApplyRows took 2 values for 3 columns")
	}
}

func TestFitImputationErrors(t *testing.T) {
	allMissing := missingSet()
	for i := range allMissing.Len() {
		allMissing.X[i*3+1] = nan
	}
	clash := missingSet()
	clash.FeatureNames = []string{"a", "missing:a", "c"}
	cases := []struct {
		name string
		d    *Dataset
		rule Missing
		want string
	}{
		{"a column with no value", allMissing, MissingMedian,
			`data.missing is median, but column "b" of t.csv has no value in the 5 rows of the training split to take the median of; ignore it (data.ignore_columns)`},
		{"an indicator named like a column", clash, MissingMean,
			`data.missing_indicator would add the column "missing:a" to t.csv, which already has one of that name`},
		{"drop fills nothing", missingSet(), MissingDrop, `data.missing is "drop", which fills no cell`},
	}
	for _, c := range cases {
		if _, err := FitImputation(c.d, c.rule, true); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// TestImputationCheck refuses an imputation that does not fit the model it
// is stored with, as a checkpoint could hold.
func TestImputationCheck(t *testing.T) {
	good := func() *Imputation {
		return &Imputation{Rule: MissingMean, Columns: []string{"a", "b"}, Fill: []float32{1, 2}, Indicators: []int{1}}
	}
	if err := good().Check(3); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		modify func(*Imputation)
		width  int
		want   string
	}{
		{"width", func(*Imputation) {}, 2, "imputation makes rows of 3 values, and the model takes 2"},
		{"rule", func(m *Imputation) { m.Rule = "drop" }, 3, `imputation rule "drop"`},
		{"fill count", func(m *Imputation) { m.Fill = m.Fill[:1] }, 3, "imputation of 2 columns has 1 fill values"},
		{"NaN fill", func(m *Imputation) { m.Fill[0] = nan }, 3, `imputation fill value of column "a" is NaN`},
		{"indicator range", func(m *Imputation) { m.Indicators = []int{2} }, 3, "imputation indicators [2] do not name columns"},
		{"indicator order", func(m *Imputation) { m.Indicators = []int{1, 0} }, 4, "imputation indicators [1 0] do not name columns"},
	}
	for _, c := range cases {
		m := good()
		c.modify(m)
		if err := m.Check(c.width); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}
