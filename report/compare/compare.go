package compare

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/practica-ml/practica/setup"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/practica-ml/practica/figures"
	"github.com/practica-ml/practica/inference"
	"github.com/practica-ml/practica/internal/atomicfile"
	"github.com/practica-ml/practica/internal/setting"
	"github.com/practica-ml/practica/metrics"
	"github.com/practica-ml/practica/report"
	"github.com/practica-ml/practica/report/evaluation"
	"github.com/practica-ml/practica/rundir"
)

// File is the comparison's JSON (a Comparison), next to report.html.
const File = "compare.json"

// The figures of a comparison.
const (
	curvesPlot   = "compare_curves.png"
	accuracyPlot = "compare_accuracy.png"
)

// Options name the runs to compare. A bad option is a setting error
// (package setting) keyed by the option's name in lower case (dirs, split).
type Options struct {
	// Dirs are the run directories, in the order of the table.
	Dirs []string
	// Split is the split every run is scored on (test by default).
	Split string
	Env   setup.Env
	Args  []string
}

// Comparison is compare.json.
type Comparison struct {
	Split string `json:"split"`
	Runs  []Run  `json:"runs"`
	// McNemar holds one entry per pair of runs scored on the same split
	// (the same examples, in the same order, with the same labels).
	McNemar []McNemarPair `json:"mcnemar"`
	// NotComparable lists pairs scored on different examples.
	NotComparable []string `json:"not_comparable,omitempty"`

	runs []*evaluation.RunInfo
	args []string
}

// Run is one run's line of the comparison table.
type Run struct {
	Name   string `json:"name"`
	RunDir string `json:"run_dir"`
	Model  string `json:"model"`
	Data   string `json:"data"`
	// Config facts that usually differ between compared runs.
	Optimizer  string  `json:"optimizer"`
	LR         float64 `json:"lr"`
	BatchSize  int     `json:"batch_size"`
	Seed       uint64  `json:"seed"`
	EpochsRun  int     `json:"epochs_run"`
	BestEpoch  int     `json:"best_epoch"`
	StopReason string  `json:"stop_reason"`
	ValLoss    float64 `json:"val_loss"`
	Seconds    float64 `json:"seconds"`
	// Scores of the best model on the split.
	N            int        `json:"n"`
	Correct      int        `json:"correct"`
	Accuracy     float64    `json:"accuracy"`
	AccuracyCI95 [2]float64 `json:"accuracy_ci95"`
	MacroF1      float64    `json:"macro_f1"`
	NLL          float64    `json:"nll"`
	ECE          float64    `json:"ece"`
	// SplitID fingerprints the examples and labels scored: runs with the
	// same SplitID were scored on the same examples.
	SplitID string `json:"split_id"`
	// Error says why the run could not be scored (no checkpoint).
	Error string `json:"error,omitempty"`

	correct []bool
}

// McNemarPair is McNemar's test between two runs.
type McNemarPair struct {
	A string `json:"a"`
	B string `json:"b"`
	metrics.McNemarResult
	// Verdict says in words whether the accuracies really differ (at the
	// 5% level), naming the runs by their number in Runs (from 1).
	Verdict string `json:"verdict"`
}

