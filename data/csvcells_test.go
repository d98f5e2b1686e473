package data

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/practica-ml/practica/internal/testfile"
)

// TestCheckCSVCells plants every kind of bad cell and checks the counts
// per column, the first bad row, that the label column is skipped and
// that a ragged row does not stop the count.
func TestCheckCSVCells(t *testing.T) {
	csv := "\ufeffa, b ,c,label\n" +
		"1,2,3,x\n" + // row 1: clean
		"NaN,,3,NaN\n" + // row 2: NaN, empty; the label "NaN" is no feature
		"4,inf,abc,y\n" + // row 3: Inf, non-numeric
		"1e39, ,-Infinity,x\n" + // row 4: beyond float32 (Inf), blank, -Inf
		"5,6\n" + // row 5: ragged, its cells are fine
		"nan,7,8,y,extra\n" // row 6: NaN; the extra cell is ignored
	dir := t.TempDir()
	want := []BadCells{
		{Column: "a", NaN: 2, Inf: 1, FirstRow: 2},
		{Column: "b", Inf: 1, Empty: 2, FirstRow: 2},
		{Column: "c", Inf: 1, NonNumeric: 1, FirstRow: 3},
	}
	for _, name := range []string{"holes.csv", "holes.csv.gz"} {
		content := []byte(csv)
		if strings.HasSuffix(name, ".gz") {
			content = testfile.Gzip(content)
		}
		got, err := CheckCSVCells(writeFile(t, dir, name, content), CSVOptions{LabelColumn: "label"})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
		if got[0].Total() != 3 {
			t.Errorf("%s: column a has %d bad cells, want 3", name, got[0].Total())
		}
	}
	// The default label column is the last: there, column "label" is a
	// feature and its "NaN", "x", "y" are counted.
	got, err := CheckCSVCells(writeFile(t, dir, "last.csv", []byte("a,label\n1,NaN\n2,x\n3,4\n")), CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("the last column is the label by default, yet %+v", got)
	}
	// A clean file has no bad cells; ReadCSV reads it.
	clean := writeFile(t, dir, "clean.csv", []byte("a,b,label\n1,2,x\n3,4,y\n"))
	if got, err := CheckCSVCells(clean, CSVOptions{LabelColumn: "label"}); err != nil || got != nil {
		t.Errorf("clean file: %+v, %v", got, err)
	}
	// The header is checked as ReadCSV checks it.
	for _, c := range []struct{ csv, label, want string }{
		{"a,b\n1,2\n", "y", `no label column "y"`},
		{"a,a,y\n1,2,x\n", "", "both named"},
		{"1,2\n3,4\n", "", "no header row"},
	} {
		_, err := CheckCSVCells(writeFile(t, dir, "bad.csv", []byte(c.csv)), CSVOptions{LabelColumn: c.label})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.csv, err, c.want)
		}
	}
}

// TestCheckCSVCellsAgreesWithReadCSV: a cell is counted exactly when
// ReadCSV rejects it.
func TestCheckCSVCellsAgreesWithReadCSV(t *testing.T) {
	dir := t.TempDir()
	for _, cell := range []string{"1", " 2.5 ", "-0", "1e-50", "3.4e38", "0x10", "", "  ", "NaN", "-nan", "inf", "+Inf", "1e39", "-1e39", "1,5", "one", "1e"} {
		path := writeFile(t, dir, "one.csv", []byte("a,label\n\""+cell+"\",x\n0,y\n"))
		bad, err := CheckCSVCells(path, CSVOptions{LabelColumn: ""})
		if err != nil {
			t.Fatal(err)
		}
		_, rerr := ReadCSV(path, "")
		if (len(bad) > 0) != (rerr != nil) {
			t.Errorf("cell %q: counted %+v, ReadCSV error %v", cell, bad, rerr)
		}
	}
}

// TestCheckCSVCellsWithOptions reads a ';' file with an ID column: the ID's
// text is not a bad cell, and the delimiter splits the columns.
func TestCheckCSVCellsWithOptions(t *testing.T) {
	path := writeFile(t, t.TempDir(), "semi.csv", []byte("id;a;b;label\nx1;1;NA;y\nx2;2;3;n\nx3;;oops;y\n"))
	got, err := CheckCSVCells(path, CSVOptions{Delimiter: ';', IgnoreColumns: []string{"id"}})
	want := []BadCells{{Column: "a", Empty: 1, FirstRow: 3}, {Column: "b", NonNumeric: 2, FirstRow: 1}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("CheckCSVCells = %+v, %v; want %+v", got, err, want)
	}
}

// TestReadCSVExactFloat32 reads the shortest decimal forms of float32
// values back to the same bits, 7.038531e-26 included: the one float32
// whose shortest form, rounded through float64, lands on its neighbour.
func TestReadCSVExactFloat32(t *testing.T) {
	tests := []struct {
		cell string
		bits uint32
	}{
		{"7.038531e-26", 363742205},
		{"0.1", 0x3dcccccd},
		{"-0", 0x80000000},
		{"1e-45", 0x00000001},
		{"3.4028235e+38", 0x7f7fffff},
		{"16", 0x41800000},
	}
	var b strings.Builder
	b.WriteString("x,label\n")
	for i, tc := range tests {
		fmt.Fprintf(&b, "%s,%d\n", tc.cell, i%2)
	}
	d, err := ReadCSV(writeFile(t, t.TempDir(), "exact.csv", []byte(b.String())), "")
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range tests {
		if got := math.Float32bits(d.X[i]); got != tc.bits {
			t.Errorf("%s read as %v (bits %#08x), want bits %#08x", tc.cell, d.X[i], got, tc.bits)
		}
	}
}
