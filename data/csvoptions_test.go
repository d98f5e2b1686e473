package data

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/practica-ml/practica/internal/setting"
)

// sameFloats compares values bit for bit, so that NaN (a missing cell)
// equals NaN.
func sameFloats(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

var nan = float32(math.NaN())

// TestReadCSVWith reads real-world CSV shapes: a byte order mark before
// quoted names, other delimiters, ignored columns and each missing-cell
// rule, checking names, values and labels.
func TestReadCSVWith(t *testing.T) {
	cases := []struct {
		name     string
		csv      string
		opt      CSVOptions
		features []string
		x        []float32
		y        []int
		dropped  int
	}{
		{"BOM before a quoted header", "\xef\xbb\xbf\"a\",\"b\",\"label\"\n1,2,y\n3,4,n\n", CSVOptions{},
			[]string{"a", "b"}, []float32{1, 2, 3, 4}, []int{1, 0}, 0},
		{"BOM before a quoted header, CRLF", "\xef\xbb\xbf\"a\",\"b\",\"label\"\r\n1,2,y\r\n3,4,n\r\n", CSVOptions{LabelColumn: "label"},
			[]string{"a", "b"}, []float32{1, 2, 3, 4}, []int{1, 0}, 0},
		{"BOM before a plain header", "\xef\xbb\xbfa,b,label\n1,2,y\n3,4,n\n", CSVOptions{},
			[]string{"a", "b"}, []float32{1, 2, 3, 4}, []int{1, 0}, 0},
		{"semicolon", "a;b;label\n1;2.5;y\n3;4;n\n", CSVOptions{Delimiter: ';'},
			[]string{"a", "b"}, []float32{1, 2.5, 3, 4}, []int{1, 0}, 0},
		{"tab", "a\tb\tlabel\n1\t2\ty\n3\t4\tn\n", CSVOptions{Delimiter: '\t'},
			[]string{"a", "b"}, []float32{1, 2, 3, 4}, []int{1, 0}, 0},
		{"pipe, a comma inside a name", "a,x|b|label\n1|2|y\n3|4|n\n", CSVOptions{Delimiter: '|'},
			[]string{"a,x", "b"}, []float32{1, 2, 3, 4}, []int{1, 0}, 0},
		{"ignore an ID", "id,a,b,label\nu-1,1,2,y\nu-2,3,4,n\n", CSVOptions{IgnoreColumns: []string{"id"}},
			[]string{"a", "b"}, []float32{1, 2, 3, 4}, []int{1, 0}, 0},
		{"ignore two, label first", "label,id,a,when,b\ny,u-1,1,monday,2\nn,u-2,3,friday,4\n", CSVOptions{LabelColumn: "label", IgnoreColumns: []string{"when", "id"}},
			[]string{"a", "b"}, []float32{1, 2, 3, 4}, []int{1, 0}, 0},
		{"drop", "a,b,label\n1,,y\n3,4,n\nNA,6,y\n7,8,y\n", CSVOptions{Missing: MissingDrop},
			[]string{"a", "b"}, []float32{3, 4, 7, 8}, []int{0, 1}, 2},
		{"mean keeps NaN", "a,b,label\n1,,y\n3,4,n\nnull,6,y\n", CSVOptions{Missing: MissingMean},
			[]string{"a", "b"}, []float32{1, nan, 3, 4, nan, 6}, []int{1, 0, 1}, 0},
		{"median keeps NaN, every token", "a,label\n NA ,y\nn/a,n\nNaN,y\nNULL,n\nNone,y\n#N/A,n\n2,y\n", CSVOptions{Missing: MissingMedian},
			[]string{"a"}, []float32{nan, nan, nan, nan, nan, nan, 2}, []int{1, 0, 1, 0, 1, 0, 1}, 0},
		{"default rule unchanged", "a,b,label\n1,2,y\n3,4,n\n", CSVOptions{Missing: MissingError},
			[]string{"a", "b"}, []float32{1, 2, 3, 4}, []int{1, 0}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := ReadCSVWith(writeFile(t, t.TempDir(), "t.csv", []byte(c.csv)), c.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.FeatureNames, c.features) || !sameFloats(d.X, c.x) || !slices.Equal(d.Y, c.y) || d.DroppedRows != c.dropped {
				t.Errorf("features %q X %v Y %v dropped %d; want %q %v %v %d", d.FeatureNames, d.X, d.Y, d.DroppedRows, c.features, c.x, c.y, c.dropped)
			}
			if d.MissingAsNaN != c.opt.Missing.Imputes() {
				t.Errorf("MissingAsNaN %v with rule %q", d.MissingAsNaN, c.opt.Missing)
			}
		})
	}
}

