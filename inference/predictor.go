package inference

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/practica-ml/practica/internal/setting"
	"github.com/practica-ml/practica/setup"

	"github.com/practica-ml/practica/calibration"
	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/train"
)

// Predictor is a loaded model ready to score new examples.
type Predictor struct {
	Checkpoint *model.Checkpoint
	Model      *model.Model
	// Temperature divides the logits before the softmax: the checkpoint's
	// calibration temperature (1 when it has none); set it to 1 for
	// uncalibrated probabilities.
	Temperature float64
	// Delimiter, when set, reads CSV input with this field separator (as
	// data.delimiter spells it) instead of the training CSV's.
	Delimiter string
	// Limits bound the input files ReadIDX, ReadImages and ReadFiles read
	// (the zero value means data's defaults).
	Limits data.Limits
}

// DefaultMaxMemory is LoadOptions.MaxMemory when left 0: 8 GiB, train's
// --max-memory where MemTotal is unknown. A model's estimate for
// evaluation is below its estimate for training (which adds the training
// batch and the optimizer's slots), so a model that trained within 8 GiB
// always loads.
const DefaultMaxMemory = 8 << 30

// LoadOptions tune Load.
type LoadOptions struct {
	// MaxMemory bounds the memory the checkpoint's model is estimated to
	// need for evaluation (model.Checkpoint.CheckBuild), checked before it
	// is built: 0 means DefaultMaxMemory, a negative value no bound.
	MaxMemory int64
	// Limits bound the input files the predictor reads (data.Limits; the
	// zero value means the defaults).
	Limits data.Limits
}

// Load reads a checkpoint and rebuilds its model for evaluation, with the
// default LoadOptions.
func Load(path string) (*Predictor, error) { return LoadWith(path, LoadOptions{}) }

// LoadWith reads a checkpoint and rebuilds its model for evaluation. The
// header is checked against the tensors in the file and against
// opt.MaxMemory before the model is built.
func LoadWith(path string, opt LoadOptions) (*Predictor, error) {
	c, err := model.LoadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	return build(path, c, opt)
}

