package figures

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/practica-ml/practica/lrsweep"
	"github.com/practica-ml/practica/rundir"
)

// Sizes of the LR sweep's figures (inches).
const (
	lrPlotWidth  = 10 * vg.Inch
	lrPlotHeight = 6 * vg.Inch
)

// ruleGlyphs mark each rule's suggestions.
var ruleGlyphs = map[string]draw.GlyphDrawer{
	lrsweep.Steepest:     draw.PyramidGlyph{},
	lrsweep.Valley:       draw.CircleGlyph{},
	lrsweep.MinimumTenth: draw.BoxGlyph{},
}

var ruleColors = map[string]color.Color{
	lrsweep.Steepest:     color.RGBA{R: 200, G: 100, A: 255},
	lrsweep.Valley:       color.RGBA{A: 255},
	lrsweep.MinimumTenth: color.RGBA{R: 130, B: 170, A: 255},
}

// WriteLRSweep draws lr_sweep.png and, when the grid ran, lr_grid.png
// into dir, each atomically.
func WriteLRSweep(dir *rundir.Dir, r *lrsweep.Result) error {
	if err := LRSweepPNG(dir.Join(rundir.LRSweepPlot), &r.Report, r.Curves); err != nil {
		return err
	}
	if r.Report.Grid != nil {
		return LRGridPNG(dir.Join(rundir.LRGridPlot), r.Report.Grid)
	}
	return nil
}

// LRSweepPNG draws lr_sweep.png: the raw (thin) and smoothed (thick) loss
// of every seed against the learning rate on a log axis, each rule's
// suggestions marked (one marker per seed, labelled at the median), and
// the recommendation as a dashed vertical line.
func LRSweepPNG(path string, r *lrsweep.Report, curves []lrsweep.Curve) error {
	title := fmt.Sprintf("LR range test: %s on %s, %s, batch %d", r.Settings.Model, r.Settings.Data, r.Settings.Optimizer, r.Settings.BatchSize)
	p := New(title, "learning rate (log scale)", "training loss")
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = decadeTicks{}
	p.Legend.Left = true
	yMin, yMax := yRange(curves)
	for k, c := range curves {
		raw, sm := plotter.XYs{}, plotter.XYs{}
		for _, pt := range c.Points {
			if finite(pt.Loss) {
				raw = append(raw, plotter.XY{X: pt.LR, Y: pt.Loss})
			}
			if finite(pt.Smoothed) {
				sm = append(sm, plotter.XY{X: pt.LR, Y: pt.Smoothed})
			}
		}
		col := plotutil.Color(k)
		if len(raw) > 1 {
			l, err := plotter.NewLine(raw)
			if err != nil {
				return err
			}
			l.Color = fade(col)
			l.Width = vg.Points(0.8)
			p.Add(l)
			if k == 0 {
				p.Legend.Add("raw loss (thin lines)", l)
			}
		}
		if len(sm) > 1 {
			l, err := plotter.NewLine(sm)
			if err != nil {
				return err
			}
			l.Color = col
			l.Width = vg.Points(2)
			p.Add(l)
			p.Legend.Add(fmt.Sprintf("seed %d, smoothed (%s)", c.Seed, c.Stop), l)
		}
	}
	for _, name := range lrsweep.RuleNames() {
		rr := r.Suggestions[name]
		if len(rr.PerSeed) == 0 {
			continue
		}
		pts := plotter.XYs{}
		for _, v := range rr.PerSeed {
			pts = append(pts, plotter.XY{X: v.LR, Y: v.SmoothedLoss})
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return err
		}
		sc.GlyphStyle = draw.GlyphStyle{Shape: ruleGlyphs[name], Color: ruleColors[name], Radius: vg.Points(5)}
		p.Add(sc)
		p.Legend.Add(fmt.Sprintf("%s, per seed (median %.1e)", name, rr.Median), sc)
		m := medianPoint(rr)
		lb, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: m.LR, Y: m.SmoothedLoss}}, Labels: []string{fmt.Sprintf("%s %.1e", name, rr.Median)}})
		if err != nil {
			return err
		}
		off, align := labelPlace(name)
		lb.Offset = off
		for i := range lb.TextStyle {
			lb.TextStyle[i].Color = ruleColors[name]
			lb.TextStyle[i].Font.Size = vg.Points(11)
			lb.TextStyle[i].XAlign = align
		}
		p.Add(lb)
	}
	if r.Recommended > 0 {
		vl, err := plotter.NewLine(plotter.XYs{{X: r.Recommended, Y: yMin}, {X: r.Recommended, Y: yMax}})
		if err != nil {
			return err
		}
		vl.Dashes = []vg.Length{vg.Points(6), vg.Points(4)}
		vl.Width = vg.Points(1.5)
		vl.Color = color.RGBA{R: 40, G: 40, B: 40, A: 255}
		p.Add(vl)
		p.Legend.Add(fmt.Sprintf("recommended %.1e (%s)", r.Recommended, r.RecommendedBy), vl)
	}
	p.Y.Min, p.Y.Max = yMin, yMax
	if r.Settings.MinLR > 0 && r.Settings.MaxLR > r.Settings.MinLR {
		p.X.Min, p.X.Max = r.Settings.MinLR, r.Settings.MaxLR
	}
	p.Add(plotter.NewGrid())
	return SavePNG(p, lrPlotWidth, lrPlotHeight, path)
}