// Runs scores every run's best model on the split and compares them.
func Runs(opt Options) (*Comparison, error) {
	if len(opt.Dirs) < 2 {
		return nil, setting.Errorf("dirs", "needs at least two run directories, got %d", len(opt.Dirs))
	}
	if opt.Split == "" {
		opt.Split = "test"
	}
	if !slices.Contains(inference.SplitNames(), opt.Split) {
		return nil, setting.Errorf("split", "must be train, val, test or all, got %q", opt.Split)
	}
	cmp := &Comparison{Split: opt.Split, McNemar: []McNemarPair{}, args: opt.Args}
	names := map[string]int{}
	for _, dir := range opt.Dirs {
		info, err := evaluation.ReadRun(dir)
		if err != nil {
			return nil, err
		}
		cmp.runs = append(cmp.runs, info)
		cfg := info.Config
		r := Run{Name: filepath.Base(info.Dir.Path), RunDir: info.Dir.Path, Model: cfg.Model.Arch, Data: cfg.Data.Source,
			Optimizer: cfg.Optimizer.Name, LR: cfg.Optimizer.LR, BatchSize: cfg.Training.BatchSize, Seed: cfg.Training.Seed}
		if names[r.Name]++; names[r.Name] > 1 {
			r.Name = fmt.Sprintf("%s (%d)", r.Name, names[r.Name])
		}
		if s := info.Summary; s != nil {
			r.EpochsRun, r.StopReason, r.Seconds = s.EpochsRun, s.StopReason, s.Seconds
			if s.BestEpoch != nil && s.ValLoss != nil {
				r.BestEpoch, r.ValLoss = *s.BestEpoch, *s.ValLoss
			}
		}
		if _, err := os.Stat(info.Dir.Join(rundir.BestCheckpoint)); err != nil {
			r.Error = "no checkpoints/best.ckpt: nothing to score"
			cmp.Runs = append(cmp.Runs, r)
			continue
		}
		e, err := evaluation.Evaluate(dir, evaluation.Options{Split: opt.Split, Env: opt.Env})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
		m := &e.Metrics
		r.N, r.Correct, r.Accuracy, r.AccuracyCI95, r.MacroF1, r.NLL, r.ECE = m.N, m.Correct, m.Accuracy, m.AccuracyCI95, m.MacroAvg.F1, m.NLL, e.Served().ECE
		r.SplitID = splitID(e.X, e.Y)
		r.correct = make([]bool, len(e.Y))
		for i, y := range e.Y {
			r.correct[i] = e.Predicted[i] == y
		}
		cmp.Runs = append(cmp.Runs, r)
	}
	for i := range cmp.Runs {
		for j := i + 1; j < len(cmp.Runs); j++ {
			a, b := &cmp.Runs[i], &cmp.Runs[j]
			if a.Error != "" || b.Error != "" {
				continue
			}
			if a.SplitID != b.SplitID {
				cmp.NotComparable = append(cmp.NotComparable, fmt.Sprintf("Run %d (%s) and run %d (%s) were scored on different %s examples (another data source, seed or split fractions): McNemar's test does not apply.", i+1, a.Name, j+1, b.Name, opt.Split))
				continue
			}
			res, err := metrics.McNemar(a.correct, b.correct)
			if err != nil {
				return nil, err
			}
			cmp.McNemar = append(cmp.McNemar, McNemarPair{A: a.Name, B: b.Name, McNemarResult: res,
				Verdict: mcnemarVerdict(fmt.Sprintf("run %d", i+1), fmt.Sprintf("run %d", j+1), res)})
		}
	}
	return cmp, nil
}

func mcnemarVerdict(a, b string, r metrics.McNemarResult) string {
	d := r.OnlyA + r.OnlyB
	if d == 0 {
		return "they are right and wrong on exactly the same examples: no difference"
	}
	better, worse, nb, nw := a, b, r.OnlyA, r.OnlyB
	if r.OnlyB > r.OnlyA {
		better, worse, nb, nw = b, a, r.OnlyB, r.OnlyA
	}
	if r.PValue < 0.05 {
		return fmt.Sprintf("%s is really better than %s (p = %.2g < 0.05): of the %d examples only one of them gets right, %s gets %d and %s %d", better, worse, r.PValue, d, better, nb, worse, nw)
	}
	if nb == nw {
		return fmt.Sprintf("no difference (p = %.2g): each gets %d examples right that the other gets wrong", r.PValue, nb)
	}
	return fmt.Sprintf("no real difference (p = %.2g ≥ 0.05): %s gets %d examples right that %s misses, and %d the other way round, which chance explains", r.PValue, better, nb, worse, nw)
}

