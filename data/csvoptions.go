package data

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/practica-ml/practica/internal/setting"
)

// Missing is the rule for feature cells a CSV leaves missing (see
// IsMissingCell): refuse them, drop their rows, or fill them with a
// statistic of the training split.
type Missing string

const (
	// MissingError refuses a missing cell, naming its line and column.
	MissingError Missing = "error"
	// MissingDrop drops every row with a missing feature cell when the
	// file is read, before the split.
	MissingDrop Missing = "drop"
	// MissingMean and MissingMedian keep missing cells as NaN until an
	// Imputation fitted on the training split fills them.
	MissingMean   Missing = "mean"
	MissingMedian Missing = "median"
)

// MissingRules are the values of Missing, in the order messages list them.
func MissingRules() []Missing {
	return []Missing{MissingError, MissingDrop, MissingMean, MissingMedian}
}

// Imputes reports whether the rule fills missing cells (mean, median).
func (m Missing) Imputes() bool { return m == MissingMean || m == MissingMedian }

// missingTokens are the cell texts, besides an empty cell, that mean "no
// value" in the files people have: R and pandas write NA and NaN, JSON and
// databases null, Python None, Excel #N/A. Compared case-insensitively
// after trimming spaces. Anything else that is not a number stays an
// error whatever the rule, so that a typo is never silently imputed.
var missingTokens = []string{"na", "n/a", "nan", "null", "none", "#n/a"}

// IsMissingCell reports whether a feature cell counts as missing: empty
// (or only spaces), or one of NA, N/A, NaN, null, None, #N/A in any case.
func IsMissingCell(s string) bool {
	t := strings.TrimSpace(s)
	if t == "" {
		return true
	}
	for _, m := range missingTokens {
		if strings.EqualFold(t, m) {
			return true
		}
	}
	return false
}

// Delimiters are the field separators a CSV may use, as data.delimiter
// spells them: comma, semicolon, tab (written "\t" or "tab") and pipe.
func Delimiters() []string { return []string{",", ";", "\t", "|"} }

// ParseDelimiter turns a data.delimiter value into the rune the CSV reader
// splits on: "" (the default) and "," are a comma, "tab" is a tab.
func ParseDelimiter(s string) (rune, error) {
	switch s {
	case "", ",":
		return ',', nil
	case ";":
		return ';', nil
	case "\t", "tab", `\t`:
		return '\t', nil
	case "|":
		return '|', nil
	}
	return 0, setting.Errorf("data.delimiter", `must be ",", ";", "\t" (or "tab") or "|", got %q`, s)
}

// delimiterName is how messages show a delimiter.
func delimiterName(r rune) string {
	if r == '\t' {
		return `"\t" (tab)`
	}
	return strconv.QuoteRune(r)
}

// CSVOptions are how ReadCSVWith reads a training CSV.
type CSVOptions struct {
	// LabelColumn is the label column; "" means the last.
	LabelColumn string
	// Delimiter separates fields; 0 means a comma.
	Delimiter rune
	// IgnoreColumns are columns left out of the features (an ID, a
	// timestamp); their cells are not parsed. Each must be in the header
	// and none may be the label column.
	IgnoreColumns []string
	// Missing is the rule for missing feature cells; "" means
	// MissingError. A missing label is an error under every rule.
	Missing Missing
}

func (o CSVOptions) delimiter() rune {
	if o.Delimiter == 0 {
		return ','
	}
	return o.Delimiter
}

func (o CSVOptions) missing() Missing {
	if o.Missing == "" {
		return MissingError
	}
	return o.Missing
}

// delimiterHint says which delimiter a file seems to use when its header,
// split on delim, is one column that holds another delimiter: the usual
// sign of a semicolon- or tab-separated file read as comma-separated. It
// returns "" when nothing suggests another delimiter.
func delimiterHint(header []string, delim rune) rune {
	if len(header) != 1 {
		return 0
	}
	best, most := rune(0), 0
	for _, d := range []rune{';', '\t', '|', ','} {
		if d == delim {
			continue
		}
		if n := strings.Count(header[0], string(d)); n > most {
			best, most = d, n
		}
	}
	return best
}

// oneColumnError is the error for a header that reads as a single column:
// with another delimiter in it, an error naming data.delimiter and the
// delimiter the file seems to use; else the plain message.
func oneColumnError(name string, header []string, delim rune, plain string) error {
	d := delimiterHint(header, delim)
	if d == 0 {
		return fmt.Errorf("%s: %s", name, plain)
	}
	return setting.Errorf("data.delimiter", "is %s, but %s seems to use %s: its header %q reads as one column; set it to %s",
		delimiterName(delim), name, delimiterName(d), header[0], delimiterName(d))
}
