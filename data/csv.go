package data

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/practica-ml/practica/internal/setting"
)

// ReadCSV reads a tabular dataset from a CSV file (gzipped or not: gzip is
// detected by its magic bytes). The first row must name the columns. The
// label column is labelColumn, or the last column when labelColumn is "";
// every other column is a numeric feature, kept in header order. Class
// names are the distinct labels in numeric order when every label is a
// number ("0", "1", "2.5"), else in lexical order.
//
// Errors name the file and, for a bad row, its line, the column and the
// value: ragged rows, non-numeric values and non-finite values (NaN, Inf,
// or beyond float32 range) are all rejected.
func ReadCSV(path, labelColumn string) (*Dataset, error) {
	return ReadCSVWith(path, CSVOptions{LabelColumn: labelColumn})
}

// ReadCSVWith is ReadCSV with the options of a real file: its delimiter,
// columns to leave out of the features, and the rule for missing cells.
// Under MissingMean and MissingMedian a missing cell is NaN in X and the
// dataset's MissingAsNaN is set, until an Imputation fills it.
func ReadCSVWith(path string, opt CSVOptions) (*Dataset, error) {
	f, err := openData(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readCSV(f.Reader, path, opt)
}

// readCSV is ReadCSVWith on an opened stream; name is used in messages and
// as the Source of the dataset.
func readCSV(r io.Reader, name string, opt CSVOptions) (*Dataset, error) {
	delim := opt.delimiter()
	cr, header, err := readCSVHeader(r, name, delim)
	if err != nil {
		return nil, err
	}
	label := len(header) - 1
	if opt.LabelColumn != "" {
		if label = indexOf(header, opt.LabelColumn); label < 0 {
			if len(header) == 1 {
				return nil, oneColumnError(name, header, delim, fmt.Sprintf("no label column %q; the only column is %q", opt.LabelColumn, header[0]))
			}
			return nil, fmt.Errorf("%s: no label column %q; the columns are: %s", name, opt.LabelColumn, listNames(header))
		}
	}
	if len(header) < 2 {
		return nil, oneColumnError(name, header, delim, fmt.Sprintf("only the label column %q; want at least one feature column besides it", header[label]))
	}
	ignored, err := ignoredColumns(name, header, label, opt.IgnoreColumns)
	if err != nil {
		return nil, err
	}
	var cols []int
	for j := range header {
		if j != label && !ignored[j] {
			cols = append(cols, j)
		}
	}
	if len(cols) == 0 {
		return nil, setting.Errorf("data.ignore_columns", "leaves no feature column in %s: it ignores %s, and %q is the label", name, listNames(opt.IgnoreColumns), header[label])
	}
	rows, err := readCSVRows(cr, name, header, cols, label, opt.missing())
	if err != nil {
		return nil, err
	}
	classes := orderClasses(rows.labels)
	index := indexClasses(classes)
	y := make([]int, len(rows.labels))
	for i, l := range rows.labels {
		y[i] = index[l]
	}
	names := make([]string, len(cols))
	for k, j := range cols {
		names[k] = header[j]
	}
	d := &Dataset{
		Source:       name,
		Kind:         Tabular,
		Shape:        []int{len(cols)},
		X:            rows.x,
		Y:            y,
		Classes:      classes,
		FeatureNames: names,
		LabelColumn:  header[label],
		MissingAsNaN: opt.missing().Imputes(),
		DroppedRows:  rows.dropped,
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// ignoredColumns maps the header positions of the columns to ignore,
// refusing a name the header lacks, the label column and a repeat.
func ignoredColumns(name string, header []string, label int, names []string) (map[int]bool, error) {
	ignored := make(map[int]bool, len(names))
	for _, n := range names {
		j := indexOf(header, strings.TrimSpace(n))
		switch {
		case j < 0:
			return nil, setting.Errorf("data.ignore_columns", "names %q, which %s does not have; its columns are: %s", n, name, listNames(header))
		case j == label:
			return nil, setting.Errorf("data.ignore_columns", "names %q, the label column of %s; ignore only feature columns", n, name)
		case ignored[j]:
			return nil, setting.Errorf("data.ignore_columns", "names %q twice", n)
		}
		ignored[j] = true
	}
	return ignored, nil
}

// ReadCSVFeatures reads a CSV file of new examples for prediction. Its
// header must hold every name of featureNames (in any order; x is laid out
// in the order of featureNames) and may hold the label column labelColumn;
// any other column is an error naming it, as is a missing feature. y is nil
// when labelColumn is "" or absent from the header, else the labels mapped
// to classes (an exact name, or a number equal to a numeric class name).
func ReadCSVFeatures(path string, featureNames []string, labelColumn string, classes []string) (x []float32, y []int, err error) {
	rows, err := ReadFeatureCSV(path, FeatureCSV{FeatureNames: featureNames, LabelColumn: labelColumn, Classes: classes})
	if err != nil {
		return nil, nil, err
	}
	return rows.X, rows.Y, nil
}

// ReadCSVFeaturesFrom is ReadCSVFeatures on a stream (standard input in a
// shell pipeline), plain or gzipped; name stands for it in messages.
func ReadCSVFeaturesFrom(r io.Reader, name string, featureNames []string, labelColumn string, classes []string) (x []float32, y []int, err error) {
	rows, err := ReadFeatureCSVFrom(r, name, FeatureCSV{FeatureNames: featureNames, LabelColumn: labelColumn, Classes: classes})
	if err != nil {
		return nil, nil, err
	}
	return rows.X, rows.Y, nil
}

// FeatureCSV says how to read a CSV of new examples: what ReadCSVFeatures
// takes, and the options training read its CSV with.
type FeatureCSV struct {
	FeatureNames []string
	LabelColumn  string
	Classes      []string
	// Delimiter separates fields; 0 means a comma.
	Delimiter rune
	// Ignored are columns training left out of the features: each may be
	// in the header, and the first one's cells are returned as IDs.
	Ignored []string
	// AllowMissing reads missing cells (IsMissingCell) as NaN, for a model
	// that fills them; else they are errors.
	AllowMissing bool
}

// FeatureRows are the rows ReadFeatureCSV read.
type FeatureRows struct {
	// X holds the features in the order of FeatureNames.
	X []float32
	// Y is nil when the label column is absent.
	Y []int
	// IDs are the cells of the first ignored column, nil when the file
	// does not have it.
	IDs []string
	// IDColumn names the column IDs come from.
	IDColumn string
}

// ReadFeatureCSV reads a CSV file of new examples with the options of opt.
func ReadFeatureCSV(path string, opt FeatureCSV) (*FeatureRows, error) {
	f, err := openData(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readFeatureCSV(f.Reader, path, opt)
}

// ReadFeatureCSVFrom is ReadFeatureCSV on a stream, plain or gzipped; name
// stands for it in messages.
func ReadFeatureCSVFrom(r io.Reader, name string, opt FeatureCSV) (*FeatureRows, error) {
	r, gz, err := maybeGunzip(r, name)
	if err != nil {
		return nil, err
	}
	if gz != nil {
		defer gz.Close()
	}
	return readFeatureCSV(r, name, opt)
}

// readCSVFeatures is ReadCSVFeatures on an opened stream; path is used in
// messages.
func readCSVFeatures(r io.Reader, path string, featureNames []string, labelColumn string, classes []string) (x []float32, y []int, err error) {
	rows, err := readFeatureCSV(r, path, FeatureCSV{FeatureNames: featureNames, LabelColumn: labelColumn, Classes: classes})
	if err != nil {
		return nil, nil, err
	}
	return rows.X, rows.Y, nil
}

// readFeatureCSV is ReadFeatureCSV on an opened stream; path is used in
// messages.
func readFeatureCSV(r io.Reader, path string, opt FeatureCSV) (*FeatureRows, error) {
	delim := opt.Delimiter
	if delim == 0 {
		delim = ','
	}
	featureNames, labelColumn := opt.FeatureNames, opt.LabelColumn
	cr, header, err := readCSVHeader(r, path, delim)
	if err != nil {
		return nil, err
	}
	pos := make(map[string]int, len(header))
	for j, h := range header {
		pos[h] = j
	}
	label := -1
	if labelColumn != "" {
		if j, ok := pos[labelColumn]; ok {
			label = j
		}
	}
	want := make(map[string]bool, len(featureNames))
	for _, n := range opt.Ignored {
		want[n] = true
	}
	cols := make([]int, len(featureNames))
	var missing, extra []string
	for k, name := range featureNames {
		want[name] = true
		j, ok := pos[name]
		if !ok {
			missing = append(missing, name)
		}
		cols[k] = j
	}
	for j, h := range header {
		if !want[h] && j != label {
			extra = append(extra, h)
		}
	}
	if len(missing) > 0 {
		if d := delimiterHint(header, delim); d != 0 {
			return nil, fmt.Errorf("%s: its header %q reads as one column: the file seems to use %s as its delimiter, and the model's training data used %s", path, header[0], delimiterName(d), delimiterName(delim))
		}
		return nil, fmt.Errorf("%s: missing feature column(s) %s; the model expects: %s", path, listNames(missing), listNames(featureNames))
	}
	if len(extra) > 0 {
		hint := "no label column"
		if labelColumn != "" {
			hint = fmt.Sprintf("the label column %q", labelColumn)
		}
		if len(opt.Ignored) > 0 {
			hint += fmt.Sprintf(" and the columns training ignored (%s)", listNames(opt.Ignored))
		}
		return nil, fmt.Errorf("%s: unexpected column(s) %s; besides the %d features the model expects only %s", path, listNames(extra), len(featureNames), hint)
	}
	rule := missingRefused
	if opt.AllowMissing {
		rule = MissingMean // read as NaN; the model's imputation fills them
	}
	out := &FeatureRows{}
	id := -1
	if len(opt.Ignored) > 0 {
		if j, ok := pos[opt.Ignored[0]]; ok {
			id, out.IDColumn = j, opt.Ignored[0]
		}
	}
	rows, err := readCSVRowsWith(cr, path, header, cols, label, rule, id)
	if err != nil {
		return nil, err
	}
	out.X, out.IDs = rows.x, rows.ids
	if label < 0 {
		return out, nil
	}
	if out.Y, err = mapLabels(rows, path, header[label], opt.Classes); err != nil {
		return nil, err
	}
	return out, nil
}

// mapLabels maps the text labels of rows to indices into classes.
func mapLabels(rows *csvRows, path, column string, classes []string) ([]int, error) {
	index := indexClasses(classes)
	numeric := make(map[float64]int)
	for i, c := range classes {
		if v, ok := parseNumber(c); ok {
			numeric[v] = i
		}
	}
	y := make([]int, len(rows.labels))
	for i, l := range rows.labels {
		k, ok := index[l]
		if !ok {
			if v, isNum := parseNumber(l); isNum {
				k, ok = numeric[v]
			}
		}
		if !ok {
			return nil, fmt.Errorf("%s:%d: column %q: label %q is not one of the classes %s", path, rows.lines[i], column, l, listNames(classes))
		}
		y[i] = k
	}
	return y, nil
}

// csvRows are the parsed data rows of a CSV file.
type csvRows struct {
	x      []float32
	labels []string
	lines  []int
	// ids are the cells of the ID column, when one was asked for.
	ids []string
	// dropped counts the rows MissingDrop left out.
	dropped int
}

// readCSVHeader checks that r looks like CSV text and reads its header row,
// its fields separated by delim.
func readCSVHeader(r io.Reader, name string, delim rune) (*csv.Reader, []string, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(1024)
	if len(head) == 0 {
		if err != nil && err != io.EOF {
			return nil, nil, withName(name, err)
		}
		return nil, nil, fmt.Errorf("%s: empty file; want CSV text with a header row naming the columns", name)
	}
	if looksBinary(head) {
		return nil, nil, fmt.Errorf("%s: binary content (or text not in UTF-8), not a CSV text file; want comma-separated text with a header row naming the columns", name)
	}
	// Excel and pandas (utf-8-sig) start a file with a byte order mark.
	// Drop it before the CSV reader sees it: in front of a quoted field
	// ("\ufeff\"a\"") it would make the quote a bare one, an error.
	if bytes.HasPrefix(head, utf8BOM) {
		if len(head) == len(utf8BOM) {
			return nil, nil, fmt.Errorf("%s: empty file (only a byte order mark); want CSV text with a header row naming the columns", name)
		}
		br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(br)
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: reading the header row: %w", name, pathCause(err))
	}
	seen := make(map[string]int, len(header))
	numeric := true
	for j := range header {
		header[j] = strings.TrimSpace(header[j])
		h := header[j]
		if h == "" {
			return nil, nil, fmt.Errorf("%s: header row: column %d has no name", name, j+1)
		}
		if k, dup := seen[h]; dup {
			return nil, nil, fmt.Errorf("%s: header row: columns %d and %d are both named %q", name, k+1, j+1, h)
		}
		seen[h] = j
		if _, err := strconv.ParseFloat(h, 64); err != nil {
			numeric = false
		}
	}
	if numeric {
		return nil, nil, fmt.Errorf("%s: no header row: line 1 holds only numbers (%s); the first line must name the columns", name, listNames(header))
	}
	return cr, header, nil
}

// utf8BOM is the UTF-8 encoding of U+FEFF, the byte order mark.
var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// readCSVRows reads the data rows, taking the features at header columns
// cols (in that order) and the text label at column label (none if < 0).
func readCSVRows(cr *csv.Reader, name string, header []string, cols []int, label int, rule Missing) (*csvRows, error) {
	return readCSVRowsWith(cr, name, header, cols, label, rule, -1)
}

// readCSVRowsWith is readCSVRows that also keeps the cells of column id
// (none if < 0). Missing feature cells follow rule: an error, the row
// dropped, or NaN in x.
func readCSVRowsWith(cr *csv.Reader, name string, header []string, cols []int, label int, rule Missing, id int) (*csvRows, error) {
	rows := &csvRows{}
	sep := cr.Comma
	read := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, withName(name, err)
		}
		read++
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return nil, fmt.Errorf("%s:%d: ragged row: %d fields, expected %d as in the header", name, line, len(rec), len(header))
		}
		start := len(rows.x)
		drop := false
		for _, j := range cols {
			v, err := parseFeature(rec[j], rule, sep)
			if errors.Is(err, errDropRow) {
				drop = true
				break
			}
			if err != nil {
				return nil, fmt.Errorf("%s:%d: column %q: %w", name, line, header[j], err)
			}
			rows.x = append(rows.x, v)
		}
		if drop {
			rows.x = rows.x[:start]
			rows.dropped++
			continue
		}
		if label >= 0 {
			l := strings.TrimSpace(rec[label])
			if l == "" {
				return nil, fmt.Errorf("%s:%d: column %q: empty label", name, line, header[label])
			}
			rows.labels = append(rows.labels, l)
		}
		if id >= 0 {
			rows.ids = append(rows.ids, strings.TrimSpace(rec[id]))
		}
		rows.lines = append(rows.lines, line)
	}
	if len(rows.lines) == 0 {
		if rows.dropped > 0 {
			return nil, setting.Errorf("data.missing", "is drop, and every one of the %d data rows of %s has a missing feature cell: none is left", rows.dropped, name)
		}
		return nil, fmt.Errorf("%s: a header row but no data rows", name)
	}
	return rows, nil
}

// missingRefused is the rule of new examples for a model that fills no
// missing cell: an error that says so, rather than one pointing at a
// setting of training.
const missingRefused Missing = "refused"

// errDropRow tells readCSVRows to drop the row (MissingDrop).
var errDropRow = errors.New("drop the row")

// parseFeature parses one finite float32 feature value; a missing cell is
// an error, errDropRow or NaN, by rule. sep is the file's delimiter, for
// the hint on a decimal comma.
func parseFeature(s string, rule Missing, sep rune) (float32, error) {
	if rule == missingRefused && IsMissingCell(s) {
		return 0, fmt.Errorf("missing value %q: the model was trained without data.missing mean or median, so it has no value to fill it with", s)
	}
	if rule != MissingError && IsMissingCell(s) {
		if rule == MissingDrop {
			return 0, errDropRow
		}
		return float32(math.NaN()), nil
	}
	f, bad := classifyCell(s)
	switch bad {
	case cellEmpty:
		return 0, fmt.Errorf("empty value, want a number (data.missing decides what to do with missing cells: error, drop, mean or median)")
	case cellNonNumeric:
		if IsMissingCell(s) {
			return 0, fmt.Errorf("value %q is not a number (data.missing decides what to do with missing cells: error, drop, mean or median)", s)
		}
		if sep != ',' && decimalComma(s) {
			return 0, fmt.Errorf("value %q is not a number: the decimal separator must be a point", s)
		}
		return 0, fmt.Errorf("value %q is not a number", s)
	case cellNaN:
		return 0, fmt.Errorf("non-finite value %q (NaN, Inf and values beyond float32 range are not allowed; data.missing can treat NaN as a missing cell)", s)
	case cellInf:
		return 0, fmt.Errorf("non-finite value %q (NaN, Inf and values beyond float32 range are not allowed)", s)
	}
	return f, nil
}

// decimalComma reports whether s would be a number with its one comma
// read as a decimal point ("1,5"), as spreadsheets write numbers in many
// locales.
func decimalComma(s string) bool {
	t := strings.TrimSpace(s)
	if strings.Count(t, ",") != 1 {
		return false
	}
	_, ok := parseNumber(strings.Replace(t, ",", ".", 1))
	return ok
}

// indexOf returns the position of s in list, or -1.
func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// listNames quotes names for a message, eliding the middle of long lists.
func listNames(names []string) string {
	const most = 30
	q := make([]string, 0, min(len(names), most+1))
	for i, n := range names {
		if i == most-1 && len(names) > most {
			q = append(q, fmt.Sprintf("... (%d more)", len(names)-most), strconv.Quote(names[len(names)-1]))
			break
		}
		q = append(q, strconv.Quote(n))
	}
	return strings.Join(q, ", ")
}
