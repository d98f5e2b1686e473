package data

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// ApplyLabelsFile replaces the labels of d with those of a labels file:
// either one label per line (line i labels example i), or a CSV file whose
// header is "index,label" followed by one row per example, in any order,
// naming every index 0..N-1 exactly once.
//
// Each label is an existing class name of d or a class index. When no
// label is an existing class name and some cannot be read as an index, the
// labels are new classes: Classes is replaced by their distinct values
// (numeric order when all are numbers, else lexical, as for CSV). Only Y
// and possibly Classes change; X is untouched. On error d is unchanged.
func ApplyLabelsFile(d *Dataset, path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if looksBinary(raw[:min(len(raw), 1024)]) {
		return fmt.Errorf("%s: binary content, not a labels file; want one label per line or a CSV with header \"index,label\"", path)
	}
	text := strings.TrimPrefix(string(raw), "\ufeff")
	var labels []string
	var lines []int
	if isIndexLabelHeader(text) {
		labels, lines, err = readIndexedLabels(text, path, d.Len())
	} else {
		labels, lines, err = readLineLabels(text, path, d.Len())
	}
	if err != nil {
		return err
	}
	y, classes, err := resolveLabels(labels, lines, path, d.Classes)
	if err != nil {
		return err
	}
	next := *d
	next.Y, next.Classes = y, classes
	if err := next.Validate(); err != nil {
		return fmt.Errorf("%s: after applying labels: %w", path, err)
	}
	d.Y, d.Classes = y, classes
	return nil
}

// isIndexLabelHeader reports whether text starts with the header
// "index,label" of an indexed labels file.
func isIndexLabelHeader(text string) bool {
	first, _, _ := strings.Cut(text, "\n")
	f := strings.Split(strings.TrimSpace(first), ",")
	return len(f) == 2 && strings.EqualFold(strings.TrimSpace(f[0]), "index") && strings.EqualFold(strings.TrimSpace(f[1]), "label")
}

// readLineLabels reads one label per line; trailing blank lines are
// ignored, other blank lines are errors.
func readLineLabels(text, path string, n int) ([]string, []int, error) {
	all := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for len(all) > 0 && strings.TrimSpace(all[len(all)-1]) == "" {
		all = all[:len(all)-1]
	}
	if len(all) != n {
		return nil, nil, fmt.Errorf("%s: %d labels for %d examples; want exactly one label per example", path, len(all), n)
	}
	labels := make([]string, n)
	lines := make([]int, n)
	for i, l := range all {
		labels[i], lines[i] = strings.TrimSpace(l), i+1
		if labels[i] == "" {
			return nil, nil, fmt.Errorf("%s:%d: empty label", path, i+1)
		}
	}
	return labels, lines, nil
}

// readIndexedLabels reads an "index,label" CSV, ordering labels by index.
func readIndexedLabels(text, path string, n int) ([]string, []int, error) {
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = 2
	if _, err := r.Read(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	var records [][]string
	var at []int
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		records, at = append(records, rec), append(at, line)
	}
	if len(records) != n {
		return nil, nil, fmt.Errorf("%s: %d labels for %d examples; want exactly one row per example", path, len(records), n)
	}
	labels := make([]string, n)
	lines := make([]int, n)
	for k, rec := range records {
		i, err := strconv.Atoi(strings.TrimSpace(rec[0]))
		if err != nil || i < 0 || i >= n {
			return nil, nil, fmt.Errorf("%s:%d: index %q; want an integer in [0, %d)", path, at[k], rec[0], n)
		}
		if lines[i] != 0 {
			return nil, nil, fmt.Errorf("%s:%d: index %d already labelled on line %d", path, at[k], i, lines[i])
		}
		labels[i], lines[i] = strings.TrimSpace(rec[1]), at[k]
		if labels[i] == "" {
			return nil, nil, fmt.Errorf("%s:%d: empty label", path, at[k])
		}
	}
	return labels, lines, nil
}

// resolveLabels maps labels to class indices, or to a new class list when
// no label names an existing class and some are not valid indices.
func resolveLabels(labels []string, lines []int, path string, classes []string) ([]int, []string, error) {
	index := indexClasses(classes)
	y := make([]int, len(labels))
	anyName, firstBad := false, -1
	for i, l := range labels {
		if k, ok := index[l]; ok {
			y[i], anyName = k, true
			continue
		}
		if k, err := strconv.Atoi(l); err == nil && k >= 0 && k < len(classes) {
			y[i] = k
			continue
		}
		if firstBad < 0 {
			firstBad = i
		}
	}
	if firstBad < 0 {
		return y, append([]string(nil), classes...), nil
	}
	if anyName {
		return nil, nil, fmt.Errorf("%s:%d: label %q is neither a class name (%s) nor a class index in [0, %d); use the existing classes throughout, or only new ones", path, lines[firstBad], labels[firstBad], listNames(classes), len(classes))
	}
	next := orderClasses(labels)
	index = indexClasses(next)
	for i, l := range labels {
		y[i] = index[l]
	}
	return y, next, nil
}