// LoadBytes is LoadWith for a checkpoint already in memory, as read from
// path: a caller that verified the bytes (against a model card's hash)
// builds the model from those very bytes, not from a second read of a
// file that may have changed in between.
func LoadBytes(path string, b []byte, opt LoadOptions) (*Predictor, error) {
	c, err := model.UnmarshalCheckpoint(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return build(path, c, opt)
}

// build checks the checkpoint c, read from path, against opt.MaxMemory
// and its own header, and builds its model for evaluation.
func build(path string, c *model.Checkpoint, opt LoadOptions) (*Predictor, error) {
	budget := opt.MaxMemory
	if budget == 0 {
		budget = DefaultMaxMemory
	}
	if err := c.CheckBuild(budget); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	shape := c.Input.Shape
	if c.Normalization != nil {
		if err := c.Normalization.Check(data.ShapeSize(shape)); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := checkMissing(c.Input); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m, err := model.New(c.Spec, shape, len(c.Classes), model.Options{TrainBatch: 1, NoDropout: true})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := m.SetTensors(c.Tensors); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	T := c.Temperature
	if !(T > 0) {
		T = 1
	}
	return &Predictor{Checkpoint: c, Model: m, Temperature: T, Limits: opt.Limits}, nil
}

// Input is a block of raw (unnormalized) examples with optional labels.
type Input struct {
	X []float32
	// Y is nil when the inputs carry no labels.
	Y []int
	// Names names each example's origin (a file), when there is one per file.
	Names []string
	// Warnings are what the user should know about where the inputs came
	// from (a run's data that cannot be checked against its fingerprint).
	Warnings []string
	// IDs are each row's cell of the first column training ignored, when
	// the input has it.
	IDs []string
}

// Prediction is one JSON line of predict's output.
type Prediction struct {
	Index     int    `json:"index"`
	File      string `json:"file,omitempty"`
	Label     *int   `json:"label,omitempty"`
	Predicted int    `json:"predicted"`
	Class     string `json:"class"`
	// Probabilities are softmax(logits / T), T the predictor's temperature.
	Probabilities []float64 `json:"probabilities"`
	// Logits are the raw outputs of the evaluation graph (T not applied).
	Logits []float32 `json:"logits"`
	// MCProbabilities, Entropy and MutualInformation summarize MC dropout
	// passes (AddMCDropout): the mean of their probabilities, its entropy
	// and the BALD mutual information, in nats.
	MCProbabilities   []float64 `json:"mc_probabilities,omitempty"`
	Entropy           *float64  `json:"entropy,omitempty"`
	MutualInformation *float64  `json:"mutual_information,omitempty"`
	// Rank (1 = most worth labelling) and Score are set by Rank.
	Rank  int      `json:"rank,omitempty"`
	Score *float64 `json:"score,omitempty"`
	// ID is the row's cell of the first column training ignored
	// (data.ignore_columns), when the input has that column.
	ID *string `json:"id,omitempty"`
}

// Logits normalizes a copy of raw examples with the stored statistics and
// runs them through the evaluation graph.
func (p *Predictor) Logits(raw []float32) ([]float32, error) {
	x, err := p.prepare(raw)
	if err != nil {
		return nil, err
	}
	out := make([]float32, len(x)/data.ShapeSize(p.Checkpoint.Input.Shape)*len(p.Checkpoint.Classes))
	return out, p.Model.Logits(x, out)
}

// expBits32 are a float32's exponent bits: all set in NaN and ±Inf only.
const expBits32 = 0x7f800000

// prepare checks raw examples and returns a normalized copy; with the
// checkpoint's imputation, a missing value (NaN) is filled as training
// filled it and the indicators are appended first.
func (p *Predictor) prepare(raw []float32) ([]float32, error) {
	in := p.Checkpoint.Input
	s := data.ShapeSize(in.Shape)
	if in.Missing != nil {
		s = len(in.Missing.Columns)
	}
	if len(raw)%s != 0 {
		return nil, fmt.Errorf("%d values are not whole examples of shape %v", len(raw), p.Checkpoint.Input.Shape)
	}
	x := append([]float32(nil), raw...)
	for i, v := range x {
		// One test of the exponent's bits passes every finite value. This
		// loop reads every value of every request; as IsNaN and IsInf of
		// float64 conversions it took twice as long as the copy and the
		// normalization together.
		if math.Float32bits(v)&expBits32 != expBits32 {
			continue
		}
		if v != v && in.Missing != nil { // NaN: a missing value
			continue
		}
		return nil, fmt.Errorf("example %d, feature %d is %v", i/s, i%s, v)
	}
	if in.Missing != nil {
		var err error
		if x, err = in.Missing.ApplyRows(x); err != nil {
			return nil, err
		}
	}
	if p.Checkpoint.Normalization != nil {
		p.Checkpoint.Normalization.ApplyRows(x)
	}
	return x, nil
}

// LoadRun opens the run directory runDir and loads the checkpoint served
// from it: checkpoint when it is not empty, else the run's best.ckpt.
func LoadRun(runDir, checkpoint string) (*Predictor, *rundir.Dir, error) {
	dir, err := rundir.Open(runDir)
	if err != nil {
		return nil, nil, err
	}
	if checkpoint == "" {
		checkpoint = dir.Join(rundir.BestCheckpoint)
	}
	p, err := Load(checkpoint)
	if err != nil {
		return nil, nil, err
	}
	return p, dir, nil
}

// Probabilities returns the N×classes probabilities predict serves for in,
// row-major: softmax of the logits at the checkpoint's temperature.
func (p *Predictor) Probabilities(in Input) ([]float64, error) {
	preds, err := p.Predict(in)
	if err != nil {
		return nil, err
	}
	out := make([]float64, 0, len(preds)*len(p.Checkpoint.Classes))
	for _, q := range preds {
		out = append(out, q.Probabilities...)
	}
	return out, nil
}

// Predict scores every example of in.
func (p *Predictor) Predict(in Input) ([]Prediction, error) {
	logits, err := p.Logits(in.X)
	if err != nil {
		return nil, err
	}
	c := len(p.Checkpoint.Classes)
	n := len(logits) / c
	out := make([]Prediction, n)
	probs := calibration.Softmax(logits, c, p.Temperature)
	for i := range out {
		row := logits[i*c : (i+1)*c]
		pred := train.Argmax(row)
		out[i] = Prediction{Index: i, Predicted: pred, Class: p.Checkpoint.Classes[pred], Probabilities: probs[i*c : (i+1)*c : (i+1)*c], Logits: append([]float32(nil), row...)}
		if in.Y != nil {
			y := in.Y[i]
			out[i].Label = &y
		}
		if i < len(in.Names) {
			out[i].File = in.Names[i]
		}
		if i < len(in.IDs) {
			out[i].ID = &in.IDs[i]
		}
	}
	return out, nil
}

// ReadCSV reads a CSV of new tabular examples; its header must name the
// training features (labelColumn, when present, gives labels).
func (p *Predictor) ReadCSV(path, labelColumn string) (Input, error) {
	if err := p.takesRows(path); err != nil {
		return Input{}, err
	}
	opt, err := p.featureCSV(labelColumn)
	if err != nil {
		return Input{}, err
	}
	rows, err := data.ReadFeatureCSV(path, opt)
	if err != nil {
		return Input{}, err
	}
	return Input{X: rows.X, Y: rows.Y, IDs: rows.IDs}, nil
}

// ReadCSVFrom is ReadCSV on a stream (standard input); name stands for it
// in messages.
func (p *Predictor) ReadCSVFrom(r io.Reader, name, labelColumn string) (Input, error) {
	if err := p.takesRows(name); err != nil {
		return Input{}, err
	}
	opt, err := p.featureCSV(labelColumn)
	if err != nil {
		return Input{}, err
	}
	rows, err := data.ReadFeatureCSVFrom(r, name, opt)
	if err != nil {
		return Input{}, err
	}
	return Input{X: rows.X, Y: rows.Y, IDs: rows.IDs}, nil
}

// featureCSV reads new rows as training read its CSV: with its delimiter
// (unless Delimiter overrides it), its ignored columns allowed, and
// missing cells read when the checkpoint fills them.
func (p *Predictor) featureCSV(labelColumn string) (data.FeatureCSV, error) {
	in := p.Checkpoint.Input
	delim := in.Delimiter
	if p.Delimiter != "" {
		delim = p.Delimiter
	}
	r, err := data.ParseDelimiter(delim)
	if err != nil {
		return data.FeatureCSV{}, setting.Errorf("delimiter", `must be ",", ";", "\t" (or "tab") or "|", got %q`, delim)
	}
	return data.FeatureCSV{FeatureNames: in.FeatureNames, LabelColumn: labelColumn, Classes: p.Checkpoint.Classes,
		Delimiter: r, Ignored: in.IgnoredColumns, AllowMissing: in.Missing != nil}, nil
}

// checkMissing verifies a checkpoint's imputation against its schema: it
// fills the CSV's feature columns and makes rows of the model's input.
func checkMissing(in model.InputSchema) error {
	if in.Missing == nil {
		return nil
	}
	if !slices.Equal(in.Missing.Columns, in.FeatureNames) {
		return fmt.Errorf("the imputation fills columns %q, and the model's features are %q", in.Missing.Columns, in.FeatureNames)
	}
	return in.Missing.Check(data.ShapeSize(in.Shape))
}

// takesRows refuses CSV rows, from the file or stream name, for a model of
// images.
func (p *Predictor) takesRows(name string) error {
	if in := p.Checkpoint.Input; in.Kind != data.Tabular {
		return fmt.Errorf("%s: this model takes %v images, not CSV rows", name, in.Shape)
	}
	return nil
}

// ReadIDX reads an IDX images file (and optionally its labels file) and
// brings the images to the training scale. The headers are compared with
// the model (image size) and with each other (count) before either body
// is read.
func (p *Predictor) ReadIDX(imagesPath, labelsPath string) (Input, error) {
	in := p.Checkpoint.Input
	images, err := p.Limits.OpenIDXImages(imagesPath)
	if err != nil {
		return Input{}, err
	}
	defer images.Close()
	n, h, w := images.Dims[0], images.Dims[1], images.Dims[2]
	if in.Kind != data.Image || len(in.Shape) != 3 || in.Shape[0] != 1 || h != in.Shape[1] || w != in.Shape[2] {
		return Input{}, fmt.Errorf("%s: images of %d×%d, this model takes %v", imagesPath, h, w, in.Shape)
	}
	var labels *data.IDXFile
	if labelsPath != "" {
		if labels, err = p.Limits.OpenIDXLabels(labelsPath); err != nil {
			return Input{}, err
		}
		defer labels.Close()
		if labels.Dims[0] != n {
			return Input{}, fmt.Errorf("%s has %d labels for the %d images of %s", labelsPath, labels.Dims[0], n, imagesPath)
		}
	}
	x, _, err := images.Images()
	if err != nil {
		return Input{}, err
	}
	scale := in.RawMax / 255
	for i := range x {
		x[i] *= scale
	}
	res := Input{X: x}
	if labels != nil {
		if res.Y, err = labels.Labels(); err != nil {
			return Input{}, err
		}
		for i, y := range res.Y {
			if y < 0 || y >= len(p.Checkpoint.Classes) {
				return Input{}, fmt.Errorf("%s: label %d of example %d is not one of the model's %d classes", labelsPath, y, i, len(p.Checkpoint.Classes))
			}
		}
	}
	return res, nil
}

// ReadImages reads PNG or JPEG files, each converted to the training shape
// and scale.
func (p *Predictor) ReadImages(paths []string) (Input, error) {
	in := p.Checkpoint.Input
	if in.Kind != data.Image {
		return Input{}, fmt.Errorf("%s: this model takes tabular rows, not images", paths[0])
	}
	var res Input
	for _, path := range paths {
		x, err := p.Limits.ReadImageFile(path, in.Shape, in.RawMax)
		if err != nil {
			return Input{}, err
		}
		res.X = append(res.X, x...)
		res.Names = append(res.Names, path)
	}
	return res, nil
}

// ReadSplit recovers a split (train, val or test) of the run's own data
// source, exactly as training drew it, in raw (unnormalized) form. Data
// that differ from the fingerprint in the run's meta.json are an error
// unless env.AllowDataChange (see setup.CheckData); Input.Warnings says
// when they cannot be checked or differ and are allowed.
func ReadSplit(dir *rundir.Dir, split string, env setup.Env) (Input, error) {
	if split != "train" && split != "val" && split != "test" {
		return Input{}, setting.Errorf("split", "must be train, val or test, got %q", split)
	}
	cfg, err := config.Load(dir.Join(rundir.ConfigFile))
	if err != nil {
		return Input{}, err
	}
	var meta *rundir.Meta
	if err := dir.ReadJSON(rundir.MetaFile, &meta); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Input{}, err
	}
	sp, warnings, err := setup.OpenRunSplits(dir.Path, cfg, meta, env)
	if err != nil {
		return Input{}, err
	}
	d, err := SelectSplit(sp, split, cfg.Data.Source)
	if err != nil {
		return Input{}, err
	}
	return Input{X: d.X, Y: d.Y, Warnings: warnings}, nil
}

// ReadFiles reads positional inputs by their kind: CSV files, an IDX
// images file, or PNG/JPEG images.
func (p *Predictor) ReadFiles(paths []string, labelColumn, idxLabels string) (Input, error) {
	var csvs, idx, imgs []string
	for _, path := range paths {
		if _, err := os.Stat(path); err != nil {
			return Input{}, err
		}
		lower := strings.ToLower(path)
		switch {
		case strings.HasSuffix(lower, ".csv") || strings.HasSuffix(lower, ".csv.gz"):
			csvs = append(csvs, path)
		case strings.Contains(filepath.Base(lower), "idx3-ubyte"):
			idx = append(idx, path)
		case strings.HasSuffix(lower, ".png") || strings.HasSuffix(lower, ".jpg") || strings.HasSuffix(lower, ".jpeg"):
			imgs = append(imgs, path)
		default:
			return Input{}, fmt.Errorf("%s: unknown input kind (want .csv, an IDX *idx3-ubyte[.gz] images file, .png, .jpg)", path)
		}
	}
	kinds := 0
	for _, k := range [][]string{csvs, idx, imgs} {
		if len(k) > 0 {
			kinds++
		}
	}
	switch {
	case kinds == 0:
		return Input{}, fmt.Errorf("no inputs: give files, or a split of the run's own data")
	case kinds > 1 || len(csvs) > 1 || len(idx) > 1:
		return Input{}, fmt.Errorf("give one CSV, one IDX images file, or any number of images, not a mix")
	case len(csvs) == 1:
		return p.ReadCSV(csvs[0], labelColumn)
	case len(idx) == 1:
		return p.ReadIDX(idx[0], idxLabels)
	default:
		return p.ReadImages(imgs)
	}
}

// Features returns the activations that enter the model's output layer
// (model.Model.Features) for raw examples, prepared as Logits prepares
// them (imputed, normalized): the embedding the model has learnt, n×dim
// row-major.
func (p *Predictor) Features(raw []float32) (feats []float32, dim int, err error) {
	x, err := p.prepare(raw)
	if err != nil {
		return nil, 0, err
	}
	return p.Model.Features(x)
}