// splitID fingerprints examples and labels.
func splitID(x []float32, y []int) string {
	h := fnv.New64a()
	var b [8]byte
	for _, v := range x {
		binary.LittleEndian.PutUint32(b[:4], math.Float32bits(v))
		h.Write(b[:4])
	}
	for _, v := range y {
		binary.LittleEndian.PutUint64(b[:], uint64(v))
		h.Write(b[:])
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

// Write writes compare.json, the figures and report.html into out.
func (cmp *Comparison) Write(out string) ([]string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	b, err := report.JSON(cmp)
	if err != nil {
		return nil, err
	}
	files := []string{File}
	if err := atomicfile.Write(filepath.Join(out, File), b); err != nil {
		return nil, err
	}
	if err := cmp.curvesPNG(filepath.Join(out, curvesPlot)); err != nil {
		return nil, err
	}
	files = append(files, curvesPlot)
	if err := cmp.accuracyPNG(filepath.Join(out, accuracyPlot)); err != nil {
		return nil, err
	}
	files = append(files, accuracyPlot)
	page, err := cmp.html(out)
	if err != nil {
		return nil, err
	}
	files = append(files, report.HTMLFile)
	return files, atomicfile.Write(filepath.Join(out, report.HTMLFile), page)
}

// curvesPNG overlays every run's validation loss and accuracy per epoch.
func (cmp *Comparison) curvesPNG(path string) error {
	loss := figures.New("Validation loss per epoch", "", "validation loss")
	acc := figures.New("", "epoch", "validation accuracy")
	maxEpoch := 2.0
	logOK := true
	for k, info := range cmp.runs {
		if len(info.History) == 0 {
			continue
		}
		lp, ap := make(plotter.XYs, len(info.History)), make(plotter.XYs, len(info.History))
		for i, m := range info.History {
			lp[i] = plotter.XY{X: float64(m.Epoch), Y: m.ValLoss}
			ap[i] = plotter.XY{X: float64(m.Epoch), Y: m.ValAccuracy}
			maxEpoch = math.Max(maxEpoch, float64(m.Epoch))
			if !(m.ValLoss > 0) || math.IsInf(m.ValLoss, 0) {
				logOK = false
			}
		}
		col := figures.Series(k)
		for _, s := range []struct {
			p   *plot.Plot
			pts plotter.XYs
		}{{loss, lp}, {acc, ap}} {
			l, pts, err := plotter.NewLinePoints(s.pts)
			if err != nil {
				return err
			}
			l.Color, l.Width = col, vg.Points(2)
			pts.Color, pts.Shape, pts.Radius = col, draw.CircleGlyph{}, vg.Points(2)
			s.p.Add(l, pts)
			if s.p == loss {
				s.p.Legend.Add(report.Shorten(cmp.Runs[k].Name, 48), l, pts)
			}
		}
	}
	for _, p := range []*plot.Plot{loss, acc} {
		p.X.Min, p.X.Max = 1, maxEpoch
		p.Add(plotter.NewGrid())
	}
	if logOK {
		loss.Y.Scale = plot.LogScale{}
		loss.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		loss.Y.Label.Text = "validation loss (log scale)"
	}
	return figures.SaveStackPNG([]*plot.Plot{loss, acc}, 9*vg.Inch, 8*vg.Inch, path)
}

// accuracyPNG draws each run's accuracy on the split with its 95%
// Wilson interval.
func (cmp *Comparison) accuracyPNG(path string) error {
	p := figures.New(fmt.Sprintf("Accuracy on the %s split, with 95%% intervals", cmp.Split), "run", "accuracy")
	var names []string
	var pts plotter.XYs
	var errs plotter.YErrors
	for i, r := range cmp.Runs {
		names = append(names, fmt.Sprintf("%d", i+1))
		if r.Error != "" {
			continue
		}
		pts = append(pts, plotter.XY{X: float64(i), Y: r.Accuracy})
		errs = append(errs, struct{ Low, High float64 }{r.Accuracy - r.AccuracyCI95[0], r.AccuracyCI95[1] - r.Accuracy})
	}
	if len(pts) > 0 {
		s, err := plotter.NewScatter(pts)
		if err != nil {
			return err
		}
		s.Color, s.Shape, s.Radius = figures.Blue(), draw.CircleGlyph{}, vg.Points(5)
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYs
			plotter.YErrors
		}{pts, errs})
		if err != nil {
			return err
		}
		eb.Color, eb.Width, eb.CapWidth = figures.Blue(), vg.Points(2), vg.Points(12)
		p.Add(plotter.NewGrid(), eb, s)
	}
	p.NominalX(names...)
	pad := 0.08 * (p.Y.Max - p.Y.Min)
	p.Y.Min, p.Y.Max = math.Max(0, p.Y.Min-pad), math.Min(1, p.Y.Max+pad)
	p.X.Label.Text = "run (numbered as in the table)"
	p.X.Min, p.X.Max = -0.5, float64(len(cmp.Runs))-0.5
	return figures.SavePNG(p, vg.Length(math.Max(6, 1.2*float64(len(cmp.Runs))+3))*vg.Inch, 4.5*vg.Inch, path)
}
