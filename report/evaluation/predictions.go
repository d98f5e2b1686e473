package evaluation

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// predictionsHeader returns predictions.csv's header for these classes:
// index, label, predicted, confidence, then p_<class> per class.
func predictionsHeader(classes []string) []string {
	h := []string{"index", "label", "predicted", "confidence"}
	for _, c := range classes {
		h = append(h, "p_"+c)
	}
	return h
}

// formatPredictions renders predictions.csv: one row per example, its
// index in the split, the actual and predicted class names, the predicted
// class's probability and every class's probability, each number in its
// shortest exact form.
func (e *Result) formatPredictions() []byte {
	classes := e.Metrics.Classes
	c := len(classes)
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(predictionsHeader(classes))
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	row := make([]string, 4+c)
	for i, y := range e.Y {
		p := e.probs[i*c : (i+1)*c]
		row[0], row[1], row[2], row[3] = strconv.Itoa(i), inertCell(classes[y]), inertCell(classes[e.Predicted[i]]), f(p[e.Predicted[i]])
		for k, v := range p {
			row[4+k] = f(v)
		}
		_ = w.Write(row)
	}
	w.Flush()
	return buf.Bytes()
}

// inertCell keeps a spreadsheet from reading a cell of user text (a class
// name) as a formula: a cell that starts with =, +, -, @, a tab or a
// carriage return gets a leading single quote, as OWASP's advice on CSV
// injection has it, and so does one that starts with a quote, so that
// readCell can undo it without ambiguity. The header's cells start with
// "p_" and need none.
func inertCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r'", rune(s[0])) {
		return "'" + s
	}
	return s
}

// readCell undoes inertCell.
func readCell(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r'", rune(s[1])) {
		return s[1:]
	}
	return s
}

// Predictions is predictions.csv read back.
type Predictions struct {
	Classes    []string
	Label      []int
	Predicted  []int
	Confidence []float64
	// Probs is N×C row-major.
	Probs []float64
}

// ReadPredictions parses a predictions.csv written by eval.
func ReadPredictions(path string) (*Predictions, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) < 1 || len(rows[0]) < 6 || strings.Join(rows[0][:4], ",") != "index,label,predicted,confidence" {
		return nil, fmt.Errorf("%s: not an eval predictions.csv", path)
	}
	p := &Predictions{}
	index := map[string]int{}
	for k, h := range rows[0][4:] {
		name := strings.TrimPrefix(h, "p_")
		p.Classes = append(p.Classes, name)
		index[name] = k
	}
	for i, r := range rows[1:] {
		y, ok1 := index[readCell(r[1])]
		pr, ok2 := index[readCell(r[2])]
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%s: line %d: unknown class %q or %q", path, i+2, r[1], r[2])
		}
		conf, err := strconv.ParseFloat(r[3], 64)
		if err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", path, i+2, err)
		}
		p.Label, p.Predicted, p.Confidence = append(p.Label, y), append(p.Predicted, pr), append(p.Confidence, conf)
		for _, s := range r[4:] {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: line %d: %w", path, i+2, err)
			}
			p.Probs = append(p.Probs, v)
		}
	}
	return p, nil
}
