package profile

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/figures"
	"github.com/practica-ml/practica/report"
)

// samplesPerClass and sampleClasses bound the sample grid.
const (
	samplesPerClass = 6
	sampleClasses   = 12
)

func (p *Report) writeFigures(out string) ([]string, error) {
	var files []string
	path := func(name string) string { files = append(files, name); return filepath.Join(out, name) }
	if err := p.classBalancePNG(path(classBalancePlot)); err != nil {
		return nil, err
	}
	all := newRowSet(p.splits.Train, p.splits.Val, p.splits.Test)
	if p.Kind == data.Image && len(p.Shape) == 3 {
		var idx []int
		var caps []string
		for k := range min(len(p.Classes), sampleClasses) {
			n := 0
			for i := 0; i < all.Len() && n < samplesPerClass; i++ {
				if all.Label(i) == k {
					idx = append(idx, i)
					caps = append(caps, fmt.Sprintf("%s (#%d)", report.Shorten(p.Classes[k], 14), i))
					n++
				}
			}
			for ; n < samplesPerClass; n++ {
				idx = append(idx, -1)
				caps = append(caps, "")
			}
		}
		if err := sampleGridPNG(path(samplesPlot), all, idx, caps); err != nil {
			return nil, err
		}
		if err := p.pixelStatsPNG(path(pixelStatsPlot)); err != nil {
			return nil, err
		}
	}
	if len(p.pcaXY) > 0 {
		if err := p.pcaPNG(path(pcaPlot)); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// sampleGridPNG is report.ImageGridPNG with empty cells (index −1) for classes
// with fewer examples than a row.
func sampleGridPNG(path string, d *rowSet, idx []int, caps []string) error {
	var keep []int
	var kcaps []string
	var x []float32
	first := d.parts[0]
	size := first.SampleSize()
	for k, i := range idx {
		if i < 0 {
			x = append(x, make([]float32, size)...)
		} else {
			x = append(x, d.Row(i)...)
		}
		keep = append(keep, k)
		kcaps = append(kcaps, caps[k])
	}
	return report.ImageGridPNG(path, x, first.Shape, first.RawMax, keep, kcaps, samplesPerClass, 1.35*vg.Inch)
}

func (p *Report) classBalancePNG(path string) error {
	c := len(p.Classes)
	pl := figures.New(fmt.Sprintf("Class balance (%s examples; largest/smallest class = %.2f)", report.Commas(p.N), p.Imbalance), "class", "examples")
	w := vg.Points(math.Max(3, math.Min(14, 300/float64(c))))
	for s, sp := range p.Splits {
		if sp.N == 0 {
			continue
		}
		vals := make(plotter.Values, c)
		for k, v := range sp.ClassCounts {
			vals[k] = float64(v)
		}
		b, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return err
		}
		b.Color, b.LineStyle.Width = figures.Series(s), 0
		b.Offset = vg.Length(s-1) * w
		pl.Add(b)
		pl.Legend.Add(fmt.Sprintf("%s (%s)", sp.Name, report.Commas(sp.N)), b)
	}
	pl.Add(plotter.NewGrid())
	names := make([]string, c)
	for k, n := range p.Classes {
		names[k] = report.Shorten(n, 12)
	}
	pl.NominalX(names...)
	if c > 12 {
		pl.X.Tick.Label.Rotation = math.Pi / 2
		pl.X.Tick.Label.XAlign, pl.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	}
	pl.Y.Min = 0
	pl.Y.Max *= 1.3
	width := vg.Length(math.Min(14, math.Max(7, 0.4*float64(c)+3))) * vg.Inch
	return figures.SavePNG(pl, width, 4.5*vg.Inch, path)
}

// imageGrid shows an H×W plane with row 0 at the top.
type imageGrid struct {
	h, w int
	z    []float64
}

func (g imageGrid) Dims() (c, r int)   { return g.w, g.h }
func (g imageGrid) Z(c, r int) float64 { return g.z[(g.h-1-r)*g.w+c] }
func (g imageGrid) X(c int) float64    { return float64(c) }
func (g imageGrid) Y(r int) float64    { return float64(r) }

// pixelStatsPNG draws the mean and the standard deviation of every pixel
// (averaged over channels) as two heat maps; constant pixels have std 0.
func (p *Report) pixelStatsPNG(path string) error {
	ch, h, w := p.Shape[0], p.Shape[1], p.Shape[2]
	mean, std := make([]float64, h*w), make([]float64, h*w)
	for c := range ch {
		for j := range h * w {
			f := p.Features[c*h*w+j]
			mean[j] += f.Mean / float64(ch)
			std[j] += f.Std / float64(ch)
		}
	}
	var row []*plot.Plot
	for _, s := range []struct {
		title string
		z     []float64
	}{{"Mean of each pixel", mean}, {fmt.Sprintf("Std of each pixel (%d constant)", len(p.ConstantFeatures)), std}} {
		pl := figures.New(s.title, "x", "y")
		hm := plotter.NewHeatMap(imageGrid{h: h, w: w, z: s.z}, report.Blues{})
		if hm.Max == hm.Min {
			hm.Max = hm.Min + 1
		}
		pl.Add(hm)
		pl.X.Min, pl.X.Max, pl.Y.Min, pl.Y.Max = -0.5, float64(w)-0.5, -0.5, float64(h)-0.5
		pl.HideAxes()
		var lo, hi float64 = hm.Min, hm.Max
		pl.Title.Text += fmt.Sprintf("\nwhite %.3g … dark blue %.3g", lo, hi)
		row = append(row, pl)
	}
	return figures.SaveGridPNG([][]*plot.Plot{row}, 10*vg.Inch, 5.4*vg.Inch, path)
}

func (p *Report) pcaPNG(path string) error {
	pl := figures.New(fmt.Sprintf("PCA of the standardized features (%s examples)", report.Commas(p.PCAExamples)),
		fmt.Sprintf("component 1 (%.1f%% of the variance)", 100*p.PCAExplained[0]),
		fmt.Sprintf("component 2 (%.1f%% of the variance)", 100*p.PCAExplained[1]))
	for k, name := range p.Classes {
		var pts plotter.XYs
		for i, y := range p.pcaY {
			if y == k {
				pts = append(pts, plotter.XY{X: float64(p.pcaXY[2*i]), Y: float64(p.pcaXY[2*i+1])})
			}
		}
		if len(pts) == 0 {
			continue
		}
		s, err := plotter.NewScatter(pts)
		if err != nil {
			return err
		}
		col := figures.Series(k)
		s.Color = color.NRGBA{R: col.R, G: col.G, B: col.B, A: 170}
		s.Shape = glyphs[(k/len(figures.Tab10()))%len(glyphs)]
		s.Radius = vg.Points(2.5)
		pl.Add(s)
		if k < 30 {
			pl.Legend.Add(report.Shorten(name, 14), s)
		}
	}
	pl.Add(plotter.NewGrid())
	pl.Legend.Top, pl.Legend.Left = true, false
	pl.Legend.XOffs = vg.Points(0)
	return figures.SavePNG(pl, 8*vg.Inch, 7*vg.Inch, path)
}

var glyphs = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.TriangleGlyph{}, draw.SquareGlyph{}, draw.CrossGlyph{}}
