package data

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// ApplyLabelsFile replaces the labels of d with those of a labels file:
// either one label per line (line i labels example i; every example must
// have its line), or a CSV file whose header is "index,label" followed by
// rows in any order, each naming an index in 0..N-1 at most once.
//
// An "index,label" file may name a subset of the examples (partial
// labels, as a labeling session writes them): the examples it names keep
// their labels, in index order, and the others are unlabeled and dropped
// from d, whose Unlabeled counts them. A file naming every example
// leaves X untouched. A file that labels no example, or whose labeled
// examples fall in fewer than two classes, is an error.
//
// Each label is an existing class name of d or a class index. When no
// label is an existing class name and some cannot be read as an index, the
// labels are new classes: Classes is replaced by their distinct values
// (numeric order when all are numbers, else lexical, as for CSV). On error
// d is unchanged.
func ApplyLabelsFile(d *Dataset, path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if looksBinary(raw[:min(len(raw), 1024)]) {
		return fmt.Errorf("%s: binary content, not a labels file; want one label per line or a CSV with header \"index,label\"", path)
	}
	text := strings.TrimPrefix(string(raw), "\ufeff")
	if strings.TrimSpace(text) == "" {
		return fmt.Errorf("%s: empty, no example is labeled; want one label per line or a CSV with header \"index,label\"", path)
	}
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
	// keep are the labeled examples, ascending; the labels and their
	// lines are compacted to them.
	var keep []int
	for i, l := range lines {
		if l != 0 {
			keep = append(keep, i)
		}
	}
	if len(keep) < len(labels) {
		for j, i := range keep {
			labels[j], lines[j] = labels[i], lines[i]
		}
		labels, lines = labels[:len(keep)], lines[:len(keep)]
	}
	y, classes, err := resolveLabels(labels, lines, path, d.Classes)
	if err != nil {
		return err
	}
	if err := twoClasses(y, classes, path); err != nil {
		return err
	}
	next := *d
	if len(keep) < d.Len() {
		next = *d.Subset(keep)
		next.DroppedRows, next.Unlabeled = d.DroppedRows, d.Len()-len(keep)
	}
	next.Y, next.Classes = y, classes
	if err := next.Validate(); err != nil {
		return fmt.Errorf("%s: after applying labels: %w", path, err)
	}
	*d = next
	return nil
}

// twoClasses refuses labels that fall in fewer than two classes: no model
// can be trained on them.
func twoClasses(y []int, classes []string, path string) error {
	var seen []int
	for _, k := range y {
		if !slices.Contains(seen, k) {
			if seen = append(seen, k); len(seen) == 2 {
				return nil
			}
		}
	}
	return fmt.Errorf("%s: the %d labeled examples are all of 1 class (%q); training needs examples of at least 2 classes", path, len(y), classes[seen[0]])
}

// isIndexLabelHeader reports whether text starts with the header
// "index,label" of an indexed labels file.
func isIndexLabelHeader(text string) bool {
	first, _, _ := strings.Cut(text, "\n")
	f := strings.Split(strings.TrimSpace(first), ",")
	return len(f) == 2 && strings.EqualFold(strings.TrimSpace(f[0]), "index") && strings.EqualFold(strings.TrimSpace(f[1]), "label")
}

// readLineLabels reads one label per line; trailing blank lines are
// ignored, other blank lines are errors. lines[i] is the line of example
// i's label.
func readLineLabels(text, path string, n int) ([]string, []int, error) {
	all := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for len(all) > 0 && strings.TrimSpace(all[len(all)-1]) == "" {
		all = all[:len(all)-1]
	}
	if len(all) != n {
		return nil, nil, fmt.Errorf("%s: %d labels for %d examples; want exactly one label per line for every example (or a CSV with header \"index,label\", which may label some of them)", path, len(all), n)
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

// readIndexedLabels reads an "index,label" CSV, ordering labels by index:
// labels[i] and lines[i] are example i's label and the line it is on, or
// "" and 0 when the file does not label it.
func readIndexedLabels(text, path string, n int) ([]string, []int, error) {
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = 2
	if _, err := r.Read(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	labels := make([]string, n)
	lines := make([]int, n)
	rows := 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		i, err := strconv.Atoi(strings.TrimSpace(rec[0]))
		if err != nil || i < 0 || i >= n {
			return nil, nil, fmt.Errorf("%s:%d: index %q; want an integer in [0, %d)", path, line, rec[0], n)
		}
		if lines[i] != 0 {
			return nil, nil, fmt.Errorf("%s:%d: index %d already labelled on line %d", path, line, i, lines[i])
		}
		labels[i], lines[i] = strings.TrimSpace(rec[1]), line
		if labels[i] == "" {
			return nil, nil, fmt.Errorf("%s:%d: empty label", path, line)
		}
		rows++
	}
	if rows == 0 {
		return nil, nil, fmt.Errorf("%s: no example is labeled: the header \"index,label\" has no row under it", path)
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
