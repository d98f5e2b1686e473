package report

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/practica-ml/practica/setup"

	"github.com/practica-ml/practica/calibration"
	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/inference"
	"github.com/practica-ml/practica/metrics"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/train"
)

// DefaultBins is the number of confidence bins of the calibration metrics.
const DefaultBins = 15

// bootstrapResamples and bootstrapSeed fix the ECE interval.
const (
	bootstrapResamples = 200
	bootstrapSeed      = 1
)

// Splits eval accepts: the three of training, and all of them together.
var Splits = []string{"train", "val", "test", "all"}

// EvalOptions choose what eval scores.
type EvalOptions struct {
	// Split is train, val, test (the default) or all.
	Split string
	// Data, when set, is another source to score the run's model on,
	// opened and split with the run's data settings (label column, image
	// size, fractions, seed); its classes and features are matched to the
	// model's by name.
	Data string
	// Checkpoint is the model file (default RUN/checkpoints/best.ckpt).
	Checkpoint string
	// Bins is the number of confidence bins (when 0, the run's
	// calibration.bins, else DefaultBins).
	Bins int
	Env  setup.Env
	// Args is eval's command line, shown in the report.
	Args []string
}

// SplitCounts is one split's size and class balance.
type SplitCounts struct {
	Name   string
	N      int
	Counts []int
}

// Evaluation is a run's model scored on a split: everything metrics.json,
// predictions.csv, the figures and report.html are made of.
type Evaluation struct {
	Run        *RunInfo
	Checkpoint *model.Checkpoint
	// Options are the options the evaluation ran with, defaults filled.
	Options EvalOptions
	Metrics Metrics
	// Kind and Shape describe one example; X holds the raw examples
	// scored (for the top-losses grid), Y their labels.
	Kind  data.Kind
	Shape []int
	X     []float32
	Y     []int
	// Logits, Probs (softmax(logits)) and Predicted per example.
	Logits    []float32
	Probs     []float64
	Predicted []int
	// SplitCounts are the run's own splits (train, val, test).
	SplitCounts []SplitCounts
	// Before and After are the calibration reports of softmax(logits) and
	// softmax(logits/T).
	Before, After calibration.Report
	// ROC and PR are the two-class curves (nil otherwise).
	ROC, PR []metrics.Point
}

