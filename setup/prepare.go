package setup

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/internal/setting"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/train"
)

// Prepared is an experiment's data, split and normalized, with its model
// spec resolved for the data's shape.
type Prepared struct {
	// Config is the resolved config (model defaults filled in).
	Config config.Experiment
	Splits *data.Splits
	// Normalization was fitted on the training split (nil when disabled).
	Normalization *data.Normalization
	Schema        model.InputSchema
	Classes       []string
	// Warnings are what the user should know before trusting the run (a
	// split too small to measure on); the orchestrator logs them and
	// records them in the run's summary.
	Warnings []string
	// Data is data.source and data.labels as given (Config holds a path
	// made absolute) and the fingerprint of the data, for meta.json.
	Data rundir.Data
	// TrainSHA256 is data.SplitSHA256 of the training split as read from
	// the source, before missing cells are filled and the normalization
	// applied (both change Splits.Train in place): the model card's
	// train_split_sha256.
	TrainSHA256 string
	// InitFrom, when LoadInitFrom found training.init_from, is the
	// checkpoint NewModel starts every model from; nil else (and in a
	// resumed run, whose weights are its own).
	InitFrom *InitFrom
	// Frozen are the parameters training.freeze keeps fixed (FrozenNames),
	// set by NewModel.
	Frozen []string
}

// MinEvalExamples is the size below which a validation or test split
// draws a warning: with fewer examples one error moves the accuracy by more
// than 3 points, and the best epoch, early stopping and the calibration
// temperature rest on the validation split.
const MinEvalExamples = 30

// MaxAutoBatchSize is the largest batch AutoBatchSize picks.
const MaxAutoBatchSize = 128

// AutoBatchSize is the training batch when training.batch_size is 0: 128,
// or a tenth of a small training split (at least 1), so that a 120-row
// dataset takes 10 steps per epoch rather than one. Splits of 1,280
// examples and more (the digits' 1,439, Fashion-MNIST's 54,000) get 128.
func AutoBatchSize(trainExamples int) int {
	return max(1, min(MaxAutoBatchSize, trainExamples/10))
}

// Env is what the process contributes besides the config.
type Env struct {
	// DataDir is $PRACTICA_DATA.
	DataDir string
	// AllowDataChange lets a reader of an existing run (eval, predict
	// --split, train --resume) go on, with a warning, when the run's data
	// differ from the fingerprint it recorded (see CheckData).
	AllowDataChange bool
}

// Prepare opens the data source, splits it with the config's seed, fits
// the normalization on the training split and applies it to every split,
// and resolves the model spec: a source or labels file given as a path
// becomes absolute, and the data are fingerprinted. It creates no files.
func Prepare(cfg config.Experiment, env Env) (*Prepared, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	typed := rundir.Data{Source: cfg.Data.Source, Labels: cfg.Data.Labels}
	var err error
	if cfg.Data, err = absData(cfg.Data); err != nil {
		return nil, err
	}
	if cfg.Training.InitFrom != "" {
		if cfg.Training.InitFrom, err = filepath.Abs(cfg.Training.InitFrom); err != nil {
			return nil, setting.Errorf("training.init_from", "%v", err)
		}
	}
	sp, err := OpenSplits(cfg, env)
	if err != nil {
		return nil, err
	}
	fp, err := Fingerprint(cfg, env, sp)
	if err != nil {
		return nil, err
	}
	typed.Fingerprint = &fp
	if n := sp.Train.Unlabeled; n > 0 {
		typed.Labeled, typed.Unlabeled = sp.Drawn(), n
	}
	p, err := PrepareSplits(cfg, sp)
	if err != nil {
		return nil, err
	}
	p.Data = typed
	if err := p.checkSplits(); err != nil {
		return nil, err
	}
	return p, nil
}

