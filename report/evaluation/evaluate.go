package evaluation

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"

	"github.com/practica-ml/practica/setup"

	"github.com/practica-ml/practica/calibration"
	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/inference"
	"github.com/practica-ml/practica/internal/setting"
	"github.com/practica-ml/practica/metrics"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/train"
)

// Options choose what eval scores. A bad option is a setting error
// (package setting) keyed by the option's name in lower case (split, bins,
// bootstrap).
type Options struct {
	// Split is train, val, test (the default) or all.
	Split string
	// Data, when set, is another source to score the run's model on,
	// opened and split with the run's data settings (label column, image
	// size, fractions, seed); its classes and features are matched to the
	// model's by name.
	Data string
	// LabelColumn is Data's label column (a CSV); "" means the one the
	// checkpoint's labels came from, whatever its place in Data.
	LabelColumn string
	// Checkpoint is the model file (default RUN/checkpoints/best.ckpt).
	Checkpoint string
	// Bins is the number of confidence bins (when 0, the run's
	// calibration.bins).
	Bins int
	// Bootstrap is the number of resamples of the ECE intervals (nil: the
	// run's calibration.bootstrap; 0: no interval) and BootstrapSeed
	// their seed (nil: the run's training.seed), so that scoring the
	// run's test split gives the numbers of its calibration.json.
	Bootstrap     *int
	BootstrapSeed *uint64
	Env           setup.Env
	// Args is eval's command line, shown in the report.
	Args []string
}

// splitCounts is one split's size and class balance.
type splitCounts struct {
	Name   string
	N      int
	Counts []int
}

// Result is a run's model scored on a split: everything metrics.json,
// predictions.csv, the figures and report.html are made of.
type Result struct {
	Run     *RunInfo
	Metrics Metrics
	// X holds the raw examples scored, in the model's feature order, Y
	// their labels (the checkpoint's class indices) and Predicted the
	// classes the model predicts.
	X         []float32
	Y         []int
	Predicted []int
	// DataWarnings say that the run's data could not be checked against
	// the fingerprint in its meta.json, or differ from it and were
	// allowed (Options.Env.AllowDataChange).
	DataWarnings []string

	// opt are the options the evaluation ran with, defaults filled.
	opt        Options
	checkpoint *model.Checkpoint
	// kind and shape describe one example.
	kind  data.Kind
	shape []int
	// logits per example, and probs the probabilities predict serves
	// (softmax(logits/T) when the checkpoint has a temperature).
	logits []float32
	probs  []float64
	// uncalibrated says why predict serves this checkpoint uncalibrated
	// and how to calibrate it; nil when the checkpoint has a temperature.
	uncalibrated *uncalibrated
	// splitCounts are the run's own splits (train, val, test).
	splitCounts []splitCounts
	// roc and pr are the two-class curves (nil otherwise).
	roc, pr []metrics.Point
	// attributions are an image run's Integrated Gradients
	// (AddAttributions); nil when not asked for.
	attributions *attributions
}

