package figures

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/practica-ml/practica/train"
)

var blue, orange, green, grey = Blue(), Orange(), Green(), Grey()

// CurvesPNG draws curves.png: the training (eval-mode) and validation
// loss, and below them the validation accuracy, per epoch, with the best
// epoch (an index into history) marked and the stop reason in the title.
func CurvesPNG(path string, history []train.EpochMetrics, best int, stopReason string) error {
	n := len(history)
	trainPts, valPts, accPts := make(plotter.XYs, n), make(plotter.XYs, n), make(plotter.XYs, n)
	for i, m := range history {
		x := float64(m.Epoch)
		trainPts[i] = plotter.XY{X: x, Y: m.TrainEvalLoss}
		valPts[i] = plotter.XY{X: x, Y: m.ValLoss}
		accPts[i] = plotter.XY{X: x, Y: m.ValAccuracy}
	}
	title := fmt.Sprintf("Training curves: stopped by %s after %d epochs", stopReason, n)
	if stopReason == "" {
		title = fmt.Sprintf("Training curves: %d epochs", n)
	}
	lossPlot := New(title, "", "loss (cross-entropy)")
	accPlot := New("", "epoch", "validation accuracy")
	if err := addLine(lossPlot, trainPts, "train loss (eval mode, fixed subset)", blue); err != nil {
		return err
	}
	if err := addLine(lossPlot, valPts, "validation loss", orange); err != nil {
		return err
	}
	if err := addLine(accPlot, accPts, "validation accuracy", green); err != nil {
		return err
	}
	if best >= 0 && best < n {
		b := history[best]
		for _, p := range []*plot.Plot{lossPlot, accPlot} {
			lo, hi := p.Y.Min, p.Y.Max
			if lo <= 0 && p == lossPlot {
				lo = hi / 1e6
			}
			marker, err := plotter.NewLine(plotter.XYs{{X: float64(b.Epoch), Y: lo}, {X: float64(b.Epoch), Y: hi}})
			if err != nil {
				return err
			}
			marker.Color = grey
			marker.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			p.Add(marker)
			p.Legend.Add(fmt.Sprintf("best epoch %d (val loss %.4f, acc %.4f)", b.Epoch, b.ValLoss, b.ValAccuracy), marker)
		}
	}
	for _, p := range []*plot.Plot{lossPlot, accPlot} {
		p.X.Min, p.X.Max = 1, float64(max(history[n-1].Epoch, 2))
		p.Add(plotter.NewGrid())
	}
	accPlot.Legend.Top = false
	if positive(trainPts) && positive(valPts) && spread(trainPts, valPts) > 10 {
		// Losses spanning decades get a log axis, which keeps the late
		// epochs readable; within one decade its ticks (powers of ten)
		// would leave the axis unlabelled, so it stays linear.
		lossPlot.Y.Scale = plot.LogScale{}
		lossPlot.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		lossPlot.Y.Label.Text = "loss (cross-entropy, log scale)"
	}
	return SaveStackPNG([]*plot.Plot{lossPlot, accPlot}, 8*vg.Inch, 7*vg.Inch, path)
}

// spread is the ratio of the largest to the smallest y of the series.
func spread(series ...plotter.XYs) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, pts := range series {
		for _, p := range pts {
			lo, hi = math.Min(lo, p.Y), math.Max(hi, p.Y)
		}
	}
	return hi / lo
}

func positive(pts plotter.XYs) bool {
	for _, p := range pts {
		if !(p.Y > 0) {
			return false
		}
	}
	return true
}

func addLine(p *plot.Plot, pts plotter.XYs, label string, c color.Color) error {
	l, s, err := plotter.NewLinePoints(pts)
	if err != nil {
		return err
	}
	l.Color, l.Width = c, vg.Points(2)
	s.Color, s.Shape = c, draw.CircleGlyph{}
	s.Radius = vg.Points(2)
	p.Add(l, s)
	p.Legend.Add(label, l, s)
	return nil
}
