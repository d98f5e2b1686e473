package figures

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/practica-ml/practica/feasibility"
	"github.com/practica-ml/practica/rundir"
)

func colour(i int) color.Color { return Series(i) }

// WriteFeasibility draws the plots of the feasibility tests that ran
// (overfit_loss.png, probe_accuracy.png, pca_scatter.png) into dir, each
// atomically, and returns the names written.
func WriteFeasibility(dir *rundir.Dir, r *feasibility.Report) ([]string, error) {
	var files []string
	if r.OverfitOne != nil || r.OverfitBatch != nil {
		if err := OverfitLossPNG(dir.Join(rundir.OverfitLossPlot), r); err != nil {
			return nil, err
		}
		files = append(files, rundir.OverfitLossPlot)
	}
	if r.NaiveEmbeddings != nil {
		if err := ProbeAccuracyPNG(dir.Join(rundir.ProbePlot), r.NaiveEmbeddings); err != nil {
			return nil, err
		}
		files = append(files, rundir.ProbePlot)
	}
	if r.Clustering != nil {
		if err := PCAScatterPNG(dir.Join(rundir.PCAScatterPlot), r.Clustering); err != nil {
			return nil, err
		}
		files = append(files, rundir.PCAScatterPlot)
	}
	return files, nil
}

// lossFloor keeps zero losses drawable on the log axis.
const lossFloor = 1e-6

// OverfitLossPNG draws overfit_loss.png: the overfit tests' loss curves
// (eval-mode loss per step, log scale) with each test's pass threshold.
func OverfitLossPNG(path string, r *feasibility.Report) error {
	p := New("Overfit tests: eval-mode loss on the memorized examples", "optimizer step", "eval-mode cross-entropy (log scale)")
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Left = false
	lo, hi := math.Inf(1), math.Inf(-1)
	maxStep := 1
	type curve struct {
		name  string
		loss  []feasibility.Float
		thr   float64
		col   int
		dash  bool
		glyph bool
	}
	var curves []curve
	if o := r.OverfitOne; o != nil {
		curves = append(curves, curve{fmt.Sprintf("overfit-one (%s)", o.Verdict), o.LossCurve, float64(o.Threshold), 0, false, true})
	}
	if o := r.OverfitBatch; o != nil {
		curves = append(curves, curve{fmt.Sprintf("overfit-batch %d (%s)", o.Examples, o.Verdict), o.LossCurve, float64(o.Threshold), 1, false, true})
		if b := o.ZeroInput; b != nil {
			name := fmt.Sprintf("overfit-batch %d, inputs zeroed", o.Examples)
			if b.AtFloor {
				name += fmt.Sprintf(" (stopped at its floor %.3g)", b.LabelEntropy)
			}
			curves = append(curves, curve{name, b.LossCurve, 0, 3, true, false})
		}
	}
	for _, c := range curves {
		var xys plotter.XYs
		for step, v := range c.loss {
			if !finite(float64(v)) {
				break
			}
			y := math.Max(float64(v), lossFloor)
			xys = append(xys, plotter.XY{X: float64(step), Y: y})
			lo, hi = math.Min(lo, y), math.Max(hi, y)
		}
		maxStep = max(maxStep, len(c.loss)-1)
		if len(xys) == 0 {
			continue
		}
		l, s, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		l.Color, l.Width = colour(c.col), vg.Points(2)
		if c.dash {
			l.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		}
		if c.glyph && len(xys) <= 60 {
			s.Color, s.Radius, s.Shape = colour(c.col), vg.Points(2.5), draw.CircleGlyph{}
			p.Add(l, s)
			p.Legend.Add(c.name, l, s)
		} else {
			p.Add(l)
			p.Legend.Add(c.name, l)
		}
		if c.thr > 0 {
			lo = math.Min(lo, c.thr)
		}
	}
	for _, c := range curves {
		if c.thr <= 0 {
			continue
		}
		t, err := plotter.NewLine(plotter.XYs{{X: 0, Y: c.thr}, {X: float64(maxStep), Y: c.thr}})
		if err != nil {
			return err
		}
		t.Color, t.Width, t.Dashes = colour(c.col), vg.Points(1), []vg.Length{vg.Points(2), vg.Points(2)}
		p.Add(t)
		p.Legend.Add(fmt.Sprintf("pass threshold %.3g (%s)", c.thr, c.name[:indexByte(c.name, ' ')]), t)
	}
	if !math.IsInf(lo, 0) {
		p.Y.Min, p.Y.Max = lo/2, hi*20 // room above the curves for the legend
	}
	p.X.Min, p.X.Max = 0, float64(maxStep)
	p.X.Tick.Marker = stepTicks{}
	p.Add(plotter.NewGrid())
	return SavePNG(p, 8*vg.Inch, 5*vg.Inch, path)
}

// stepTicks labels a step axis with whole numbers at 1, 2 or 5 × 10^k
// intervals, about six of them.
type stepTicks struct{}

// Ticks implements plot.Ticker.
func (stepTicks) Ticks(lo, hi float64) []plot.Tick {
	span := math.Max(hi-lo, 1)
	step := 1.0
	for k := 1.0; ; k *= 10 {
		if step = k; span/step <= 8 {
			break
		}
		if step = 2 * k; span/step <= 8 {
			break
		}
		if step = 5 * k; span/step <= 8 {
			break
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+1e-9; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: fmt.Sprintf("%.0f", v)})
		if minor := v + step/2; step >= 2 && minor < hi {
			ticks = append(ticks, plot.Tick{Value: minor})
		}
	}
	return ticks
}