// Evaluate scores a run's model (best.ckpt unless opt.Checkpoint) on a
// split of its own data, drawn exactly as training drew it, or on another
// source.
func Evaluate(runPath string, opt Options) (*Result, error) {
	if opt.Split == "" {
		opt.Split = "test"
	}
	if !slices.Contains(inference.SplitNames(), opt.Split) {
		return nil, setting.Errorf("split", "must be train, val, test or all, got %q", opt.Split)
	}
	info, err := ReadRun(runPath)
	if err != nil {
		return nil, err
	}
	cc := info.Config.Calibration
	if opt.Bins == 0 {
		opt.Bins = cc.Bins
	}
	if opt.Bins == 0 {
		opt.Bins = calibration.DefaultBins
	}
	if opt.Bins < 2 || opt.Bins > 1000 {
		return nil, setting.Errorf("bins", "must be between 2 and 1000, got %d", opt.Bins)
	}
	if opt.Bootstrap == nil {
		opt.Bootstrap = &cc.Bootstrap
	}
	if b := *opt.Bootstrap; b < 0 || b > 100_000 {
		return nil, setting.Errorf("bootstrap", "must be between 0 and 100000, got %d", b)
	}
	if opt.BootstrapSeed == nil {
		opt.BootstrapSeed = &info.Config.Training.Seed
	}
	if opt.Checkpoint == "" {
		opt.Checkpoint = info.Dir.Join(rundir.BestCheckpoint)
	}
	p, err := inference.Load(opt.Checkpoint)
	if err != nil {
		return nil, err
	}
	own, warnings, err := setup.OpenRunSplits(info.Dir.Path, info.Config, info.Meta, opt.Env)
	if err != nil {
		return nil, err
	}
	e := &Result{Run: info, checkpoint: p.Checkpoint, opt: opt, kind: p.Checkpoint.Input.Kind, shape: p.Checkpoint.Input.Shape, DataWarnings: warnings}
	for _, s := range []struct {
		name string
		d    *data.Dataset
	}{{"train", own.Train}, {"val", own.Val}, {"test", own.Test}} {
		e.splitCounts = append(e.splitCounts, splitCounts{Name: s.name, N: s.d.Len(), Counts: s.d.ClassCounts()})
	}
	source := info.Config.Data.Source
	splits := own
	if opt.LabelColumn != "" && opt.Data == "" {
		return nil, setting.Errorf("label_column", "applies to another data source (data), not to the run's own, got %q", opt.LabelColumn)
	}
	if opt.Data != "" {
		if splits, err = openOther(info, p, opt); err != nil {
			return nil, err
		}
		source = opt.Data
	}
	d, err := inference.SelectSplit(splits, opt.Split, source)
	if err != nil {
		return nil, setting.Errorf("split", "must name a split that is not empty: %v", err)
	}
	in, err := p.Conform(d)
	if err != nil {
		return nil, err
	}
	e.X, e.Y = in.X, in.Y
	if e.logits, err = p.Logits(e.X); err != nil {
		return nil, err
	}
	e.Metrics.RunDir, e.Metrics.Checkpoint, e.Metrics.Data = info.Dir.Path, opt.Checkpoint, source
	var whatIf *WhatIfCalibrated
	if !e.calibrated() {
		// predict serves this checkpoint at T = 1, and so does every
		// top-level number; a temperature eval fits goes only into the
		// what-if block, labelled as not served.
		e.uncalibrated = whyUncalibrated(info, opt.Checkpoint)
		if whatIf, err = fitWhatIf(p, own.Val, opt.Split, opt.Data != ""); err != nil {
			return nil, err
		}
		whatIf.Note = "not what predict serves: " + e.uncalibrated.why + ", so predict serves softmax(logits) at T = 1, as every number outside this block. " +
			"This block is what temperature scaling would change, with T fitted by eval. To serve calibrated probabilities, " + e.uncalibrated.how + "."
	}
	if err := e.score(whatIf); err != nil {
		return nil, err
	}
	return e, nil
}

// openOther opens and splits another data source with the run's data
// settings. Its label column is opt.LabelColumn, else the checkpoint's:
// the run may have taken the default, the last column, which another file
// need not have last. A CSV of one class, which no model is trained on
// but which can be scored, is read against the checkpoint's classes and
// features (as predict reads it) and split as well.
func openOther(info *RunInfo, p *inference.Predictor, opt Options) (*data.Splits, error) {
	cfg := info.Config
	cfg.Data.Source, cfg.Data.Labels = opt.Data, ""
	in := p.Checkpoint.Input
	switch {
	case opt.LabelColumn != "":
		cfg.Data.LabelColumn = opt.LabelColumn
	case in.LabelColumn != "":
		cfg.Data.LabelColumn = in.LabelColumn
	}
	splits, err := setup.OpenSplits(cfg, opt.Env)
	if !errors.Is(err, data.ErrOneClass) || in.Kind != data.Tabular {
		return splits, err
	}
	label := cfg.Data.LabelColumn
	x, y, rerr := data.ReadCSVFeatures(opt.Data, in.FeatureNames, label, p.Checkpoint.Classes)
	if rerr != nil {
		return nil, err
	}
	if y == nil {
		return nil, fmt.Errorf("%s has no label column %q to score the model against", opt.Data, label)
	}
	d := &data.Dataset{Source: opt.Data, Kind: data.Tabular, Shape: []int{len(in.FeatureNames)}, X: x, Y: y,
		Classes: p.Checkpoint.Classes, FeatureNames: in.FeatureNames, LabelColumn: label}
	return data.SplitReusing(&data.Source{Train: d}, data.SplitConfig{Val: cfg.Data.Val, Test: cfg.Data.Test, Seed: cfg.Training.Seed})
}

