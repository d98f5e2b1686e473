package figures

import (
	"bytes"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/practica-ml/practica/calibration"
	"github.com/practica-ml/practica/internal/atomicfile"
)

// Colours of the reliability diagram.
var (
	barColor   = color.NRGBA{R: 70, G: 130, B: 180, A: 200}
	barEdge    = color.NRGBA{R: 30, G: 70, B: 110, A: 255}
	gapColor   = color.NRGBA{R: 214, G: 39, B: 40, A: 90}
	gapEdge    = color.NRGBA{R: 214, G: 39, B: 40, A: 255}
	accColor   = color.NRGBA{A: 255}
	confColor  = color.NRGBA{R: 230, G: 110, B: 0, A: 255}
	diagColor  = color.NRGBA{R: 120, G: 120, B: 120, A: 255}
	titleColor = color.Black
)

// ReliabilityPNG writes reliability diagrams of two reports of the same
// examples side by side (before and after calibration), each a reliability
// plot over the bins of ECE (accuracy bars, the gap to the bin's mean
// confidence in red, the diagonal of perfect calibration) above a
// histogram of confidences (the fraction of examples per bin, its count
// printed, the overall accuracy and the average confidence marked as
// vertical lines). title heads the figure. The PNG is written atomically.
func ReliabilityPNG(path, title string, before, after calibration.Report) error {
	const width, height = 12 * vg.Inch, 7.5 * vg.Inch
	img := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(96))
	dc := draw.New(img)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())

	// The figure's title in a strip at the top.
	const titleH = 0.45 * vg.Inch
	ts := New("", "", "").Title.TextStyle
	ts.Font.Size = font.Length(15)
	ts.Color = titleColor
	ts.XAlign, ts.YAlign = draw.XCenter, draw.YCenter
	dc.FillText(ts, vg.Point{X: width / 2, Y: height - titleH/2}, title)

	body := draw.Crop(dc, vg.Points(6), -vg.Points(6), vg.Points(4), -titleH)
	colW := (body.Max.X - body.Min.X) / 2
	for col, r := range []calibration.Report{before, after} {
		name := "Uncalibrated"
		if col == 1 {
			name = "Calibrated"
		}
		c := body
		c.Min.X = body.Min.X + vg.Length(col)*colW
		c.Max.X = c.Min.X + colW
		if col == 0 {
			c.Max.X -= vg.Points(10)
		} else {
			c.Min.X += vg.Points(10)
		}
		rel, err := reliabilityPlot(name, r)
		if err != nil {
			return err
		}
		hist, err := histogramPlot(r)
		if err != nil {
			return err
		}
		split := c.Min.Y + (c.Max.Y-c.Min.Y)*0.3
		top, bottom := c, c
		top.Min.Y = split + vg.Points(4)
		bottom.Max.Y = split - vg.Points(4)
		cs := []draw.Canvas{top, bottom}
		ps := []*plot.Plot{rel, hist}
		alignX(ps, cs)
		for i, p := range ps {
			p.Draw(cs[i])
		}
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return fmt.Errorf("rendering %s: %w", path, err)
	}
	return atomicfile.Write(path, buf.Bytes())
}

// alignX narrows canvases so that the plots' data areas share their left
// and right edges (the x axes line up).
func alignX(ps []*plot.Plot, cs []draw.Canvas) {
	var left, right vg.Length
	for i, p := range ps {
		d := p.DataCanvas(cs[i])
		left = max(left, d.Min.X-cs[i].Min.X)
		right = max(right, cs[i].Max.X-d.Max.X)
	}
	for i, p := range ps {
		d := p.DataCanvas(cs[i])
		l, r := d.Min.X-cs[i].Min.X, cs[i].Max.X-d.Max.X
		cs[i].Min.X += left - l
		cs[i].Max.X -= right - r
	}
}