// yRange spans the smoothed losses from the start of each curve to its
// minimum, with headroom for the legend; the diverging end (which can
// reach hundreds) leaves through the top.
func yRange(curves []lrsweep.Curve) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, c := range curves {
		minAt := -1
		for i, pt := range c.Points {
			if finite(pt.Smoothed) && (minAt < 0 || pt.Smoothed < c.Points[minAt].Smoothed) {
				minAt = i
			}
		}
		for _, pt := range c.Points[:minAt+1] {
			if finite(pt.Smoothed) {
				lo, hi = min(lo, pt.Smoothed), max(hi, pt.Smoothed)
			}
		}
	}
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return 0, 1
	}
	span := max(hi-lo, 0.1*hi, 1e-3)
	return max(lo-0.15*span, 0), hi + 0.7*span
}

// decadeTicks marks every power of ten, labelled 1e-05 style, with minor
// ticks at 2..9 (plot.LogTicks prints 9.999999999999999e-05).
type decadeTicks struct{}

// Ticks implements plot.Ticker.
func (decadeTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		d := math.Pow(10, e)
		for k := 1.0; k < 10; k++ {
			v := k * d
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if k == 1 {
				t.Label = fmt.Sprintf("1e%+03d", int(e))
				if e >= 0 && e <= 3 {
					t.Label = fmt.Sprint(d)
				}
			}
			ts = append(ts, t)
		}
	}
	return ts
}

// labelPlace puts each rule's label beside its median marker: valley to
// the left (it is usually the lowest), steepest to the right and above,
// minimum/10 to the right and below (the two are often close).
func labelPlace(name string) (vg.Point, text.XAlignment) {
	switch name {
	case lrsweep.Valley:
		return vg.Point{X: vg.Points(-9), Y: vg.Points(-4)}, draw.XRight
	case lrsweep.Steepest:
		return vg.Point{X: vg.Points(9), Y: vg.Points(6)}, draw.XLeft
	default:
		return vg.Point{X: vg.Points(9), Y: vg.Points(-14)}, draw.XLeft
	}
}

// medianPoint is the per-seed value closest to the rule's median.
func medianPoint(rr lrsweep.RuleReport) lrsweep.SeedValue {
	best := rr.PerSeed[0]
	for _, v := range rr.PerSeed {
		if math.Abs(math.Log(v.LR/rr.Median)) < math.Abs(math.Log(best.LR/rr.Median)) {
			best = v
		}
	}
	return best
}

func fade(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 90}
}

// LRGridPNG draws lr_grid.png: the validation loss per epoch of every grid
// value, overlaid, the best value and the suggestion named in the legend.
func LRGridPNG(path string, g *lrsweep.GridResult) error {
	title := fmt.Sprintf("LR grid: validation loss, %d epoch(s) per value from the same initial weights", g.Epochs)
	if g.TurnsUpAt > 0 {
		title += fmt.Sprintf("; turns up at %.2e", g.TurnsUpAt)
	}
	p := New(title, "epoch", "validation loss")
	ticks := make([]plot.Tick, 0, g.Epochs)
	for e := 1; e <= g.Epochs; e++ {
		ticks = append(ticks, plot.Tick{Value: float64(e), Label: fmt.Sprint(e)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Min, p.X.Max = 0.8, float64(g.Epochs)+0.2
	p.Y.Min = 0
	top := 0.0
	for _, run := range g.Runs {
		for _, v := range run.ValLoss {
			top = max(top, v)
		}
	}
	p.Y.Max = 1.3*top + 1e-3 // headroom for the legend
	p.Y.Tick.Marker = roundTicks{}
	for i, run := range g.Runs {
		pts := plotter.XYs{}
		for e, v := range run.ValLoss {
			pts = append(pts, plotter.XY{X: float64(e + 1), Y: v})
		}
		label := fmt.Sprintf("lr %.2e", run.LR)
		if run.LR == g.Best && g.Best > 0 {
			label += fmt.Sprintf("  best (val_loss %.4f)", g.BestValLoss)
		}
		if sameLR(run.LR, g.Suggested) {
			label += "  suggested"
		}
		if run.Diverged {
			label += "  diverged"
		}
		if slices.Contains(g.Extended, run.LR) {
			label += "  (extension)"
		}
		if !run.Diverged && len(run.ValLoss) < g.Epochs {
			label += fmt.Sprintf("  (halving dropped it after %d)", len(run.ValLoss))
		}
		if len(pts) == 0 {
			continue
		}
		l, s, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		l.Color, s.Color = plotutil.Color(i), plotutil.Color(i)
		l.Width = vg.Points(2)
		if run.LR == g.Best {
			l.Width = vg.Points(3)
		}
		s.Shape = filledShapes[i%len(filledShapes)]
		s.Radius = vg.Points(4)
		p.Add(l, s)
		p.Legend.Add(label, l, s)
	}
	if g.Suggested > 0 && !slices.ContainsFunc(g.Runs, func(r lrsweep.GridRun) bool { return sameLR(r.LR, g.Suggested) }) {
		p.Legend.Add(fmt.Sprintf("(range-test suggestion %.2e)", g.Suggested))
	}
	p.Add(plotter.NewGrid())
	return SavePNG(p, lrPlotWidth, lrPlotHeight, path)
}

// roundTicks labels a linear axis at about six round values (1, 2 or 5
// times a power of ten apart).
type roundTicks struct{}

// Ticks implements plot.Ticker.
func (roundTicks) Ticks(lo, hi float64) []plot.Tick {
	raw := (hi - lo) / 6
	if !(raw > 0) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	step := p
	for _, m := range []float64{2, 5, 10} {
		if step >= raw {
			break
		}
		step = m * p
	}
	prec := max(0, -int(math.Floor(math.Log10(step))))
	var ts []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		ts = append(ts, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', prec, 64)})
	}
	return ts
}

var filledShapes = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}, draw.PlusGlyph{}, draw.CrossGlyph{}, draw.RingGlyph{}}

// sameLR is equality up to float formatting noise (×1/3 then ×3).
func sameLR(a, b float64) bool { return b > 0 && math.Abs(a/b-1) < 1e-9 }