// score fills the predictions and every metric from the logits and labels
// at the checkpoint's temperature, and the what-if block (nil for a
// calibrated checkpoint) from its temperature, when it has one.
func (e *Result) score(whatIf *WhatIfCalibrated) error {
	opt := e.opt
	classes := e.checkpoint.Classes
	c := len(classes)
	e.Predicted = make([]int, len(e.Y))
	for i := range e.Predicted {
		e.Predicted[i] = train.Argmax(e.logits[i*c : (i+1)*c])
	}
	m := &e.Metrics
	m.Split, m.Classes = opt.Split, classes
	temp := ckptTemperature(e.checkpoint)
	calib := func(T float64) Calibration {
		return Calibration{Bins: opt.Bins, Binning: calibration.Binning(opt.Bins), Bootstrap: *opt.Bootstrap, BootstrapSeed: *opt.BootstrapSeed,
			Split: calibration.Compare(e.logits, e.Y, c, opt.Bins, *opt.Bootstrap, *opt.BootstrapSeed, T)}
	}
	// "After" is after the checkpoint's temperature: for an uncalibrated
	// checkpoint T = 1 and after is before, number for number (the same
	// probabilities, the same bootstrap resamples).
	m.Calibration = calib(temp)
	// The probabilities reported per example are those predict serves:
	// calibrated when the checkpoint carries a temperature.
	e.probs = calibration.Softmax(e.logits, c, temp)
	m.Probabilities = "calibrated: softmax(logits/T) with the checkpoint's temperature, as predict serves them"
	m.Temperature, m.TemperatureSource = temp, "checkpoint (fitted by train on the validation split)"
	if u := e.uncalibrated; u != nil {
		m.Probabilities = "uncalibrated: softmax(logits), as predict serves them (the checkpoint has no temperature)"
		m.TemperatureSource = "none: " + u.why + ", so predict serves softmax(logits), T = 1; what_if_calibrated shows what a temperature fitted by eval would change"
	}
	if whatIf != nil {
		if whatIf.Temperature > 0 {
			cal := calib(whatIf.Temperature)
			whatIf.Calibration = &cal
		}
		m.WhatIfCalibrated = whatIf
	}
	served := e.Served()
	cls, err := metrics.Classify(e.Y, e.Predicted, classes)
	if err != nil {
		return err
	}
	m.N, m.Correct, m.Accuracy, m.AccuracyCI95 = cls.N, cls.Correct, cls.Accuracy, cls.AccuracyCI95
	m.PerClass, m.MacroAvg, m.WeightedAvg, m.ConfusionMatrix = cls.PerClass, cls.Macro, cls.Weighted, cls.Confusion
	m.MostConfused = metrics.MostConfused(cls.Confusion, classes, 10)
	for _, k := range metrics.WorstClasses(cls.PerClass, min(3, c)) {
		m.WorstClasses = append(m.WorstClasses, classes[k])
	}
	m.NLL, m.Brier = served.NLL, served.Brier
	cal := &m.Calibration
	m.ECEBefore, m.ECEAfter, m.MCEBefore, m.MCEAfter = cal.Before.ECE, cal.After.ECE, cal.Before.MCE, cal.After.MCE
	if c == 2 {
		e.binary()
	}
	return nil
}

// calibrated tells whether predict serves calibrated probabilities: when
// the checkpoint carries a temperature.
func (e *Result) calibrated() bool { return ckptTemperature(e.checkpoint) != 1 }

// Served is the calibration report of the probabilities predict serves
// (and predictions.csv holds): after the checkpoint's temperature, which
// for a checkpoint without one is the same as before.
func (e *Result) Served() calibration.Report { return e.Metrics.Calibration.After }

// Uncalibrated says, for a checkpoint without a temperature, why predict
// serves it uncalibrated and how to give it one, in words; both are ""
// for a calibrated checkpoint.
func (e *Result) Uncalibrated() (why, how string) {
	if u := e.uncalibrated; u != nil {
		return u.why, u.how
	}
	return "", ""
}

// uncalibrated is why predict serves a checkpoint without a temperature
// (a clause) and what would give it one (an imperative clause).
type uncalibrated struct{ why, how string }

