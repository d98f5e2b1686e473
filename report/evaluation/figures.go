package evaluation

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/practica-ml/practica/figures"
	"github.com/practica-ml/practica/metrics"
	"github.com/practica-ml/practica/report"
)

// matrixGrid shows a square matrix with row 0 at the top.
type matrixGrid struct{ z [][]float64 }

func (g matrixGrid) Dims() (c, r int)   { return len(g.z), len(g.z) }
func (g matrixGrid) Z(c, r int) float64 { return g.z[len(g.z)-1-r][c] }
func (g matrixGrid) X(c int) float64    { return float64(c) }
func (g matrixGrid) Y(r int) float64    { return float64(r) }

// confusionPNG draws the confusion matrix twice, side by side: counts, and
// each row normalized to the share of the actual class. Colours follow the
// square root of the value, so that rare confusions stay visible.
func confusionPNG(path string, confusion [][]int, classes []string) error {
	c := len(classes)
	counts, shares := make([][]float64, c), make([][]float64, c)
	countText, shareText := make([][]string, c), make([][]string, c)
	maxCount := 1
	for a, row := range confusion {
		support := 0
		for _, v := range row {
			support += v
			maxCount = max(maxCount, v)
		}
		counts[a], shares[a] = make([]float64, c), make([]float64, c)
		countText[a], shareText[a] = make([]string, c), make([]string, c)
		for p, v := range row {
			counts[a][p] = float64(v)
			if support > 0 {
				shares[a][p] = float64(v) / float64(support)
			}
			if v > 0 || a == p {
				countText[a][p] = fmt.Sprint(v)
				s := 100 * shares[a][p]
				switch {
				case s >= 1 || v == 0:
					shareText[a][p] = fmt.Sprintf("%.0f", s)
				default:
					shareText[a][p] = "<1"
				}
			}
		}
	}
	left, err := heatMap("Confusion matrix: counts", counts, float64(maxCount), countText, classes)
	if err != nil {
		return err
	}
	right, err := heatMap("Share of each actual class (%)", shares, 1, shareText, classes)
	if err != nil {
		return err
	}
	side := vg.Length(math.Min(12, math.Max(5.5, 0.45*float64(c)+2))) * vg.Inch
	return figures.SaveGridPNG([][]*plot.Plot{{left, right}}, 2*side+0.3*vg.Inch, side, path)
}

func heatMap(title string, z [][]float64, top float64, labels [][]string, classes []string) (*plot.Plot, error) {
	c := len(classes)
	sq := make([][]float64, c)
	for i := range z {
		sq[i] = make([]float64, c)
		for j, v := range z[i] {
			sq[i][j] = math.Sqrt(v / top)
		}
	}
	p := figures.New(title, "predicted class", "actual class")
	h := plotter.NewHeatMap(matrixGrid{sq}, report.Blues{})
	h.Min, h.Max = 0, 1
	p.Add(h)
	xt, yt := make([]plot.Tick, c), make([]plot.Tick, c)
	for i, name := range classes {
		xt[i] = plot.Tick{Value: float64(i), Label: report.Shorten(name, 12)}
		yt[i] = plot.Tick{Value: float64(c - 1 - i), Label: report.Shorten(name, 12)}
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.ConstantTicks(xt), plot.ConstantTicks(yt)
	if c > 12 {
		p.X.Tick.Label.Rotation = math.Pi / 2
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	}
	if c <= 25 {
		var xys plotter.XYs
		var strs []string
		var styles []text.Style
		size := font.Length(11)
		if c > 12 {
			size = font.Length(7)
		}
		for a := range c {
			for q := range c {
				if labels[a][q] == "" {
					continue
				}
				xys = append(xys, plotter.XY{X: float64(q), Y: float64(c - 1 - a)})
				strs = append(strs, labels[a][q])
				st := text.Style{Font: font.From(plotter.DefaultFont, size), Handler: plot.DefaultTextHandler,
					XAlign: draw.XCenter, YAlign: draw.YCenter, Color: color.Black}
				if sq[a][q] > 0.6 {
					st.Color = color.White
				}
				styles = append(styles, st)
			}
		}
		if len(xys) > 0 {
			l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: strs})
			if err != nil {
				return nil, err
			}
			l.TextStyle = styles
			p.Add(l)
		}
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -0.5, float64(c)-0.5, -0.5, float64(c)-0.5
	return p, nil
}

