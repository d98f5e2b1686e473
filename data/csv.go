package data

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
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
	f, err := openData(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readCSV(f.Reader, path, labelColumn)
}

// readCSV is ReadCSV on an opened stream; name is used in messages and as
// the Source of the dataset.
func readCSV(r io.Reader, name, labelColumn string) (*Dataset, error) {
	cr, header, err := readCSVHeader(r, name)
	if err != nil {
		return nil, err
	}
	label := len(header) - 1
	if labelColumn != "" {
		if label = indexOf(header, labelColumn); label < 0 {
			return nil, fmt.Errorf("%s: no label column %q; the columns are: %s", name, labelColumn, listNames(header))
		}
	}
	if len(header) < 2 {
		return nil, fmt.Errorf("%s: only the label column %q; want at least one feature column besides it", name, header[label])
	}
	var cols []int
	for j := range header {
		if j != label {
			cols = append(cols, j)
		}
	}
	rows, err := readCSVRows(cr, name, header, cols, label)
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
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// ReadCSVFeatures reads a CSV file of new examples for prediction. Its
// header must hold every name of featureNames (in any order; x is laid out
// in the order of featureNames) and may hold the label column labelColumn;
// any other column is an error naming it, as is a missing feature. y is nil
// when labelColumn is "" or absent from the header, else the labels mapped
// to classes (an exact name, or a number equal to a numeric class name).
func ReadCSVFeatures(path string, featureNames []string, labelColumn string, classes []string) (x []float32, y []int, err error) {
	f, err := openData(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return readCSVFeatures(f.Reader, path, featureNames, labelColumn, classes)
}

// ReadCSVFeaturesFrom is ReadCSVFeatures on a stream (standard input in a
// shell pipeline), plain or gzipped; name stands for it in messages.
func ReadCSVFeaturesFrom(r io.Reader, name string, featureNames []string, labelColumn string, classes []string) (x []float32, y []int, err error) {
	r, gz, err := maybeGunzip(r, name)
	if err != nil {
		return nil, nil, err
	}
	if gz != nil {
		defer gz.Close()
	}
	return readCSVFeatures(r, name, featureNames, labelColumn, classes)
}

// readCSVFeatures is ReadCSVFeatures on an opened stream; path is used in
// messages.
func readCSVFeatures(r io.Reader, path string, featureNames []string, labelColumn string, classes []string) (x []float32, y []int, err error) {
	cr, header, err := readCSVHeader(r, path)
	if err != nil {
		return nil, nil, err
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
		return nil, nil, fmt.Errorf("%s: missing feature column(s) %s; the model expects: %s", path, listNames(missing), listNames(featureNames))
	}
	if len(extra) > 0 {
		hint := "no label column"
		if labelColumn != "" {
			hint = fmt.Sprintf("the label column %q", labelColumn)
		}
		return nil, nil, fmt.Errorf("%s: unexpected column(s) %s; besides the %d features the model expects only %s", path, listNames(extra), len(featureNames), hint)
	}
	rows, err := readCSVRows(cr, path, header, cols, label)
	if err != nil {
		return nil, nil, err
	}
	if label < 0 {
		return rows.x, nil, nil
	}
	y, err = mapLabels(rows, path, header[label], classes)
	if err != nil {
		return nil, nil, err
	}
	return rows.x, y, nil
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
}

// readCSVHeader checks that r looks like CSV text and reads its header row.
func readCSVHeader(r io.Reader, name string) (*csv.Reader, []string, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(1024)
	if len(head) == 0 {
		if err != nil && err != io.EOF {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		return nil, nil, fmt.Errorf("%s: empty file; want CSV text with a header row naming the columns", name)
	}
	if looksBinary(head) {
		return nil, nil, fmt.Errorf("%s: binary content (or text not in UTF-8), not a CSV text file; want comma-separated text with a header row naming the columns", name)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: reading the header row: %w", name, err)
	}
	header[0] = strings.TrimPrefix(header[0], "\ufeff")
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

// readCSVRows reads the data rows, taking the features at header columns
// cols (in that order) and the text label at column label (none if < 0).
func readCSVRows(cr *csv.Reader, name string, header []string, cols []int, label int) (*csvRows, error) {
	rows := &csvRows{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return nil, fmt.Errorf("%s:%d: ragged row: %d fields, expected %d as in the header", name, line, len(rec), len(header))
		}
		for _, j := range cols {
			v, err := parseFeature(rec[j])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: column %q: %w", name, line, header[j], err)
			}
			rows.x = append(rows.x, v)
		}
		if label >= 0 {
			l := strings.TrimSpace(rec[label])
			if l == "" {
				return nil, fmt.Errorf("%s:%d: column %q: empty label", name, line, header[label])
			}
			rows.labels = append(rows.labels, l)
		}
		rows.lines = append(rows.lines, line)
	}
	if len(rows.lines) == 0 {
		return nil, fmt.Errorf("%s: a header row but no data rows", name)
	}
	return rows, nil
}

// parseFeature parses one finite float32 feature value.
func parseFeature(s string) (float32, error) {
	f, bad := classifyCell(s)
	switch bad {
	case cellEmpty:
		return 0, fmt.Errorf("empty value, want a number")
	case cellNonNumeric:
		return 0, fmt.Errorf("value %q is not a number", s)
	case cellNaN, cellInf:
		return 0, fmt.Errorf("non-finite value %q (NaN, Inf and values beyond float32 range are not allowed)", s)
	}
	return f, nil
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
