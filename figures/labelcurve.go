package figures

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Size of label_curve.png (inches).
const (
	labelCurveWidth  = 9 * vg.Inch
	labelCurveHeight = 5.5 * vg.Inch
)

// LabelSeries is one strategy's curve: test accuracy after each round.
type LabelSeries struct {
	Name     string
	Labels   []int
	Accuracy []float64
}

// LabelCurve is what label_curve.png shows.
type LabelCurve struct {
	// Title names the data and the training.
	Title  string
	Series []LabelSeries
	// FullLabels and FullAccuracy are the training on every label, drawn
	// as a dashed horizontal line; Target, when > 0, a dotted one.
	FullLabels   int
	FullAccuracy float64
	Target       float64
	// Round, when > 0, is the labels per round: the x axis is marked at
	// its multiples (every other one, and so on, beyond 12 marks).
	Round int
}

// labelGlyphs tell the strategies apart in grey print too.
var labelGlyphs = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.TriangleGlyph{}, draw.BoxGlyph{}, draw.CrossGlyph{}}

// LabelCurvePNG draws label_curve.png, atomically: test accuracy against
// the number of labels, one line with markers per strategy, the fully
// labeled accuracy as a dashed line and the target as a dotted one, each
// named in the legend.
func LabelCurvePNG(path string, c LabelCurve) error {
	p := New(c.Title, "examples labeled so far", "accuracy on the test split")
	p.Legend.Top, p.Legend.Left = false, false
	lo, hi, xMax := 1.0, 0.0, 0.0
	for k, s := range c.Series {
		pts := plotter.XYs{}
		for i, n := range s.Labels {
			if finite(s.Accuracy[i]) {
				pts = append(pts, plotter.XY{X: float64(n), Y: s.Accuracy[i]})
				lo, hi, xMax = math.Min(lo, s.Accuracy[i]), math.Max(hi, s.Accuracy[i]), math.Max(xMax, float64(n))
			}
		}
		if len(pts) == 0 {
			continue
		}
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		l.Color, l.Width = Series(k), vg.Points(2)
		sc.Shape, sc.Color, sc.Radius = labelGlyphs[k%len(labelGlyphs)], Series(k), vg.Points(4)
		p.Add(l, sc)
		last := pts[len(pts)-1]
		p.Legend.Add(fmt.Sprintf("%s (%.1f%% at %d labels)", s.Name, 100*last.Y, int(last.X)), l, sc)
	}
	if xMax == 0 {
		xMax = 1
	}
	ref := func(y float64, dashes []vg.Length, col color.Color, name string) error {
		l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: y}, {X: xMax, Y: y}})
		if err != nil {
			return err
		}
		l.Color, l.Width, l.Dashes = col, vg.Points(1.5), dashes
		p.Add(l)
		p.Legend.Add(name, l)
		lo, hi = math.Min(lo, y), math.Max(hi, y)
		return nil
	}
	if finite(c.FullAccuracy) && c.FullLabels > 0 {
		if err := ref(c.FullAccuracy, []vg.Length{vg.Points(8), vg.Points(4)}, color.Black,
			fmt.Sprintf("fully labeled (all %d): %.1f%%", c.FullLabels, 100*c.FullAccuracy)); err != nil {
			return err
		}
	}
	if c.Target > 0 {
		if err := ref(c.Target, []vg.Length{vg.Points(2), vg.Points(3)}, Grey(), fmt.Sprintf("target %.0f%%", 100*c.Target)); err != nil {
			return err
		}
	}
	p.X.Min, p.X.Max = 0, xMax*1.02
	span := math.Max(hi-lo, 0.05)
	p.Y.Min, p.Y.Max = math.Max(0, lo-0.1*span), math.Min(1.005, hi+0.05*span)
	p.Y.Tick.Marker = percentTicks{}
	if c.Round > 0 {
		step := c.Round
		for xMax/float64(step) > 12 {
			step *= 2
		}
		p.X.Tick.Marker = multipleTicks(step)
	}
	p.Add(plotter.NewGrid())
	return SavePNG(p, labelCurveWidth, labelCurveHeight, path)
}

// percentTicks labels a [0, 1] axis in percent, every 1, 2, 5, 10 or 20
// points: the finest step that gives at most 10 labels.
type percentTicks struct{}

// Ticks implements plot.Ticker.
func (percentTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 0.2
	for _, s := range []float64{0.01, 0.02, 0.05, 0.1} {
		if (hi-lo)/s <= 10 {
			step = s
			break
		}
	}
	var ts []plot.Tick
	for k := math.Ceil(lo/step - 1e-9); k*step <= hi+1e-9; k++ {
		v := k * step
		ts = append(ts, plot.Tick{Value: v, Label: fmt.Sprintf("%.0f%%", 100*v)})
	}
	return ts
}

// multipleTicks marks an axis from 0 at every multiple of its value.
type multipleTicks int

// Ticks implements plot.Ticker.
func (s multipleTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for v := 0.0; v <= hi; v += float64(s) {
		if v >= lo {
			ts = append(ts, plot.Tick{Value: v, Label: fmt.Sprint(v)})
		}
	}
	return ts
}