// f1PNG draws each class's F1 as a bar, its value above it, with the
// macro average as a dashed line.
func f1PNG(path string, per []metrics.ClassMetrics, macro float64) error {
	c := len(per)
	vals := make(plotter.Values, c)
	names := make([]string, c)
	for i, m := range per {
		vals[i], names[i] = m.F1, report.Shorten(m.Class, 12)
	}
	p := figures.New(fmt.Sprintf("F1 per class (dashed: the macro average, %.3f)", macro), "class", "F1")
	bars, err := plotter.NewBarChart(vals, vg.Points(math.Max(4, math.Min(28, 420/float64(c)))))
	if err != nil {
		return err
	}
	bars.Color, bars.LineStyle.Width = figures.Blue(), 0
	p.Add(bars, plotter.NewGrid())
	p.NominalX(names...)
	if c > 12 {
		p.X.Tick.Label.Rotation = math.Pi / 2
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	}
	if c <= 30 {
		var xys plotter.XYs
		var strs []string
		for i, v := range vals {
			xys = append(xys, plotter.XY{X: float64(i), Y: v})
			strs = append(strs, fmt.Sprintf("%.2f", v))
		}
		l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: strs})
		if err != nil {
			return err
		}
		for i := range l.TextStyle {
			l.TextStyle[i].XAlign = draw.XCenter
		}
		l.Offset = vg.Point{Y: vg.Points(3)}
		p.Add(l)
	}
	line, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: macro}, {X: float64(c) - 0.5, Y: macro}})
	if err != nil {
		return err
	}
	line.Color, line.Dashes, line.Width = figures.Red(), []vg.Length{vg.Points(5), vg.Points(3)}, vg.Points(1.5)
	p.Add(line)
	p.Y.Min, p.Y.Max = 0, 1.1
	w := vg.Length(math.Min(14, math.Max(7, 0.35*float64(c)+3))) * vg.Inch
	return figures.SavePNG(p, w, 4.5*vg.Inch, path)
}

// curvePNG draws a ROC or precision-recall curve with the operating point
// of the threshold in use and a reference line (the diagonal of a random
// ROC, the positive rate of a random precision).
func curvePNG(path, title, xLabel, yLabel string, curve []metrics.Point, ref plotter.XYs, refLabel string, op plotter.XY) error {
	p := figures.New(title, xLabel, yLabel)
	pts := make(plotter.XYs, len(curve))
	for i, q := range curve {
		pts[i] = plotter.XY{X: q.X, Y: q.Y}
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	l.Color, l.Width = figures.Blue(), vg.Points(2)
	r, err := plotter.NewLine(ref)
	if err != nil {
		return err
	}
	r.Color, r.Dashes = figures.Grey(), []vg.Length{vg.Points(4), vg.Points(3)}
	s, err := plotter.NewScatter(plotter.XYs{op})
	if err != nil {
		return err
	}
	s.Color, s.Shape, s.Radius = figures.Red(), draw.CircleGlyph{}, vg.Points(5)
	p.Add(plotter.NewGrid(), r, l, s)
	p.Legend.Add("model", l)
	p.Legend.Add(refLabel, r)
	p.Legend.Add(fmt.Sprintf("threshold 0.5 (%.2f, %.2f)", op.X, op.Y), s)
	p.Legend.Top, p.Legend.Left = false, false
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1.02
	return figures.SavePNG(p, 6*vg.Inch, 5.5*vg.Inch, path)
}