// unitTicks are the ticks of a [0, 1] axis.
var unitTicks = plot.ConstantTicks([]plot.Tick{
	{Value: 0, Label: "0.0"}, {Value: 0.1}, {Value: 0.2, Label: "0.2"}, {Value: 0.3}, {Value: 0.4, Label: "0.4"}, {Value: 0.5},
	{Value: 0.6, Label: "0.6"}, {Value: 0.7}, {Value: 0.8, Label: "0.8"}, {Value: 0.9}, {Value: 1, Label: "1.0"},
})

func reliabilityPlot(name string, r calibration.Report) (*plot.Plot, error) {
	sub := fmt.Sprintf("N %d   accuracy %.3f   NLL %.3f   ECE %.3f", r.N, r.Accuracy, r.NLL, r.ECE)
	if r.ECELow != 0 || r.ECEHigh != 0 {
		sub += fmt.Sprintf(" (95%% CI %.3f–%.3f)", r.ECELow, r.ECEHigh)
	}
	sub += fmt.Sprintf("   MCE %.3f", r.MCE)
	p := New(name+"\n"+sub, "confidence (top-label probability)", "accuracy")
	p.Title.TextStyle.Font.Size = font.Length(12)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	p.X.Tick.Marker, p.Y.Tick.Marker = unitTicks, unitTicks
	p.Add(plotter.NewGrid())
	p.Legend.Left, p.Legend.Top = true, true
	p.Legend.Padding = vg.Points(3)

	var accBars, over, under []rect
	for _, b := range r.Bins {
		if b.Count == 0 {
			continue
		}
		accBars = append(accBars, rect{b.Lo, b.Hi, 0, b.Accuracy})
		if b.Confidence > b.Accuracy {
			over = append(over, rect{b.Lo, b.Hi, b.Accuracy, b.Confidence})
		} else {
			under = append(under, rect{b.Lo, b.Hi, b.Confidence, b.Accuracy})
		}
	}
	bars := &rects{rs: accBars, fill: barColor, edge: barEdge}
	// The gap runs from the bar's top (accuracy) to the bins' mean
	// confidence: above the bar when overconfident, over it (drawn on the
	// blue, so darker) when underconfident.
	gap := &rects{rs: over, fill: gapColor, edge: gapEdge}
	gapUnder := &rects{rs: under, fill: gapColor, edge: gapEdge, under: barColor}
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return nil, err
	}
	diag.Color, diag.Width, diag.Dashes = diagColor, vg.Points(1.5), []vg.Length{vg.Points(5), vg.Points(4)}
	p.Add(bars, gap, gapUnder, diag)
	p.Legend.Add("accuracy per bin", bars)
	p.Legend.Add("gap: confidence above accuracy", gap)
	p.Legend.Add("gap: accuracy above confidence", gapUnder)
	p.Legend.Add("perfect calibration", diag)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	return p, nil
}

func histogramPlot(r calibration.Report) (*plot.Plot, error) {
	p := New("", "confidence (top-label probability)", "fraction of examples")
	top := 0.05
	for _, b := range r.Bins {
		if r.N > 0 {
			top = max(top, float64(b.Count)/float64(r.N))
		}
	}
	top = min(1, top) * 1.3
	p.X.Tick.Marker = unitTicks
	p.Add(plotter.NewGrid())
	p.Legend.Left, p.Legend.Top = true, true
	p.Legend.Padding = vg.Points(2)
	var rs []rect
	var pts plotter.XYs
	var labels []string
	for _, b := range r.Bins {
		if b.Count == 0 || r.N == 0 {
			continue
		}
		f := float64(b.Count) / float64(r.N)
		rs = append(rs, rect{b.Lo, b.Hi, 0, f})
		pts = append(pts, plotter.XY{X: (b.Lo + b.Hi) / 2, Y: f})
		labels = append(labels, fmt.Sprint(b.Count))
	}
	p.Add(&rects{rs: rs, fill: barColor, edge: barEdge})
	counts := &countLabels{pts: pts, labels: labels}
	if r.N > 0 {
		acc, err := vline(r.Accuracy, top, accColor, nil)
		if err != nil {
			return nil, err
		}
		conf, err := vline(r.Confidence, top, confColor, []vg.Length{vg.Points(5), vg.Points(3)})
		if err != nil {
			return nil, err
		}
		p.Add(acc, conf)
		p.Legend.Add(fmt.Sprintf("accuracy %.3f", r.Accuracy), acc)
		p.Legend.Add(fmt.Sprintf("avg confidence %.3f", r.Confidence), conf)
	}
	p.Add(counts) // on top of the vertical lines

	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, top
	return p, nil
}

