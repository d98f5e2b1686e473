package report

import (
	"bytes"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/practica-ml/practica/rundir"
)

//go:embed templates/*.html
var templateFS embed.FS

// funcs are the helpers every page's template uses; page adds img.
func funcs(dir string) template.FuncMap {
	return template.FuncMap{
		"pct":    func(v float64) string { return pct(v) },
		"f3":     func(v float64) string { return fmt.Sprintf("%.3f", v) },
		"f4":     func(v float64) string { return fmt.Sprintf("%.4f", v) },
		"g":      func(v float64) string { return fmt.Sprintf("%.3g", v) },
		"commas": commas,
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
		"has": func(name string) bool { return exists(filepath.Join(dir, name)) },
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

// render executes the named page of the templates.
func render(dir, page string, view any) ([]byte, error) {
	t, err := template.New("").Funcs(funcs(dir)).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, page, view); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", page, err)
	}
	return buf.Bytes(), nil
}

// pct formats a fraction as a percentage with one decimal (no decimal for
// exactly 0 and 100).
func pct(v float64) string {
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

// commas writes an integer with thousands separators: 60,000.
func commas(n int) string {
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

// plural returns "1 image" or "2 images".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return commas(n) + " " + many
}

func marshalJSON(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func now() string { return time.Now().Format("2006-01-02 15:04:05 MST") }