// whyUncalibrated tells why the checkpoint has no temperature: the run was
// trained with calibration off, or this is not the checkpoint train
// stores the temperature in, or train could fit none.
func whyUncalibrated(info *RunInfo, checkpoint string) *uncalibrated {
	switch {
	case !info.Config.Calibration.Calibrate:
		return &uncalibrated{why: "the checkpoint has no temperature because the run was trained with --no-calibrate (calibration.calibrate: false)",
			how: "retrain without --no-calibrate: train then fits T on the validation split and stores it in best.ckpt"}
	case !sameFile(checkpoint, info.Dir.Join(rundir.BestCheckpoint)):
		return &uncalibrated{why: "the checkpoint has no temperature because it is not best.ckpt, the one train stores the run's temperature in",
			how: "use best.ckpt, which carries the run's temperature when train fitted one"}
	}
	return &uncalibrated{why: "the checkpoint has no temperature because train fitted none (no validation split, an interrupted run, or a validation split without a single error: calibration.json, when present, says which)",
		how: "retrain to the end with a validation split the model makes some errors on (a larger data.val)"}
}

// sameFile tells whether two paths name the same file, however written
// (--checkpoint may be relative, or reach best.ckpt by a link).
func sameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}

// fitWhatIf fits a temperature on the run's validation split, for the
// what-if block of an uncalibrated checkpoint; when none can be fitted,
// the block says why and holds no temperature.
func fitWhatIf(p *inference.Predictor, val *data.Dataset, split string, otherData bool) (*WhatIfCalibrated, error) {
	w := &WhatIfCalibrated{}
	if val.Len() == 0 {
		w.TemperatureSource = "none: the run has no validation split to fit one on"
		return w, nil
	}
	in, err := p.Conform(val)
	if err != nil {
		return nil, err
	}
	logits, err := p.Logits(in.X)
	if err != nil {
		return nil, err
	}
	t, err := calibration.FitTemperature(logits, in.Y, len(p.Checkpoint.Classes))
	if errors.Is(err, calibration.ErrSeparable) {
		w.TemperatureSource = fmt.Sprintf("none: the model gets all %d validation examples right, so no temperature can be fitted there (the NLL keeps falling as T → 0)", val.Len())
		return w, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fitting a temperature on the validation split: %w", err)
	}
	w.Temperature, w.FittedOn, w.FittedN = t, "val", val.Len()
	w.TemperatureSource = fmt.Sprintf("fitted by eval on the run's validation split (%d examples)", val.Len())
	switch {
	case otherData:
	case split == "val":
		w.TemperatureSource += "; fitted and scored on the same split, so the 'after' figures are optimistic"
	case split == "all":
		w.TemperatureSource += "; the scored examples include the validation split it was fitted on, so the 'after' figures are optimistic"
	}
	return w, nil
}

// binary fills the two-class metrics: class 1 is the positive class.
func (e *Result) binary() {
	scores := make([]float64, len(e.Y))
	pos := make([]bool, len(e.Y))
	for i, y := range e.Y {
		scores[i], pos[i] = e.probs[2*i+1], y == 1
	}
	m := &e.Metrics
	m.PositiveClass = m.Classes[1]
	half := 0.5
	m.Threshold = &half
	var auc, ap float64
	var err error
	if e.roc, auc, err = metrics.ROC(scores, pos); err == nil {
		m.ROCAUC = &auc
	}
	if e.pr, ap, err = metrics.PR(scores, pos); err == nil {
		m.PRAUC = &ap
	}
}

// ckptTemperature is the checkpoint's temperature, 1 when it has none.
func ckptTemperature(c *model.Checkpoint) float64 {
	if c.Temperature > 0 {
		return c.Temperature
	}
	return 1
}

// topLosses returns up to k examples the model got wrong, most confident
// first; when it got none wrong, the k right ones it was least sure of.
// wrong tells which of the two it is.
func (e *Result) topLosses(k int) (idx []int, wrong bool) {
	c := len(e.Metrics.Classes)
	conf := func(i int) float64 { return e.probs[i*c+e.Predicted[i]] }
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

// loss is example i's cross-entropy, −log p(actual class).
func (e *Result) loss(i int) float64 {
	c := len(e.Metrics.Classes)
	return -math.Log(e.probs[i*c+e.Y[i]])
}