// Evaluate scores a run's model (best.ckpt unless opt.Checkpoint) on a
// split of its own data, drawn exactly as training drew it, or on another
// source.
func Evaluate(runPath string, opt EvalOptions) (*Evaluation, error) {
	if opt.Split == "" {
		opt.Split = "test"
	}
	if !slices.Contains(Splits, opt.Split) {
		return nil, fmt.Errorf("--split must be train, val, test or all, got %q", opt.Split)
	}
	info, err := ReadRun(runPath)
	if err != nil {
		return nil, err
	}
	if opt.Bins == 0 {
		opt.Bins = info.Config.Calibration.Bins
	}
	if opt.Bins == 0 {
		opt.Bins = DefaultBins
	}
	if opt.Bins < 2 || opt.Bins > 1000 {
		return nil, fmt.Errorf("--bins must be between 2 and 1000, got %d", opt.Bins)
	}
	if opt.Checkpoint == "" {
		opt.Checkpoint = info.Dir.Join(rundir.BestCheckpoint)
	}
	p, err := inference.Load(opt.Checkpoint)
	if err != nil {
		return nil, err
	}
	own, err := setup.OpenSplits(info.Config, opt.Env)
	if err != nil {
		return nil, err
	}
	e := &Evaluation{Run: info, Checkpoint: p.Checkpoint, Options: opt, Kind: p.Checkpoint.Input.Kind, Shape: p.Checkpoint.Input.Shape}
	for _, s := range []struct {
		name string
		d    *data.Dataset
	}{{"train", own.Train}, {"val", own.Val}, {"test", own.Test}} {
		e.SplitCounts = append(e.SplitCounts, SplitCounts{Name: s.name, N: s.d.Len(), Counts: s.d.ClassCounts()})
	}
	source := info.Config.Data.Source
	splits := own
	if opt.Data != "" {
		cfg := info.Config
		cfg.Data.Source, cfg.Data.Labels = opt.Data, ""
		if splits, err = setup.OpenSplits(cfg, opt.Env); err != nil {
			return nil, err
		}
		source = opt.Data
	}
	d, err := pickSplit(splits, opt.Split, source)
	if err != nil {
		return nil, err
	}
	if e.X, e.Y, err = conform(d, p.Checkpoint); err != nil {
		return nil, err
	}
	if e.Logits, err = p.Logits(e.X); err != nil {
		return nil, err
	}
	classes := p.Checkpoint.Classes
	c := len(classes)
	e.Predicted = make([]int, len(e.Y))
	for i := range e.Predicted {
		e.Predicted[i] = train.Argmax(e.Logits[i*c : (i+1)*c])
	}
	temp, tempSource, err := temperature(p, own.Val, opt.Split, opt.Data != "")
	if err != nil {
		return nil, err
	}
	before := calibration.Softmax(e.Logits, c, 1)
	after := calibration.Softmax(e.Logits, c, temp)
	e.Before = calibration.WithInterval(calibration.Evaluate(before, e.Y, c, opt.Bins), before, e.Y, c, opt.Bins, bootstrapResamples, bootstrapSeed)
	e.After = calibration.WithInterval(calibration.Evaluate(after, e.Y, c, opt.Bins), after, e.Y, c, opt.Bins, bootstrapResamples, bootstrapSeed)
	m := &e.Metrics
	m.RunDir, m.Checkpoint, m.Data, m.Split, m.Classes = info.Dir.Path, opt.Checkpoint, source, opt.Split, classes
	// The probabilities reported per example are those predict serves:
	// calibrated when the checkpoint carries a temperature.
	e.Probs, m.Probabilities = before, "uncalibrated: softmax(logits), as predict serves them (the checkpoint has no temperature)"
	served := e.Before
	if ckptTemperature(p.Checkpoint) != 1 {
		e.Probs, m.Probabilities, served = after, "calibrated: softmax(logits/T) with the checkpoint's temperature, as predict serves them", e.After
	}
	cls, err := metrics.Classify(e.Y, e.Predicted, classes)
	if err != nil {
		return nil, err
	}
	m.N, m.Correct, m.Accuracy, m.AccuracyCI95 = cls.N, cls.Correct, cls.Accuracy, cls.AccuracyCI95
	m.PerClass, m.MacroAvg, m.WeightedAvg, m.ConfusionMatrix = cls.PerClass, cls.Macro, cls.Weighted, cls.Confusion
	m.MostConfused = metrics.MostConfused(cls.Confusion, classes, 10)
	for _, k := range metrics.WorstClasses(cls.PerClass, min(3, c)) {
		m.WorstClasses = append(m.WorstClasses, classes[k])
	}
	m.Temperature, m.TemperatureSource = temp, tempSource
	m.Calibration = CalibrationBlock{Bins: opt.Bins, Before: calibrationOf(e.Before), After: calibrationOf(e.After)}
	m.NLL, m.Brier = served.NLL, served.Brier
	m.ECEBefore, m.ECEAfter, m.MCEBefore, m.MCEAfter = e.Before.ECE, e.After.ECE, e.Before.MCE, e.After.MCE
	if c == 2 {
		if err := e.binary(); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// binary fills the two-class metrics: class 1 is the positive class.
func (e *Evaluation) binary() error {
	scores := make([]float64, len(e.Y))
	pos := make([]bool, len(e.Y))
	for i, y := range e.Y {
		scores[i], pos[i] = e.Probs[2*i+1], y == 1
	}
	m := &e.Metrics
	m.PositiveClass = m.Classes[1]
	half := 0.5
	m.Threshold = &half
	var auc, ap float64
	var err error
	if e.ROC, auc, err = metrics.ROC(scores, pos); err == nil {
		m.ROCAUC = &auc
	}
	if e.PR, ap, err = metrics.PR(scores, pos); err == nil {
		m.PRAUC = &ap
	}
	return nil
}

// temperature is the checkpoint's temperature when training stored one,
// else one fitted here on the run's validation split.
func temperature(p *inference.Predictor, val *data.Dataset, split string, otherData bool) (float64, string, error) {
	if t := ckptTemperature(p.Checkpoint); t != 1 {
		return t, "checkpoint (fitted by train on the validation split)", nil
	}
	if val.Len() == 0 {
		return 1, "none: the checkpoint has no temperature and the run has no validation split to fit one", nil
	}
	x, y, err := conform(val, p.Checkpoint)
	if err != nil {
		return 0, "", err
	}
	logits, err := p.Logits(x)
	if err != nil {
		return 0, "", err
	}
	t, err := calibration.FitTemperature(logits, y, len(p.Checkpoint.Classes))
	if errors.Is(err, calibration.ErrSeparable) {
		return 1, fmt.Sprintf("none: the model gets all %d validation examples right, so no temperature can be fitted there (the NLL keeps falling as T → 0)", val.Len()), nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("fitting a temperature on the validation split: %w", err)
	}
	src := fmt.Sprintf("fitted by eval on the run's validation split (%d examples); the checkpoint has none", val.Len())
	if split == "val" && !otherData {
		src += "; fitted and scored on the same split, so the 'after' figures are optimistic"
	}
	return t, src, nil
}

// ckptTemperature is the checkpoint's temperature, 1 when it has none.
func ckptTemperature(c *model.Checkpoint) float64 {
	if c.Temperature > 0 {
		return c.Temperature
	}
	return 1
}

func pickSplit(sp *data.Splits, split, source string) (*data.Dataset, error) {
	var d *data.Dataset
	switch split {
	case "train":
		d = sp.Train
	case "val":
		d = sp.Val
	case "test":
		d = sp.Test
	case "all":
		d = concat(sp.Train, sp.Val, sp.Test)
	}
	if d.Len() == 0 {
		return nil, fmt.Errorf("the %s split of %s is empty; choose another with --split", split, source)
	}
	return d, nil
}

func concat(ds ...*data.Dataset) *data.Dataset {
	out := *ds[0]
	out.X, out.Y = nil, nil
	for _, d := range ds {
		out.X = append(out.X, d.X...)
		out.Y = append(out.Y, d.Y...)
	}
	return &out
}

// conform brings a dataset to the model's input: features in the
// checkpoint's order (tabular), pixels at the training scale (images) and
// labels as the checkpoint's class indices, matched by name.
func conform(d *data.Dataset, c *model.Checkpoint) ([]float32, []int, error) {
	in := c.Input
	if d.Kind != in.Kind {
		return nil, nil, fmt.Errorf("%s holds %s data; the model takes %s data", d.Source, d.Kind, in.Kind)
	}
	x := d.X
	switch d.Kind {
	case data.Tabular:
		if !slices.Equal(d.FeatureNames, in.FeatureNames) {
			col := make(map[string]int, len(d.FeatureNames))
			for i, n := range d.FeatureNames {
				col[n] = i
			}
			idx := make([]int, len(in.FeatureNames))
			for j, n := range in.FeatureNames {
				i, ok := col[n]
				if !ok {
					return nil, nil, fmt.Errorf("%s has no feature %q, which the model takes", d.Source, n)
				}
				idx[j] = i
			}
			s := d.SampleSize()
			x = make([]float32, d.Len()*len(idx))
			for r := 0; r < d.Len(); r++ {
				for j, i := range idx {
					x[r*len(idx)+j] = d.X[r*s+i]
				}
			}
		}
	case data.Image:
		if !slices.Equal(d.Shape, in.Shape) {
			return nil, nil, fmt.Errorf("%s has images of shape %v; the model takes %v", d.Source, d.Shape, in.Shape)
		}
		if d.RawMax > 0 && in.RawMax > 0 && d.RawMax != in.RawMax {
			scale := in.RawMax / d.RawMax
			x = make([]float32, len(d.X))
			for i, v := range d.X {
				x[i] = v * scale
			}
		}
	}
	y := d.Y
	if !slices.Equal(d.Classes, c.Classes) {
		index := make(map[string]int, len(c.Classes))
		for i, n := range c.Classes {
			index[n] = i
		}
		remap := make([]int, len(d.Classes))
		for i, n := range d.Classes {
			k, ok := index[n]
			if !ok {
				return nil, nil, fmt.Errorf("%s has class %q, which the model does not know (its classes: %v)", d.Source, n, c.Classes)
			}
			remap[i] = k
		}
		y = make([]int, len(d.Y))
		for i, v := range d.Y {
			y[i] = remap[v]
		}
	}
	return x, y, nil
}

// TopLosses returns up to k examples the model got wrong, most confident
// first; when it got none wrong, the k right ones it was least sure of.
// wrong tells which of the two it is.
func (e *Evaluation) TopLosses(k int) (idx []int, wrong bool) {
	c := len(e.Metrics.Classes)
	conf := func(i int) float64 { return e.Probs[i*c+e.Predicted[i]] }
	for i := range e.Y {
		if e.Predicted[i] != e.Y[i] {
			idx = append(idx, i)
		}
	}
	if len(idx) > 0 {
		sort.SliceStable(idx, func(a, b int) bool { return conf(idx[a]) > conf(idx[b]) })
		return idx[:min(k, len(idx))], true
	}
	idx = make([]int, len(e.Y))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return conf(idx[a]) < conf(idx[b]) })
	return idx[:min(k, len(idx))], false
}

// Loss is example i's cross-entropy, −log p(actual class).
func (e *Evaluation) Loss(i int) float64 {
	c := len(e.Metrics.Classes)
	return -math.Log(e.Probs[i*c+e.Y[i]])
}
