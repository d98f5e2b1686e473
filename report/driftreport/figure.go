package driftreport

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/drift"
	"github.com/practica-ml/practica/figures"
	"github.com/practica-ml/practica/report"
)

const (
	// maxFeaturePanels is how many features drift.png shows.
	maxFeaturePanels = 6
	// histBins is each histogram's number of bins over both sides' range.
	histBins = 20
	// sampleCols is how many images of each side drift.png shows.
	sampleCols = 6
)

// figure draws drift.png.
func figure(path string, r *drift.Report, in Inputs) error {
	if in.Kind == data.Image {
		return imageFigure(path, r, in)
	}
	idx := drift.MostDrifted(r.Features, maxFeaturePanels)
	cols := min(3, len(idx))
	rows := (len(idx) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
	}
	d := len(in.Names)
	for k, j := range idx {
		f := r.Features[j]
		title := report.Shorten(f.Name, 28)
		if f.Drift {
			title += " (drift)"
		}
		p := figures.New(title, "raw value", "share")
		if err := overlay(p, column(in.Ref, d, j), column(in.New, d, j)); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		grid[k/cols][k%cols] = p
	}
	return figures.SaveGridPNG(grid, vg.Length(cols)*3.6*vg.Inch, vg.Length(rows)*2.8*vg.Inch, path)
}

// overlay draws the histograms of ref and new as step lines on shared bins.
func overlay(p *plot.Plot, ref, cur []float64) error {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range [][]float64{ref, cur} {
		for _, v := range s {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if !(hi > lo) {
		hi = lo + 1
	}
	width := (hi - lo) / histBins
	for i, s := range []struct {
		x     []float64
		label string
	}{{ref, "reference"}, {cur, "new"}} {
		counts := make([]float64, histBins)
		for _, v := range s.x {
			counts[min(histBins-1, int((v-lo)/width))]++
		}
		pts := make(plotter.XYs, 0, 2*histBins)
		for b, c := range counts {
			y := c / float64(max(1, len(s.x)))
			pts = append(pts, plotter.XY{X: lo + float64(b)*width, Y: y}, plotter.XY{X: lo + float64(b+1)*width, Y: y})
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		l.Color = figures.Series(i)
		l.Width = vg.Points(2)
		p.Add(l)
		p.Legend.Add(s.label, l)
	}
	return nil
}

func column(x []float32, d, j int) []float64 {
	var out []float64
	for i := j; i < len(x); i += d {
		if v := float64(x[i]); !math.IsNaN(v) {
			out = append(out, v)
		}
	}
	return out
}

// imageFigure draws samples of each side and the embedding's MMD² against
// its permutation null.
func imageFigure(path string, r *drift.Report, in Inputs) error {
	size := data.ShapeSize(in.Shape)
	grid := make([][]*plot.Plot, 3)
	for row, side := range []struct {
		x    []float32
		name string
	}{{in.Ref, "reference"}, {in.New, "new"}} {
		grid[row] = make([]*plot.Plot, sampleCols)
		for k := range min(sampleCols, len(side.x)/size) {
			p := plot.New()
			p.Title.Text = fmt.Sprintf("%s %d", side.name, k+1)
			p.HideAxes()
			p.Add(plotter.NewImage(report.ExampleImage(side.x[k*size:(k+1)*size], in.Shape, in.RawMax), 0, 0, 1, 1))
			p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
			grid[row][k] = p
		}
	}
	grid[2] = make([]*plot.Plot, sampleCols)
	if e := r.Embedding; e != nil && len(e.Null) > 0 {
		p := figures.New(fmt.Sprintf("MMD² %.3g, p = %.3g", e.Statistic, *e.PValue), "MMD² under permutations", "count")
		h, err := plotter.NewHist(plotter.Values(e.Null), 20)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		h.FillColor = figures.Grey()
		p.Add(h)
		top := 0.0
		for _, b := range h.Bins {
			top = math.Max(top, b.Weight)
		}
		l, err := plotter.NewLine(plotter.XYs{{X: e.Statistic, Y: 0}, {X: e.Statistic, Y: top}})
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		l.Color, l.Width = figures.Red(), vg.Points(2)
		p.Add(l)
		grid[2][0] = p
	}
	return figures.SaveGridPNG(grid, 9*vg.Inch, 6*vg.Inch, path)
}