func vline(x, top float64, c color.Color, dashes []vg.Length) (*plotter.Line, error) {
	l, err := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: top}})
	if err != nil {
		return nil, err
	}
	l.Color, l.Width, l.Dashes = c, vg.Points(2), dashes
	return l, nil
}

// rect is an axis-aligned rectangle in data coordinates.
type rect struct{ x0, x1, y0, y1 float64 }

// rects draws filled, outlined rectangles (bars of a given extent, which
// plotter.BarChart cannot place on a continuous axis).
type rects struct {
	rs         []rect
	fill, edge color.Color
	// under, when set, is drawn beneath fill in the legend's thumbnail
	// (for rectangles drawn over others).
	under color.Color
}

// Plot implements plot.Plotter.
func (r *rects) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	ls := draw.LineStyle{Color: r.edge, Width: vg.Points(0.8)}
	for _, q := range r.rs {
		if q.y1 <= q.y0 {
			continue
		}
		pts := []vg.Point{{X: trX(q.x0), Y: trY(q.y0)}, {X: trX(q.x1), Y: trY(q.y0)}, {X: trX(q.x1), Y: trY(q.y1)}, {X: trX(q.x0), Y: trY(q.y1)}}
		c.FillPolygon(r.fill, c.ClipPolygonXY(pts))
		c.StrokeLines(ls, c.ClipLinesXY(append(pts, pts[0]))...)
	}
}

// DataRange implements plot.DataRanger: the rectangles' extent within
// [0, 1]².
func (r *rects) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = 0, 1
	for _, q := range r.rs {
		ymax = max(ymax, q.y1)
	}
	return xmin, xmax, 0, ymax
}

// Thumbnail implements plot.Thumbnailer for the legend.
func (r *rects) Thumbnail(c *draw.Canvas) {
	pts := []vg.Point{c.Min, {X: c.Max.X, Y: c.Min.Y}, c.Max, {X: c.Min.X, Y: c.Max.Y}}
	if r.under != nil {
		c.FillPolygon(r.under, pts)
	}
	c.FillPolygon(r.fill, pts)
	c.StrokeLines(draw.LineStyle{Color: r.edge, Width: vg.Points(0.8)}, append(pts, pts[0]))
}

// countLabels writes each bin's count above its bar, on a white box so
// that the accuracy and confidence lines do not hide it.
type countLabels struct {
	pts    plotter.XYs
	labels []string
}

// Plot implements plot.Plotter.
func (l *countLabels) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := p.X.Tick.Label
	sty.Font.Size = font.Length(8)
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YBottom
	pad := vg.Points(1.5)
	for i, pt := range l.pts {
		x, y := trX(pt.X), trY(pt.Y)+vg.Points(2)
		w, h := sty.Width(l.labels[i]), sty.Height(l.labels[i])
		box := []vg.Point{{X: x - w/2 - pad, Y: y}, {X: x + w/2 + pad, Y: y}, {X: x + w/2 + pad, Y: y + h}, {X: x - w/2 - pad, Y: y + h}}
		c.FillPolygon(color.White, box)
		c.FillText(sty, vg.Point{X: x, Y: y}, l.labels[i])
	}
}
