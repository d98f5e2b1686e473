package searchreport

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/practica-ml/practica/figures"
	"github.com/practica-ml/practica/search"
)

// axis is one parameter as the figures draw it: each trial's position
// (the value, its log for log_uniform, the choice's index for a choice)
// and the tick labels of a choice.
type axis struct {
	key    string
	log    bool
	pos    []float64
	labels []string
}

// axes are the space's parameters over the rows.
func axes(g *search.Gathered, rows []search.Row) []axis {
	var out []axis
	for k, p := range g.Space.Params {
		a := axis{key: p.Key, log: p.Kind == search.LogUniform}
		if p.Kind == search.Choice {
			for _, c := range p.Choices {
				a.labels = append(a.labels, search.FormatValue(c))
			}
		}
		for _, r := range rows {
			a.pos = append(a.pos, position(p, r.Values[k]))
		}
		out = append(out, a)
	}
	return out
}

// position is a value's place on its parameter's axis.
func position(p search.Param, v any) float64 {
	if p.Kind == search.Choice {
		s := search.FormatValue(v)
		for i, c := range p.Choices {
			if search.FormatValue(c) == s {
				return float64(i)
			}
		}
		return math.NaN()
	}
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	}
	return math.NaN()
}

// choiceTicks labels a choice axis with its values.
type choiceTicks []string

func (c choiceTicks) Ticks(min, max float64) []plot.Tick {
	var t []plot.Tick
	for i, l := range c {
		t = append(t, plot.Tick{Value: float64(i), Label: l})
	}
	return t
}

// scatterPNG draws the metric against each parameter, one panel each.
func scatterPNG(path string, metricName string, as []axis, metric []float64) error {
	cols := min(3, len(as))
	rows := (len(as) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
	}
	for k, a := range as {
		xlabel := a.key
		if a.log {
			xlabel += " (log scale)"
		}
		p := figures.New(a.key, xlabel, metricName)
		var pts plotter.XYs
		for i, x := range a.pos {
			pts = append(pts, plotter.XY{X: x, Y: metric[i]})
		}
		s, err := plotter.NewScatter(pts)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		s.GlyphStyle.Color = figures.Blue()
		s.GlyphStyle.Radius = vg.Points(3.5)
		s.GlyphStyle.Shape = draw.CircleGlyph{}
		p.Add(s)
		switch {
		case a.log:
			p.X.Scale = plot.LogScale{}
			p.X.Tick.Marker = plot.LogTicks{Prec: 2}
		case a.labels != nil:
			p.X.Tick.Marker = choiceTicks(a.labels)
			p.X.Min, p.X.Max = -0.5, float64(len(a.labels))-0.5
		}
		grid[k/cols][k%cols] = p
	}
	return figures.SaveGridPNG(grid, vg.Length(cols)*3.6*vg.Inch, vg.Length(rows)*2.8*vg.Inch, path)
}

// parallelPNG draws the parallel coordinates: one vertical axis per
// parameter and one for the metric, each scaled to its trials' range (log
// for log_uniform), one line per trial, the best in red.
func parallelPNG(path string, metricName string, as []axis, metric []float64, best int) error {
	p := figures.New("parallel coordinates (each axis from its lowest to its highest value)", "", "position within the axis's range")
	cols := append([]axis(nil), as...)
	cols = append(cols, axis{key: metricName, pos: metric})
	norm := make([][]float64, len(cols))
	var names []string
	for c, a := range cols {
		lo, hi := math.Inf(1), math.Inf(-1)
		vals := make([]float64, len(a.pos))
		for i, v := range a.pos {
			if a.log {
				v = math.Log(v)
			}
			vals[i] = v
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		for i := range vals {
			if hi > lo {
				vals[i] = (vals[i] - lo) / (hi - lo)
			} else {
				vals[i] = 0.5
			}
		}
		norm[c] = vals
		names = append(names, a.key)
	}
	draw1 := func(i int, col plotter.XYs) error {
		l, err := plotter.NewLine(col)
		if err != nil {
			return err
		}
		l.Color = figures.Grey()
		l.Width = vg.Points(1)
		if i == best {
			l.Color = figures.Red()
			l.Width = vg.Points(2.5)
			p.Legend.Add("best trial", l)
		}
		p.Add(l)
		return nil
	}
	for i := range metric {
		var pts plotter.XYs
		for c := range cols {
			pts = append(pts, plotter.XY{X: float64(c), Y: norm[c][i]})
		}
		if i != best {
			if err := draw1(i, pts); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
		}
	}
	if best >= 0 {
		var pts plotter.XYs
		for c := range cols {
			pts = append(pts, plotter.XY{X: float64(c), Y: norm[c][best]})
		}
		if err := draw1(best, pts); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	p.X.Tick.Marker = choiceTicks(names)
	p.X.Min, p.X.Max = -0.2, float64(len(cols)-1)+0.2
	p.Y.Min, p.Y.Max = -0.05, 1.05
	return figures.SavePNG(p, vg.Length(max(6, 2*len(cols)))*vg.Inch, 4*vg.Inch, path)
}

// curvesPNG overlays every trial's validation curve of the metric.
func curvesPNG(path string, g *search.Gathered, best int) error {
	p := figures.New("validation curves of every trial", "epoch", g.Space.Metric)
	var bestLine *plotter.Line
	for i, r := range g.Rows {
		var pts plotter.XYs
		for _, m := range r.Curve {
			v := m.ValLoss
			if g.Space.Metric == search.ValAccuracy {
				v = m.ValAccuracy
			}
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				pts = append(pts, plotter.XY{X: float64(m.Epoch), Y: v})
			}
		}
		if len(pts) == 0 {
			continue
		}
		l, dots, err := plotter.NewLinePoints(pts)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		// Each epoch is a dot too: a trial stopped at the first rung has
		// one point, which a line alone would not draw.
		l.Color, dots.Color = figures.Series(i), figures.Series(i)
		l.Width, dots.Radius = vg.Points(1), vg.Points(1.5)
		if i == best {
			l.Color, l.Width, dots.Color = figures.Red(), vg.Points(2.5), figures.Red()
			bestLine = l
			p.Add(dots)
			continue
		}
		p.Add(l, dots)
	}
	if bestLine != nil {
		p.Add(bestLine)
		p.Legend.Add(fmt.Sprintf("best: trial %d", g.Rows[best].Index), bestLine)
	}
	return figures.SavePNG(p, 6*vg.Inch, 4*vg.Inch, path)
}
