package data

import (
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/practica-ml/practica/internal/testfile"
)

func TestReadCSVClassOrder(t *testing.T) {
	tests := []struct {
		name    string
		csv     string
		classes []string
		y       []int
	}{
		{"numeric", "a,y\n1,10\n2,9\n3,2.5\n4,9\n", []string{"2.5", "9", "10"}, []int{2, 1, 0, 1}},
		{"lexical", "a,y\n1,b\n2,B\n3,a\n", []string{"B", "a", "b"}, []int{2, 0, 1}},
		{"mixed is lexical", "a,y\n1,10\n2,9\n3,x\n", []string{"10", "9", "x"}, []int{0, 1, 2}},
		{"spaces trimmed", "a , y\n 1 , cat \n2,dog\n", []string{"cat", "dog"}, []int{0, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "t.csv", []byte(tc.csv))
			d, err := ReadCSV(p, "")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.Classes, tc.classes) || !slices.Equal(d.Y, tc.y) {
				t.Errorf("classes %q Y %v, want %q %v", d.Classes, d.Y, tc.classes, tc.y)
			}
		})
	}
}

func TestReadCSVGzipAndFixtures(t *testing.T) {
	raw, err := os.ReadFile("testdata/iris.csv")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	plain, err := ReadCSV("testdata/iris.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	// Gzip is detected by content, whatever the name.
	for _, name := range []string{"iris.csv.gz", "iris-gz.csv"} {
		d, err := ReadCSV(writeFile(t, dir, name, testfile.Gzip(raw)), "species")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(d.X, plain.X) || !slices.Equal(d.Y, plain.Y) || !slices.Equal(d.Classes, plain.Classes) {
			t.Errorf("%s differs from the plain file", name)
		}
	}
	if plain.Len() != 150 || !slices.Equal(plain.Shape, []int{4}) || plain.Kind != Tabular || plain.LabelColumn != "species" {
		t.Errorf("iris: %d × %v kind %s label %q", plain.Len(), plain.Shape, plain.Kind, plain.LabelColumn)
	}
	if !slices.Equal(plain.FeatureNames, []string{"sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm"}) {
		t.Errorf("feature names %q", plain.FeatureNames)
	}
	if !slices.Equal(plain.Row(0), []float32{5.1, 3.5, 1.4, 0.2}) {
		t.Errorf("first row %v", plain.Row(0))
	}
	bc, err := ReadCSV("testdata/breast_cancer.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	if bc.Len() != 569 || bc.SampleSize() != 30 || !slices.Equal(bc.Classes, []string{"benign", "malignant"}) {
		t.Errorf("breast cancer: %d × %d, classes %q", bc.Len(), bc.SampleSize(), bc.Classes)
	}
	if counts := bc.ClassCounts(); !slices.Equal(counts, []int{357, 212}) {
		t.Errorf("class counts %v, want [357 212]", counts)
	}
}

func TestReadCSVLabelColumnByName(t *testing.T) {
	p := writeFile(t, t.TempDir(), "first.csv", []byte("kind,a,b\nx,1,2\ny,3,4\n"))
	d, err := ReadCSV(p, "kind")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.FeatureNames, []string{"a", "b"}) || d.LabelColumn != "kind" || !slices.Equal(d.X, []float32{1, 2, 3, 4}) {
		t.Errorf("features %q label %q X %v", d.FeatureNames, d.LabelColumn, d.X)
	}
	_, err = ReadCSV("testdata/iris.csv", "colour")
	wantErr(t, err, "iris.csv", `"colour"`, `"sepal_length_cm"`, `"species"`)
}