// PrepareSplits is Prepare on splits already drawn (raw, as OpenSplits
// returns them; they are changed in place): the CSV options and the
// normalization fitted on the training split and applied to every split,
// the model spec resolved and the batch size chosen, as training does.
// Unlike Prepare it opens nothing, records no data and does not refuse a
// training split that lacks a class: a labeling simulation trains on the
// few examples labeled so far with the source's classes.
func PrepareSplits(cfg config.Experiment, sp *data.Splits) (*Prepared, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Prepared{Config: cfg, Splits: sp, Classes: sp.Train.Classes, TrainSHA256: data.SplitSHA256(sp.Train.X, sp.Train.Y)}
	p.Schema = model.InputSchema{Kind: sp.Train.Kind, Shape: sp.Train.Shape, FeatureNames: sp.Train.FeatureNames, LabelColumn: sp.Train.LabelColumn, RawMax: sp.Train.RawMax}
	if err := p.applyCSVOptions(); err != nil {
		return nil, err
	}
	if cfg.Data.Normalize {
		var err error
		if p.Normalization, err = data.FitNormalization(sp.Train); err != nil {
			return nil, err
		}
		for _, d := range []*data.Dataset{sp.Train, sp.Val, sp.Test} {
			if d.Len() > 0 {
				if err := p.Normalization.Apply(d); err != nil {
					return nil, err
				}
			}
		}
	}
	p.Config.Model = cfg.Model.WithDefaults(sp.Train.Shape)
	if err := p.Config.Model.Validate(sp.Train.Shape); err != nil {
		return nil, err
	}
	if p.Config.Training.BatchSize == 0 {
		p.Config.Training.BatchSize = AutoBatchSize(sp.Train.Len())
	}
	return p, nil
}

// checkSplits refuses a training split that lacks a class (the model
// could never learn it, and the loss weights would divide by zero) and
// warns of validation and test splits too small to measure on.
func (p *Prepared) checkSplits() error {
	sp, d := p.Splits, p.Config.Data
	for k, n := range sp.Train.ClassCounts() {
		if n == 0 && sp.Train.Unlabeled > 0 && sp.Val.ClassCounts()[k] == 0 {
			return setting.Errorf("data.labels", "%s labels no example of class %q (it labels %d examples of the training set, and leaves %d unlabeled): label some, or keep the other classes with data.classes",
				d.Labels, p.Classes[k], sp.Drawn(), sp.Train.Unlabeled)
		}
		if n == 0 {
			return setting.Errorf("data.val", "%v with data.test %v leaves no training example of class %q (%d training examples in all): lower them, or use more data",
				d.Val, d.Test, p.Classes[k], sp.Train.Len())
		}
	}
	for _, s := range []struct {
		name, key string
		frac      float64
		n         int
	}{{"validation", "data.val", d.Val, sp.Val.Len()}, {"test", "data.test", d.Test, sp.Test.Len()}} {
		if s.n > 0 && s.n < MinEvalExamples {
			p.Warnings = append(p.Warnings, fmt.Sprintf("the %s split has only %d examples (%s %v): one error moves its accuracy by %.1f points; its numbers are rough below %d",
				s.name, s.n, s.key, s.frac, 100/float64(s.n), MinEvalExamples))
		}
	}
	return nil
}

// OpenSplits opens the config's data source and splits it, without
// normalizing: predict uses it to recover a run's own test split.
func OpenSplits(cfg config.Experiment, env Env) (*data.Splits, error) {
	src, err := data.Open(cfg.Data.Source, csvOptions(cfg.Data, data.OpenOptions{
		LabelColumn: cfg.Data.LabelColumn, LabelsFile: cfg.Data.Labels, ImageSize: cfg.Data.ImageSize,
		DataDir: env.DataDir, Seed: cfg.Training.Seed,
	}))
	if err != nil {
		return nil, err
	}
	if len(cfg.Data.Classes) > 0 {
		if err := keepClasses(src, cfg.Data.Classes, cfg.Data.Source); err != nil {
			return nil, err
		}
	}
	sp, err := data.SplitReusing(src, data.SplitConfig{Val: cfg.Data.Val, Test: cfg.Data.Test, Seed: cfg.Training.Seed})
	if err != nil {
		return nil, err // it names the source
	}
	if cfg.Data.Augment.Enabled() && sp.Train.Kind != data.Image {
		return nil, fmt.Errorf("data.augment applies to images, and %s is tabular", cfg.Data.Source)
	}
	return sp, nil
}

