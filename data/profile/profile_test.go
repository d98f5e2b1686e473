package profile

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/internal/golden"
	"github.com/practica-ml/practica/report"
)

// tabular is a dataset of rows of the features f0..f3 with labels y.
func tabular(rows [][]float32, y []int) *data.Dataset {
	d := &data.Dataset{Source: "by hand", Kind: data.Tabular, Shape: []int{4}, Y: y, Classes: []string{"y0", "y1"}, FeatureNames: []string{"f0", "f1", "f2", "f3"}}
	for _, r := range rows {
		d.X = append(d.X, r...)
	}
	return d
}

// TestDescribeByHand profiles splits built by hand and checks every count
// against its value worked out from the rows. f1 is constant, f3 copies
// f0, f2 is f0 + 4 (no copy); train t2 copies t0 (same label), val v0
// copies t1 with the other label, test s0 copies t0 and s1 copies v1.
func TestDescribeByHand(t *testing.T) {
	row := func(f0 float32) []float32 { return []float32{f0, 0, f0 + 4, f0} }
	sp := &data.Splits{
		Train: tabular([][]float32{row(1), row(2), row(1), row(3)}, []int{0, 1, 0, 1}),
		Val:   tabular([][]float32{row(2), row(4)}, []int{0, 1}),
		Test:  tabular([][]float32{row(1), row(4), row(9)}, []int{0, 1, 0}),
	}
	p := &Report{ConstantFeatures: []string{}, DuplicateFeatures: [][]string{}}
	if err := p.describe(sp, 1); err != nil {
		t.Fatal(err)
	}
	if p.N != 9 || !slices.Equal(p.ClassCounts, []int{5, 4}) || p.Imbalance != 1.25 {
		t.Errorf("n %d, class counts %v, imbalance %g; want 9, [5 4], 1.25", p.N, p.ClassCounts, p.Imbalance)
	}
	wantSplits := []Split{{"train", 4, []int{2, 2}}, {"val", 2, []int{1, 1}}, {"test", 3, []int{2, 1}}}
	if !slices.EqualFunc(p.Splits, wantSplits, func(a, b Split) bool {
		return a.Name == b.Name && a.N == b.N && slices.Equal(a.ClassCounts, b.ClassCounts)
	}) {
		t.Errorf("splits %+v; want %+v", p.Splits, wantSplits)
	}
	if p.DuplicateRows != 4 || p.ConflictingDuplicates != 1 {
		t.Errorf("duplicate rows %d (want 4: t2, v0, s0, s1), conflicting %d (want 1: v0)", p.DuplicateRows, p.ConflictingDuplicates)
	}
	if p.Leakage != (Leakage{TrainVal: 1, TrainTest: 1, ValTest: 1}) {
		t.Errorf("leakage %+v; want v0 in train, s0 in train, s1 in val: 1, 1, 1", p.Leakage)
	}
	if !slices.Equal(p.ConstantFeatures, []string{"f1"}) || len(p.DuplicateFeatures) != 1 || !slices.Equal(p.DuplicateFeatures[0], []string{"f0", "f3"}) {
		t.Errorf("constant %v, duplicate features %v; want [f1], [[f0 f3]]", p.ConstantFeatures, p.DuplicateFeatures)
	}
	// f0 over the nine rows: 1 2 1 3 2 4 1 4 9, mean 3, squared deviations
	// summing to 52.
	f := p.Features[0]
	if f.Name != "f0" || f.Min != 1 || f.Max != 9 || f.Mean != 3 || math.Abs(f.Std-math.Sqrt(52.0/9)) > 1e-15 || f.Constant {
		t.Errorf("f0: %+v; want min 1, max 9, mean 3, std %g", f, math.Sqrt(52.0/9))
	}
	if g := p.Features[1]; !g.Constant || g.Std != 0 {
		t.Errorf("f1: %+v", g)
	}
	// f0, f2 and f3 move together and f1 is constant: one direction holds
	// all the variance, and the view still draws (its second axis 0).
	if !slices.Equal(p.PCAExplained, []float64{1, 0}) || p.PCAExamples != 9 {
		t.Errorf("PCA: explained %v over %d examples; want [1 0] over 9", p.PCAExplained, p.PCAExamples)
	}
	files, err := p.Write(t.TempDir())
	if err != nil || !slices.Contains(files, pcaPlot) {
		t.Errorf("wrote %v, %v; want the PCA view among them", files, err)
	}
}

// TestNoDuplicates: distinct rows give zero counts, and an empty val
// split leaks nothing.
func TestNoDuplicates(t *testing.T) {
	var rows [][]float32
	for i := range 6 {
		rows = append(rows, []float32{float32(i), float32(i % 2), float32(i * i), float32(-i)})
	}
	sp := &data.Splits{Train: tabular(rows[:4], []int{0, 1, 0, 1}), Val: tabular(nil, nil), Test: tabular(rows[4:], []int{0, 1})}
	p := &Report{ConstantFeatures: []string{}, DuplicateFeatures: [][]string{}}
	if err := p.describe(sp, 1); err != nil {
		t.Fatal(err)
	}
	if p.DuplicateRows != 0 || p.ConflictingDuplicates != 0 || p.Leakage != (Leakage{}) || len(p.ConstantFeatures) != 0 || len(p.DuplicateFeatures) != 0 {
		t.Errorf("found something in distinct rows: %+v", p)
	}
}