func TestReadCSVFeatures(t *testing.T) {
	names := []string{"a", "b", "c"}
	classes := []string{"0", "1", "2"}
	tests := []struct {
		name  string
		csv   string
		label string
		x     []float32
		y     []int
		parts []string // error parts; nil for success
	}{
		{name: "same order with label", csv: "a,b,c,y\n1,2,3,1\n4,5,6,2\n", label: "y", x: []float32{1, 2, 3, 4, 5, 6}, y: []int{1, 2}},
		{name: "reordered without label", csv: "c,a,b\n3,1,2\n", label: "y", x: []float32{1, 2, 3}},
		{name: "numeric label match", csv: "a,b,c,y\n1,2,3,2.0\n", label: "y", x: []float32{1, 2, 3}, y: []int{2}},
		{name: "no label column expected", csv: "a,b,c\n1,2,3\n", label: "", x: []float32{1, 2, 3}},
		{name: "missing feature", csv: "a,c,y\n1,3,0\n", label: "y", parts: []string{"missing feature", `"b"`}},
		{name: "extra column", csv: "a,b,c,d,y\n1,2,3,4,0\n", label: "y", parts: []string{"unexpected column", `"d"`}},
		{name: "label unexpected when none", csv: "a,b,c,y\n1,2,3,0\n", label: "", parts: []string{"unexpected column", `"y"`}},
		{name: "unknown class", csv: "a,b,c,y\n1,2,3,0\n1,2,3,7\n", label: "y", parts: []string{":3:", `"7"`, "not one of the classes"}},
		{name: "non-numeric", csv: "a,b,c\n1,x,3\n", label: "", parts: []string{":2:", `"b"`, `"x"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "new.csv", []byte(tc.csv))
			x, y, err := ReadCSVFeatures(p, names, tc.label, classes)
			if tc.parts != nil {
				wantErr(t, err, append([]string{"new.csv"}, tc.parts...)...)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(x, tc.x) || !slices.Equal(y, tc.y) || (tc.y == nil) != (y == nil) {
				t.Errorf("x %v y %v, want %v %v", x, y, tc.x, tc.y)
			}
		})
	}
}

// csvSample is the header and every step-th data row of a CSV fixture: a
// small seed with the fixture's columns, number formats and several of its
// classes (the fixtures are sorted by class, so their first rows are not).
func csvSample(tb testing.TB, path string, step int) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	out := lines[0]
	for i := 1; i < len(lines); i += step {
		out += lines[i]
	}
	return []byte(out)
}

// FuzzReadCSV reads each input as a training CSV (the label column fuzzed
// too, and the options by the bits of opts: the delimiter, the missing-cell
// rule, whether to ignore a column "id"). A failure must be an error naming
// the file; a success must be a valid dataset of finite values (NaN only
// for missing cells under mean and median) whose classes are its distinct
// labels, and reading the same bytes as new examples with its feature
// names (also in reverse order), label column, classes and options must
// give the same values and labels, since predict relies on that agreement.
func FuzzReadCSV(f *testing.F) {
	for _, b := range [][]byte{
		csvSample(f, "testdata/iris.csv", 25),
		csvSample(f, "testdata/breast_cancer.csv", 100),
		testfile.Gzip(csvSample(f, "testdata/iris.csv", 40)),
		[]byte("a,b,y\n1,2,x\n3,4\n5,6,x\n"),                          // ragged
		[]byte("a,b,y\n1,2,x\n3,4,y,5\n"),                             // ragged, too long
		[]byte("a,b,y\n1,2,x\nNaN,4,y\n"),                             // NaN
		[]byte("a,b,y\n1,-Inf,x\n3,1e39,y\n"),                         // infinite, beyond float32
		[]byte("a,b,y\n1,,x\n3,4,y\n"),                                // empty cell
		[]byte("a,b,y\n1,2,\n3,4,y\n"),                                // empty label
		[]byte(`"a","b,c",y` + "\n\"1\",\"2\",\"x\"\n3,4,\"y\ny\"\n"), // quotes, comma and newline in a field
		[]byte("a,b,y\n1,2\"3,x\n"),                                   // bare quote
		[]byte("\ufeffa,b,y\r\n1,2,x\r\n3,4,y\r\n"),                   // BOM, CRLF
		[]byte("\ufeff\"a\",\"b\",\"y\"\n1,2,x\n3,4,y\n"),             // BOM before a quoted header
		[]byte("\ufeff"),                                              // only a BOM
		[]byte("a, a ,y\n1,2,x\n"),                                    // duplicate column after trimming
		[]byte("a,,y\n1,2,x\n"),                                       // unnamed column
		[]byte("1,2,3\n4,5,6\n"),                                      // no header
		[]byte("a,b,y\n"),                                             // no data rows
		[]byte("a,y\n1,x\n2,x\n"),                                     // one class
		[]byte("a,y\n0x1p-2,10\n 2 ,9\n3,2.5\n1_0,x\n"),               // hex float, spaces, underscore
		[]byte("a,b\x00,y\n1,2,x\n"),                                  // binary
		[]byte("a,b,y\n1,2,\xff\xfe\n"),                               // not UTF-8
		[]byte("a;b;y\n1;2;x\n3;4;y\n"),                               // semicolons read as commas
		[]byte("a;b;y\n1,5;2;x\n"),                                    // decimal comma
		nil,
	} {
		f.Add(b, "", byte(0))
	}
	f.Add(csvSample(f, "testdata/iris.csv", 30), "species", byte(0))
	f.Add([]byte("kind,a,b\nx,1,2\ny,3,4\n"), "kind", byte(0))
	f.Add([]byte("kind,a,b\nx,1,2\ny,3,4\n"), "colour", byte(0))
	// The options: delimiter = opts&3 (comma, semicolon, tab, pipe),
	// missing rule = opts>>2&3 (error, drop, mean, median), opts&16
	// ignores the column "id".
	f.Add([]byte("a;b;y\n1;2;x\n3;4;y\n"), "", byte(1))
	f.Add([]byte("a\tb\ty\n1\t2\tx\n3\t4\ty\n"), "y", byte(2))
	f.Add([]byte("a|b|y\n1|2|x\n3|4|y\n"), "", byte(3))
	f.Add([]byte("a,b,y\n1,,x\nNA,4,y\n5,6,x\n7,8,y\n"), "", byte(1<<2))
	f.Add([]byte("a,b,y\n1,,x\nNA,4,y\nnull,6,x\n7,None,y\n"), "", byte(2<<2))
	f.Add([]byte("a,b,y\n1,,x\n#N/A,4,y\nnan,6,x\n7,n/a,y\n"), "", byte(3<<2))
	f.Add([]byte("a,b,y\n1,n.a.,x\n3,4,y\n"), "", byte(2<<2))
	f.Add([]byte("id,a,b,y\nu1,1,2,x\nu2,3,4,y\n"), "", byte(16))
	f.Add([]byte("\ufeff\"id\";\"a\";\"y\"\nu1;;x\nu2;3;y\nu3;NA;x\n"), "y", byte(16|3<<2|1))
	f.Fuzz(func(t *testing.T, b []byte, labelColumn string, opts byte) {
		const name = "fuzz.csv"
		opt := CSVOptions{LabelColumn: labelColumn, Delimiter: []rune{',', ';', '\t', '|'}[opts&3], Missing: MissingRules()[opts>>2&3]}
		if opts&16 != 0 {
			opt.IgnoreColumns = []string{"id"}
		}
		open := func() io.Reader {
			f, err := memData(b, name)
			if err != nil {
				t.Fatalf("the input opened once: %v", err)
			}
			return f.Reader
		}
		f, err := memData(b, name)
		var d *Dataset
		if err == nil {
			d, err = readCSV(f.Reader, name, opt)
		}
		if err != nil {
			if d != nil || !strings.Contains(err.Error(), name) {
				t.Fatalf("error %q (want one naming %s) came with dataset %v", err, name, d)
			}
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("invalid dataset: %v", err)
		}
		k := len(d.FeatureNames)
		if d.Kind != Tabular || !slices.Equal(d.Shape, []int{k}) || k < 1 || len(d.X) != d.Len()*k || d.Len() < 1 ||
			slices.Contains(d.FeatureNames, d.LabelColumn) || (labelColumn != "" && d.LabelColumn != labelColumn) ||
			slices.Contains(d.FeatureNames, "id") && opt.IgnoreColumns != nil {
			t.Fatalf("kind %s shape %v, %d values, %d labels, features %q, label column %q", d.Kind, d.Shape, len(d.X), d.Len(), d.FeatureNames, d.LabelColumn)
		}
		imputes := opt.Missing.Imputes()
		for i, v := range d.X {
			if math.IsNaN(float64(v)) && !imputes || math.IsInf(float64(v), 0) {
				t.Fatalf("value %d is %v under the rule %s", i, v, opt.Missing)
			}
		}
		if d.MissingAsNaN != imputes || (d.DroppedRows > 0) && opt.Missing != MissingDrop {
			t.Fatalf("MissingAsNaN %v, %d rows dropped under the rule %s", d.MissingAsNaN, d.DroppedRows, opt.Missing)
		}
		used := make([]bool, len(d.Classes))
		for _, y := range d.Y {
			used[y] = true
		}
		if slices.Contains(used, false) || len(d.Classes) != len(indexClasses(d.Classes)) {
			t.Fatalf("classes %q are not the distinct labels (used %v)", d.Classes, used)
		}
		if d.DroppedRows > 0 {
			return // predict refuses the rows training dropped
		}
		feat := func(names []string, label string, classes []string) (*FeatureRows, error) {
			return readFeatureCSV(open(), name, FeatureCSV{FeatureNames: names, LabelColumn: label, Classes: classes,
				Delimiter: opt.Delimiter, Ignored: opt.IgnoreColumns, AllowMissing: imputes})
		}
		rows, err := feat(d.FeatureNames, d.LabelColumn, d.Classes)
		if err != nil || !sameFloats(rows.X, d.X) || !slices.Equal(rows.Y, d.Y) {
			t.Fatalf("as new examples: %v; values equal %v, labels equal %v", err, sameFloats(rows.X, d.X), slices.Equal(rows.Y, d.Y))
		}
		if (rows.IDs != nil) != (rows.IDColumn != "") || rows.IDs != nil && len(rows.IDs) != d.Len() {
			t.Fatalf("%d IDs from column %q for %d rows", len(rows.IDs), rows.IDColumn, d.Len())
		}
		reversed := slices.Clone(d.FeatureNames)
		slices.Reverse(reversed)
		if _, err = feat(reversed, "", nil); err == nil {
			t.Fatalf("the label column %q was accepted as an unexpected column", d.LabelColumn)
		}
		rows, err = feat(reversed, d.LabelColumn, d.Classes)
		if err != nil {
			t.Fatal(err)
		}
		x := rows.X
		for i := range d.Len() {
			for j := range k {
				if math.Float32bits(x[i*k+j]) != math.Float32bits(d.X[i*k+k-1-j]) {
					t.Fatalf("row %d: %v in reversed feature order, want the reverse of %v", i, x[i*k:(i+1)*k], d.Row(i))
				}
			}
		}
	})
}
