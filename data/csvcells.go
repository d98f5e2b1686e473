package data

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// cellProblem is why ReadCSV rejects a feature cell.
type cellProblem int

const (
	cellOK cellProblem = iota
	// cellEmpty holds nothing but spaces.
	cellEmpty
	// cellNonNumeric is text that is not a number.
	cellNonNumeric
	// cellNaN is "NaN" (any case).
	cellNaN
	// cellInf is an infinity ("inf", "-Infinity") or a number beyond
	// float32 range (1e39).
	cellInf
)

// classifyCell parses one feature cell as ReadCSV does and says what is
// wrong with it, so that the reader and CheckCSVCells agree by
// construction.
func classifyCell(s string) (float32, cellProblem) {
	t := strings.TrimSpace(s)
	// Rounded once, to float32: through float64 a few decimals round
	// twice and land on the wrong float32 (7.038531e-26, the shortest
	// form of one, among them), and a file written from float32 values
	// would not read back exactly.
	v, err := strconv.ParseFloat(t, 32)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		if t == "" {
			return 0, cellEmpty
		}
		return 0, cellNonNumeric
	}
	f := float32(v)
	switch {
	case math.IsNaN(v):
		return 0, cellNaN
	case math.IsInf(float64(f), 0):
		return 0, cellInf
	}
	return f, cellOK
}

// BadCells counts the cells of one feature column of a CSV file that
// ReadCSV rejects, by problem.
type BadCells struct {
	Column     string
	NaN        int
	Inf        int
	Empty      int
	NonNumeric int
	// FirstRow is the first data row holding one, counted from 1 (the
	// row after the header).
	FirstRow int
}

// Total is the number of bad cells.
func (b BadCells) Total() int { return b.NaN + b.Inf + b.Empty + b.NonNumeric }

// CheckCSVCells reads a CSV file as ReadCSVWith does with opt (gzip by
// magic bytes, the same header checks, opt's delimiter, the label column
// opt.LabelColumn or the last, opt.IgnoreColumns left out) and counts,
// per feature column, the cells ReadCSV would reject: empty, non-numeric,
// NaN, infinite. Where ReadCSV stops at the first bad cell, this reads
// every row, so that a data profile can say what a file that does not load
// holds; a ragged row is not an error here (its missing cells are not
// counted, cells beyond the header's columns are ignored). It returns the
// columns with at least one bad cell, in header order.
func CheckCSVCells(path string, opt CSVOptions) ([]BadCells, error) {
	labelColumn := opt.LabelColumn
	f, err := openData(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr, header, err := readCSVHeader(f.Reader, path, opt.delimiter())
	if err != nil {
		return nil, err
	}
	ignored := map[int]bool{}
	for _, name := range opt.IgnoreColumns {
		if j := indexOf(header, name); j >= 0 {
			ignored[j] = true
		}
	}
	label := len(header) - 1
	if labelColumn != "" {
		if label = indexOf(header, labelColumn); label < 0 {
			return nil, fmt.Errorf("%s: no label column %q; the columns are: %s", path, labelColumn, listNames(header))
		}
	}
	cols := make([]BadCells, len(header))
	for j, h := range header {
		cols[j].Column = h
	}
	for row := 1; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, withName(path, err)
		}
		for j, cell := range rec[:min(len(rec), len(cols))] {
			if j == label || ignored[j] {
				continue
			}
			c := &cols[j]
			switch _, problem := classifyCell(cell); problem {
			case cellOK:
				continue
			case cellEmpty:
				c.Empty++
			case cellNonNumeric:
				c.NonNumeric++
			case cellNaN:
				c.NaN++
			case cellInf:
				c.Inf++
			}
			if c.FirstRow == 0 {
				c.FirstRow = row
			}
		}
	}
	var bad []BadCells
	for _, c := range cols {
		if c.Total() > 0 {
			bad = append(bad, c)
		}
	}
	return bad, nil
}
