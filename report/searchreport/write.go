package searchreport

import (
	"embed"
	"fmt"
	"math"
	"path/filepath"
	"strconv"

	"github.com/practica-ml/practica/internal/atomicfile"
	"github.com/practica-ml/practica/report"
	"github.com/practica-ml/practica/search"
)

// The figures Write makes.
const (
	ScatterFile  = "search_params.png"
	ParallelFile = "search_parallel.png"
	CurvesFile   = "search_curves.png"
)

//go:embed search.html
var page embed.FS

// ParamImportance is one parameter's share of the metric's variance.
type ParamImportance struct {
	Key, Kind string
	Share     float64
}

// ImportanceMethod says how Importances computes.
const ImportanceMethod = "Importance is the correlation ratio η²: the trials are grouped by the parameter " +
	"(a choice by its value; a number into up to 4 bins of equal counts, by rank), and the share is the " +
	"between-group sum of squares of the metric over its total sum of squares. Parameters sampled together " +
	"share variance, so the shares need not add up to 100%; with few trials they are rough."

// Importances is every parameter's share of the metric's variance over
// the trials with a metric (for halving, the metric after the first
// rung's epochs, which every trial ran).
func Importances(g *search.Gathered) []ParamImportance {
	metric, rows := comparable(g)
	as := axes(g, rows)
	var out []ParamImportance
	for k, p := range g.Space.Params {
		groups := make([]int, len(rows))
		if p.Kind == search.Choice {
			for i, v := range as[k].pos {
				groups[i] = int(v)
			}
		} else {
			groups = Bins(as[k].pos)
		}
		out = append(out, ParamImportance{Key: p.Key, Kind: p.Kind, Share: Importance(groups, metric)})
	}
	return out
}

// comparable are the trials' metrics that compare with one another and
// their rows: for halving, each trial's best within the first rung.
func comparable(g *search.Gathered) ([]float64, []search.Row) {
	var metric []float64
	var rows []search.Row
	for _, r := range g.Rows {
		v := r.Metric
		if g.Space.Method == search.Halving {
			v = g.Space.BestOf(r.Curve, g.Space.Halving.MinEpochs)
		}
		metric = append(metric, v)
		rows = append(rows, r)
	}
	var m []float64
	var rs []search.Row
	for _, i := range finite(metric) {
		m, rs = append(m, metric[i]), append(rs, rows[i])
	}
	return m, rs
}

// Write draws the figures and writes report.html into the search
// directory, each atomically; args is the command line, shown in the page.
func Write(g *search.Gathered, args []string) error {
	metric, rows := comparable(g)
	if len(rows) == 0 {
		return fmt.Errorf("%s: no trial has a %s yet: nothing to report", g.Dir, g.Space.Metric)
	}
	as := axes(g, rows)
	best := -1
	if g.Best >= 0 {
		for i, r := range rows {
			if r.Index == g.Rows[g.Best].Index {
				best = i
			}
		}
	}
	if err := scatterPNG(filepath.Join(g.Dir, ScatterFile), g.Space.Metric, as, metric); err != nil {
		return err
	}
	if err := parallelPNG(filepath.Join(g.Dir, ParallelFile), g.Space.Metric, as, metric, best); err != nil {
		return err
	}
	if err := curvesPNG(filepath.Join(g.Dir, CurvesFile), g, g.Best); err != nil {
		return err
	}
	v := view{Method: g.Space.Method, Trials: len(g.Rows), Metric: g.Space.Metric, Dir: g.Dir, Direction: "lower is better",
		Importance: Importances(g), ImportanceMethod: ImportanceMethod, Scatter: ScatterFile, Parallel: ParallelFile, Curves: CurvesFile,
		Generated: report.Timestamp(), Command: report.ShellJoin(args)}
	if g.Space.Maximize() {
		v.Direction = "higher is better"
	}
	if g.Space.Method == search.Halving {
		v.ScatterNote = fmt.Sprintf(", after the first rung's %d epochs, which every trial ran", g.Space.Halving.MinEpochs)
	}
	if g.Best >= 0 {
		b := g.Rows[g.Best]
		v.Best, v.BestParams = &b, g.Describe(b)
	}
	for _, r := range g.Rows {
		m := ""
		if !math.IsNaN(r.Metric) {
			m = strconv.FormatFloat(r.Metric, 'g', 5, 64)
		}
		v.Rows = append(v.Rows, row{Index: r.Index, Params: g.Describe(r), Epochs: r.Epochs, Metric: m, Status: r.Status})
	}
	html, err := report.Render(g.Dir, page, "search.html", v)
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(g.Dir, report.HTMLFile), html)
}

type view struct {
	Method, Metric, Dir, Direction string
	Trials                         int
	Best                           *search.Row
	BestParams                     string
	Importance                     []ParamImportance
	ImportanceMethod               string
	Scatter, Parallel, Curves      string
	ScatterNote                    string
	Rows                           []row
	Generated, Command             string
}

type row struct {
	Index          int
	Params, Status string
	Epochs         int
	Metric         string
}