func indexByte(s string, b byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return i
		}
	}
	return len(s)
}

// ProbeAccuracyPNG draws probe_accuracy.png: the naive-embedding probes'
// accuracies as grouped bars (linear and k-NN per embedding) with the
// chance and majority-class lines.
func ProbeAccuracyPNG(path string, n *feasibility.NaiveResult) error {
	p := New(fmt.Sprintf("Naive-embedding probes on %d validation examples: %s", n.ValExamples, n.Verdict), "embedding", "validation accuracy")
	var names []string
	lin, knn := plotter.Values{}, plotter.Values{}
	for _, e := range n.Embeddings {
		names = append(names, e.Name)
		for _, pr := range n.Probes {
			if pr.Embedding != e.Name {
				continue
			}
			if pr.Classifier == feasibility.ClassifierLinear {
				lin = append(lin, pr.Accuracy)
			} else {
				knn = append(knn, pr.Accuracy)
			}
		}
	}
	w := vg.Points(40)
	for i, s := range []struct {
		name string
		v    plotter.Values
	}{{"linear (softmax)", lin}, {fmt.Sprintf("k-NN (k=%d, cosine)", n.KNN), knn}} {
		b, err := plotter.NewBarChart(s.v, w)
		if err != nil {
			return err
		}
		b.Color, b.LineStyle.Width = colour(i), 0
		b.Offset = w * vg.Length(2*i-1) / 2
		p.Add(b)
		p.Legend.Add(s.name, b)
		labels := plotter.XYLabels{}
		for j, v := range s.v {
			labels.XYs = append(labels.XYs, plotter.XY{X: float64(j), Y: v})
			labels.Labels = append(labels.Labels, fmt.Sprintf("%.2f", v))
		}
		l, err := plotter.NewLabels(labels)
		if err != nil {
			return err
		}
		for k := range l.TextStyle {
			l.TextStyle[k].XAlign = draw.XCenter
			l.TextStyle[k].Font.Size = vg.Points(9)
		}
		l.Offset = vg.Point{X: b.Offset, Y: vg.Points(2)}
		p.Add(l)
	}
	lines := []struct {
		name   string
		y      float64
		colour color.Color
		dashes []vg.Length
	}{
		{fmt.Sprintf("majority class %q: %.3f", n.MajorityClass, n.MajorityRate), n.MajorityRate, color.Black, nil},
		{fmt.Sprintf("chance 1/%d: %.3f", n.Classes, n.Chance), n.Chance, color.Gray{Y: 110}, []vg.Length{vg.Points(5), vg.Points(3)}},
	}
	if n.SignalAccuracy <= 1 {
		lines = append(lines, struct {
			name   string
			y      float64
			colour color.Color
			dashes []vg.Length
		}{fmt.Sprintf("needed for SIGNAL: %.3f (+%g pts, p < %.2g)", n.SignalAccuracy, 100*n.MinMargin, n.CorrectedAlpha), n.SignalAccuracy, color.RGBA{214, 39, 40, 255}, []vg.Length{vg.Points(2), vg.Points(2)}})
	}
	for _, h := range lines {
		f := plotter.NewFunction(func(float64) float64 { return h.y })
		f.Color, f.Width, f.Dashes = h.colour, vg.Points(1.5), h.dashes
		p.Add(f)
		p.Legend.Add(h.name, f)
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(names))-0.4
	p.Y.Min, p.Y.Max = 0, 1.45 // room above the bars for the legend
	p.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: "0"}, {Value: 0.2, Label: "0.2"}, {Value: 0.4, Label: "0.4"},
		{Value: 0.6, Label: "0.6"}, {Value: 0.8, Label: "0.8"}, {Value: 1, Label: "1"}})
	p.Legend.Left = true
	return SavePNG(p, 8*vg.Inch, 5*vg.Inch, path)
}

// PCAScatterPNG draws pca_scatter.png: the clustered points on the
// embedding's first two principal components, coloured by their label.
func PCAScatterPNG(path string, c *feasibility.ClusterResult) error {
	p := New(fmt.Sprintf("%s embedding on its first two principal components, coloured by label (%d points)", c.Embedding, c.ScatterPoints),
		"principal component 1", "principal component 2")
	byClass := make([]plotter.XYs, len(c.ClassNames))
	xmin, xmax := math.Inf(1), math.Inf(-1)
	for i, y := range c.ScatterLabels {
		pt := plotter.XY{X: float64(c.ScatterXY[2*i]), Y: float64(c.ScatterXY[2*i+1])}
		byClass[y] = append(byClass[y], pt)
		xmin, xmax = math.Min(xmin, pt.X), math.Max(xmax, pt.X)
	}
	legend := len(c.ClassNames) <= 20
	for k, pts := range byClass {
		if len(pts) == 0 {
			continue
		}
		s, err := plotter.NewScatter(pts)
		if err != nil {
			return err
		}
		s.Color, s.Radius = colour(k), vg.Points(2)
		s.Shape = draw.CircleGlyph{}
		if k >= len(tab10) {
			s.Shape = plotutil.Shape(k / len(tab10))
		}
		p.Add(s)
		if legend {
			p.Legend.Add("class "+c.ClassNames[k], s)
		}
	}
	if legend && xmax > xmin {
		p.X.Min, p.X.Max = xmin, xmax+0.3*(xmax-xmin) // the legend sits right of the points
	}
	p.Legend.Left = false
	return SavePNG(p, 8*vg.Inch, 6*vg.Inch, path)
}