// TestReadCSVWithErrors checks that each bad file or option is one error
// naming the file, and the config key when an option is at fault.
func TestReadCSVWithErrors(t *testing.T) {
	cases := []struct {
		name string
		csv  string
		opt  CSVOptions
		key  string // the setting.Error key, "" for a plain error
		want string // the whole message, FILE for the path
	}{
		{"semicolon file read as commas", "a;b;label\n1;2;y\n", CSVOptions{}, "data.delimiter",
			`data.delimiter is ',', but FILE seems to use ';': its header "a;b;label" reads as one column; set it to ';'`},
		{"tab file read as commas", "a\tb\tlabel\n1\t2\ty\n", CSVOptions{}, "data.delimiter",
			`data.delimiter is ',', but FILE seems to use "\t" (tab): its header "a\tb\tlabel" reads as one column; set it to "\t" (tab)`},
		{"comma file read as semicolons", "a,b,label\n1,2,y\n", CSVOptions{Delimiter: ';'}, "data.delimiter",
			`data.delimiter is ';', but FILE seems to use ',': its header "a,b,label" reads as one column; set it to ','`},
		{"semicolon file, label named", "a;b;label\n1;2;y\n", CSVOptions{LabelColumn: "label"}, "data.delimiter",
			`data.delimiter is ',', but FILE seems to use ';'`},
		{"one column and no other delimiter", "label\ny\n", CSVOptions{}, "",
			`FILE: only the label column "label"; want at least one feature column besides it`},
		{"decimal comma", "a;b;label\n1,5;2;y\n", CSVOptions{Delimiter: ';'}, "",
			`FILE:2: column "a": value "1,5" is not a number: the decimal separator must be a point`},
		{"ignore an unknown column", "a,b,label\n1,2,y\n", CSVOptions{IgnoreColumns: []string{"id"}}, "data.ignore_columns",
			`data.ignore_columns names "id", which FILE does not have; its columns are: "a", "b", "label"`},
		{"ignore the label", "a,b,label\n1,2,y\n", CSVOptions{IgnoreColumns: []string{"label"}}, "data.ignore_columns",
			`data.ignore_columns names "label", the label column of FILE; ignore only feature columns`},
		{"ignore twice", "a,b,label\n1,2,y\n", CSVOptions{IgnoreColumns: []string{"a", "a"}}, "data.ignore_columns",
			`data.ignore_columns names "a" twice`},
		{"ignore every feature", "a,b,label\n1,2,y\n", CSVOptions{IgnoreColumns: []string{"a", "b"}}, "data.ignore_columns",
			`data.ignore_columns leaves no feature column in FILE: it ignores "a", "b", and "label" is the label`},
		{"empty cell, default rule", "a,b,label\n1,,y\n", CSVOptions{}, "",
			`FILE:2: column "b": empty value, want a number (data.missing decides what to do with missing cells: error, drop, mean or median)`},
		{"NA, default rule", "a,b,label\n1,NA,y\n", CSVOptions{}, "",
			`FILE:2: column "b": value "NA" is not a number (data.missing decides what to do with missing cells: error, drop, mean or median)`},
		{"garbage under mean", "a,b,label\n1,n.a.,y\n", CSVOptions{Missing: MissingMean}, "",
			`FILE:2: column "b": value "n.a." is not a number`},
		{"infinity under median", "a,b,label\n1,inf,y\n", CSVOptions{Missing: MissingMedian}, "",
			`FILE:2: column "b": non-finite value "inf" (NaN, Inf and values beyond float32 range are not allowed)`},
		{"missing label under drop", "a,b,label\n1,2,\n", CSVOptions{Missing: MissingDrop}, "",
			`FILE:2: column "label": empty label`},
		{"every row dropped", "a,b,label\n1,,y\nNA,2,n\n", CSVOptions{Missing: MissingDrop}, "data.missing",
			`data.missing is drop, and every one of the 2 data rows of FILE has a missing feature cell: none is left`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "t.csv", []byte(c.csv))
			d, err := ReadCSVWith(p, c.opt)
			if err == nil {
				t.Fatalf("read %v, want an error", d.X)
			}
			if want := strings.ReplaceAll(c.want, "FILE", p); !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error\n%s\nwant\n%s", err, want)
			}
			var se *setting.Error
			if got := errors.As(err, &se); got != (c.key != "") || (got && se.Key != c.key) {
				t.Errorf("setting error %v (%v), want key %q", got, se, c.key)
			}
		})
	}
}