// planted is a CSV with two copies of rows 0..4, a copy of row 10 with
// the other label, a constant and a copied column.
func planted() string {
	var b strings.Builder
	b.WriteString("a,b,copy_of_a,const,label\n")
	line := func(i int, label string) { fmt.Fprintf(&b, "%d,%d,%d,7,%s\n", i, i*i%7, i, label) }
	for i := range 24 {
		line(i, []string{"x", "y"}[i%2])
	}
	for i := range 5 {
		line(i, []string{"x", "y"}[i%2])
	}
	line(10, "y")
	return b.String()
}

// TestGoldenProfile compares profile.json, as Write writes it, with
// testdata/profile.json byte for byte. go test -run TestGoldenProfile
// -update rewrites it.
func TestGoldenProfile(t *testing.T) {
	goldenPath, err := filepath.Abs(filepath.Join("testdata", "profile.json"))
	if err != nil {
		t.Fatal(err)
	}
	// A relative source keeps the temporary directory out of the file.
	t.Chdir(t.TempDir())
	if err := os.WriteFile("planted.csv", []byte(planted()), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Data(Options{Source: "planted.csv", LabelColumn: "label", Seed: 4, Args: []string{"eval", "--data", "planted.csv"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.N != 30 || p.DuplicateRows != 6 || p.ConflictingDuplicates != 1 {
		t.Errorf("n %d, duplicate rows %d (want 6), conflicting %d (want 1)", p.N, p.DuplicateRows, p.ConflictingDuplicates)
	}
	if _, err := p.Write("out"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("out", File))
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, goldenPath, got)
}

// TestCSVThatDoesNotLoad: the profile of a CSV with NaN, infinite, empty
// and non-numeric cells counts them by column (the label column skipped),
// keeps the loader's error, and still writes a page.
func TestCSVThatDoesNotLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "holes.csv")
	csv := "a,b,c,label\n1,2,3,x\nNaN,,3,y\n4,inf,abc,x\n5,6,7,NaN\n"
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Data(Options{Source: path, LabelColumn: "label", Seed: 1})
	if err == nil || p == nil || p.Error != err.Error() {
		t.Fatalf("profile %v, error %v", p, err)
	}
	nf := p.NonFinite
	want := []Column{{Column: "a", NaN: 1, First: 2}, {Column: "b", Inf: 1, Empty: 1, First: 2}, {Column: "c", NonNumeric: 1, First: 3}}
	if nf.NaN != 1 || nf.Inf != 1 || nf.Empty != 1 || nf.NonNumeric != 1 || !slices.Equal(nf.Columns, want) || nf.Checked != "every cell of holes.csv but the label column" {
		t.Errorf("non-finite %+v; want %+v", nf, want)
	}
	files, err := p.Write(filepath.Join(dir, "out"))
	if err != nil || !slices.Equal(files, []string{File, report.HTMLFile}) {
		t.Fatalf("wrote %v, %v", files, err)
	}
	html, _ := os.ReadFile(filepath.Join(dir, "out", report.HTMLFile))
	for _, s := range []string{"The data could not be loaded", "1 NaN, 1 infinite, 1 empty and 1 non-numeric cells"} {
		if !bytes.Contains(html, []byte(s)) {
			t.Errorf("report.html does not say %q", s)
		}
	}
	// A header the reader refuses: no counts, the loader's error.
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("a,a,label\n1,2,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err = Data(Options{Source: bad, Seed: 1})
	if err == nil || p == nil || !strings.HasPrefix(p.NonFinite.Checked, "not checked: ") || p.NonFinite.Columns != nil {
		t.Errorf("bad header: %v, %+v", err, p)
	}
}

// TestImages profiles the embedded digits: pixels named as the source
// names them (else by position, featureName),
// every figure of an image source written.
func TestImages(t *testing.T) {
	p, err := Data(Options{Source: "digits", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if p.N != 1797 || len(p.Classes) != 10 || len(p.Features) != 64 || p.Features[9].Name != "px1_1" || p.Kind != data.Image {
		t.Errorf("n %d, classes %d, features %d, feature 9 %q", p.N, len(p.Classes), len(p.Features), p.Features[9].Name)
	}
	files, err := p.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{File, classBalancePlot, samplesPlot, pixelStatsPlot, pcaPlot, report.HTMLFile}; !slices.Equal(files, want) {
		t.Errorf("wrote %v; want %v", files, want)
	}
	rgb := &data.Dataset{Shape: []int{3, 2, 2}}
	if got := featureName(rgb, 5); got != "pixel[1,0,1]" {
		t.Errorf("feature 5 of 3×2×2 is %q; want pixel[1,0,1]", got)
	}
}
