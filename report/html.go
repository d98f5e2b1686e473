package report

import (
	"bytes"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/rundir"
)

// HTMLFile is the page every report writes.
const HTMLFile = "report.html"

//go:embed common.html
var commonFS embed.FS

// funcs are the helpers every page's template uses.
func funcs(dir string) template.FuncMap {
	return template.FuncMap{
		"pct":    Pct,
		"f3":     func(v float64) string { return fmt.Sprintf("%.3f", v) },
		"f4":     func(v float64) string { return fmt.Sprintf("%.4f", v) },
		"g":      func(v float64) string { return fmt.Sprintf("%.3g", v) },
		"commas": Commas,
		// img is the whole src attribute of an embedded PNG: as an
		// attribute it is written verbatim (a URL value would have its
		// '+' escaped as &#43;, which browsers decode but plain parsers
		// of the file do not).
		"img": func(name string) (template.HTMLAttr, error) {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				return "", err
			}
			return template.HTMLAttr(`src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(b) + `"`), nil
		},
		"has": func(name string) bool { _, err := os.Stat(filepath.Join(dir, name)); return err == nil },
		"add": func(a, b int) int { return a + b },
		"div": func(a, b int) float64 {
			if b == 0 {
				return 0
			}
			return float64(a) / float64(b)
		},
		"at":      func(v []int, i int) int { return v[i] },
		"version": func() string { return rundir.Version },
		"deref":   func(p *float64) float64 { return *p },
		"shape": func(s []int) string {
			q := make([]string, len(s))
			for i, v := range s {
				q[i] = fmt.Sprint(v)
			}
			return strings.Join(q, "×")
		},
	}
}

// Render executes the template called page, defined in the *.html files
// of pages, with view. Every page shares the templates "head" (takes the
// title), "foot" (takes the time written) and "facts" (a two-column table
// of [2]string rows), and the functions pct, commas, f3, f4, g (number
// formats), img (a PNG of dir embedded as a data URI, so that the page
// loads nothing), has (whether dir holds a file), add, div, at, deref,
// shape and version.
func Render(dir string, pages fs.FS, page string, view any) ([]byte, error) {
	t, err := template.New("").Funcs(funcs(dir)).ParseFS(commonFS, "common.html")
	if err != nil {
		return nil, err
	}
	if t, err = t.ParseFS(pages, "*.html"); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, page, view); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", page, err)
	}
	return buf.Bytes(), nil
}

// Pct formats a fraction as a percentage with one decimal (no decimal for
// exactly 0 and 100).
func Pct(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	switch v {
	case 0:
		return "0%"
	case 1:
		return "100%"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

// Commas writes an integer with thousands separators: 60,000.
func Commas(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Plural returns "1 image" or "2 images" (the count with commas).
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Commas(n) + " " + many
}

// ShellJoin quotes arguments for a shell where needed, so that a report
// shows the command that wrote it as one can paste it.
func ShellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

// JSON is v as every JSON file of a report is written: indented by two
// spaces, with a final newline.
func JSON(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Timestamp is the time a page says it was written, to the second.
func Timestamp() string { return time.Now().Format("2006-01-02 15:04:05 MST") }

// ClassRow is one class's count and share of examples in each split, a
// row of the class-balance tables of the eval and profile pages.
type ClassRow struct {
	Class  string
	Counts []int
	Shares []float64
}

// ClassRows builds the class-balance table: counts[s][k] is the number of
// examples of class k in split s, sizes[s] the split's size.
func ClassRows(classes []string, counts [][]int, sizes []int) []ClassRow {
	rows := make([]ClassRow, len(classes))
	for k, name := range classes {
		rows[k].Class = name
		for s, c := range counts {
			share := 0.0
			if sizes[s] > 0 {
				share = float64(c[k]) / float64(sizes[s])
			}
			rows[k].Counts = append(rows[k].Counts, c[k])
			rows[k].Shares = append(rows[k].Shares, share)
		}
	}
	return rows
}

// Noun is what the pages call a dataset's examples: "images" for images,
// "examples" for tabular data.
func Noun(kind data.Kind) string {
	if kind == data.Image {
		return "images"
	}
	return "examples"
}