func TestIsMissingCell(t *testing.T) {
	for s, want := range map[string]bool{
		"": true, "  ": true, "NA": true, "na": true, " N/A ": true, "NaN": true, "nan": true, "NULL": true, "null": true,
		"None": true, "#N/A": true, "#n/a": true,
		"0": false, "-": false, "?": false, "n.a.": false, "missing": false, "inf": false, "-nan": false, "NAN1": false,
	} {
		if got := IsMissingCell(s); got != want {
			t.Errorf("IsMissingCell(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestParseDelimiter(t *testing.T) {
	for s, want := range map[string]rune{"": ',', ",": ',', ";": ';', "\t": '\t', "tab": '\t', `\t`: '\t', "|": '|'} {
		if got, err := ParseDelimiter(s); err != nil || got != want {
			t.Errorf("ParseDelimiter(%q) = %q, %v; want %q", s, got, err, want)
		}
	}
	for _, s := range []string{":", " ", ";;", "comma"} {
		if _, err := ParseDelimiter(s); err == nil || !strings.HasPrefix(err.Error(), "data.delimiter must be") {
			t.Errorf("ParseDelimiter(%q): %v, want a data.delimiter error", s, err)
		}
	}
}

// TestReadFeatureCSV reads new examples as predict does for a model
// trained with options: the training delimiter, ignored columns (the first
// one's cells come back as IDs) and missing cells as NaN.
func TestReadFeatureCSV(t *testing.T) {
	names, classes := []string{"a", "b"}, []string{"n", "y"}
	cases := []struct {
		name  string
		csv   string
		opt   FeatureCSV
		x     []float32
		y     []int
		ids   []string
		parts []string // error parts; nil for success
	}{
		{name: "ids from the first ignored column", csv: "b,id,a,label\n2,u-1,1,y\n4,u-2,3,n\n",
			opt: FeatureCSV{LabelColumn: "label", Ignored: []string{"id", "when"}}, x: []float32{1, 2, 3, 4}, y: []int{1, 0}, ids: []string{"u-1", "u-2"}},
		{name: "ignored columns may be absent", csv: "a,b\n1,2\n",
			opt: FeatureCSV{Ignored: []string{"id"}}, x: []float32{1, 2}},
		{name: "only the second ignored column", csv: "when,a,b\nmonday,1,2\n",
			opt: FeatureCSV{Ignored: []string{"id", "when"}}, x: []float32{1, 2}},
		{name: "semicolons with BOM and quotes", csv: "\xef\xbb\xbf\"a\";\"b\"\n1;2\n",
			opt: FeatureCSV{Delimiter: ';'}, x: []float32{1, 2}},
		{name: "missing as NaN", csv: "a,b\n1,\nNA,2\n",
			opt: FeatureCSV{AllowMissing: true}, x: []float32{1, nan, nan, 2}},
		{name: "missing refused", csv: "a,b\n1,\n",
			opt: FeatureCSV{}, parts: []string{`:2: column "b": missing value "": the model was trained without data.missing mean or median, so it has no value to fill it with`}},
		{name: "garbage refused", csv: "a,b\n1,x\n",
			opt: FeatureCSV{AllowMissing: true}, parts: []string{`:2: column "b": value "x" is not a number`}},
		{name: "an unknown column names the ignored ones", csv: "a,b,zip\n1,2,3\n",
			opt: FeatureCSV{Ignored: []string{"id"}}, parts: []string{`unexpected column(s) "zip"`, `no label column and the columns training ignored ("id")`}},
		{name: "semicolons read as commas", csv: "a;b\n1;2\n",
			opt: FeatureCSV{}, parts: []string{`its header "a;b" reads as one column: the file seems to use ';' as its delimiter, and the model's training data used ','`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opt.FeatureNames, c.opt.Classes = names, classes
			p := writeFile(t, t.TempDir(), "new.csv", []byte(c.csv))
			rows, err := ReadFeatureCSV(p, c.opt)
			if c.parts != nil {
				wantErr(t, err, append([]string{"new.csv"}, c.parts...)...)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !sameFloats(rows.X, c.x) || !slices.Equal(rows.Y, c.y) || !slices.Equal(rows.IDs, c.ids) || (c.ids == nil) != (rows.IDs == nil) {
				t.Errorf("x %v y %v ids %q, want %v %v %q", rows.X, rows.Y, rows.IDs, c.x, c.y, c.ids)
			}
		})
	}
}

// TestOpenRefusesCSVOptionsElsewhere: the CSV options set for another
// source are an error naming the key, not silently ignored.
func TestOpenRefusesCSVOptionsElsewhere(t *testing.T) {
	dir := t.TempDir()
	img := pngBytes(t, greyImage(4, 4, func(x, y int) uint8 { return uint8(x * y) }))
	writeFile(t, dir, "cat/a.png", img)
	writeFile(t, dir, "dog/b.png", img)
	for _, c := range []struct {
		spec string
		opt  OpenOptions
		want string
	}{
		{"digits", OpenOptions{Delimiter: ';'}, `data.delimiter applies to CSV files, and the source "digits" is not one`},
		{"noise:n=50", OpenOptions{IgnoreColumns: []string{"id"}}, `data.ignore_columns applies to CSV files, and the source "noise:n=50" is not one`},
		{dir, OpenOptions{Missing: MissingMean}, `data.missing applies to CSV files, and the source "` + dir + `" is not one`},
	} {
		if _, err := Open(c.spec, c.opt); err == nil || err.Error() != c.want {
			t.Errorf("Open(%s): %v, want %q", c.spec, err, c.want)
		}
	}
	if _, err := Open("digits", OpenOptions{Delimiter: ',', Missing: MissingError}); err != nil {
		t.Errorf("the defaults refused: %v", err)
	}
}