// BaseCheckpoint is what every checkpoint of this experiment carries
// besides weights: the input schema, class names and normalization.
func (p *Prepared) BaseCheckpoint() model.Checkpoint {
	return model.Checkpoint{Spec: p.Config.Model, Input: p.Schema, Classes: p.Classes, Normalization: p.Normalization, Temperature: 1}
}

// NewModel builds the experiment's model and optimizer with a training
// batch of at most the training split's size. A model of a run that
// LoadInitFrom prepared starts from that checkpoint's matching
// parameters (the rest from the seed); the optimizer is always fresh.
// A prefix of training.freeze that names none of the model's parameters
// is an error.
func (p *Prepared) NewModel(opt model.Options) (*model.Model, train.Optimizer, error) {
	if opt.TrainBatch == 0 {
		opt.TrainBatch = p.Config.Training.BatchSize
	}
	opt.TrainBatch = min(opt.TrainBatch, p.Splits.Train.Len())
	if opt.Seed == 0 {
		opt.Seed = p.Config.Training.Seed
	}
	m, err := model.New(p.Config.Model, p.Schema.Shape, len(p.Classes), opt)
	if err != nil {
		return nil, nil, err
	}
	if err := p.initModel(m); err != nil {
		return nil, nil, err
	}
	var sizes []int
	for _, prm := range m.Learnables() {
		sizes = append(sizes, len(prm.Float32s()))
	}
	o, err := train.NewOptimizer(p.Config.Optimizer, sizes)
	if err != nil {
		return nil, nil, err
	}
	return m, o, nil
}

// ClassWeights returns the loss weights the config asks for: nil for equal
// weights, n/(C·count) for "balanced".
func (p *Prepared) ClassWeights() []float64 {
	if p.Config.Training.ClassWeights != "balanced" {
		return nil
	}
	counts := p.Splits.Train.ClassCounts()
	n, c := float64(p.Splits.Train.Len()), float64(len(counts))
	w := make([]float64, len(counts))
	for i, k := range counts {
		w[i] = 1
		if k > 0 {
			w[i] = n / (c * float64(k))
		}
	}
	return w
}

// RunName is a short name for the run directory: the model and the data.
func (p *Prepared) RunName() string {
	if p.Config.Output.Name != "" {
		return p.Config.Output.Name
	}
	src := p.Config.Data.Source
	if i := strings.IndexByte(src, ':'); i >= 0 && !strings.ContainsAny(src, `/\`) {
		src = src[:i]
	}
	src = strings.TrimSuffix(strings.TrimSuffix(filepath.Base(src), ".gz"), ".csv")
	return p.Config.Model.Arch + "-" + src
}

// NewLoop is the training loop of this experiment for model m and optimizer
// o, configured as training runs it (data, batching, seeded order,
// augmentation, loss settings, monitored metric), without hooks: each
// caller adds its own. Every loop in Practica starts here, so the overfit
// tests, the range test, the grid and training cannot drift apart.
func (p *Prepared) NewLoop(m *model.Model, o train.Optimizer, log *slog.Logger) train.Loop {
	tc := p.Config.Training
	return train.Loop{
		Model: m, Optimizer: o, Train: p.Splits.Train, Val: p.Splits.Val,
		Epochs: tc.Epochs, BatchSize: tc.BatchSize, Seed: tc.Seed, Shuffle: true,
		Augment: p.Config.Data.Augment, LabelSmoothing: tc.LabelSmoothing, ClassWeights: p.ClassWeights(),
		TrainEvalSize: tc.TrainEvalSize, Monitor: tc.Monitor, Log: log,
		Freeze: tc.Freeze, UnfreezeAt: tc.UnfreezeAt,
	}
}
