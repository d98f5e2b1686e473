package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/internal/setting"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/train"
)

// Experiment is everything a run needs to be reproduced.
type Experiment struct {
	Data      Data                  `yaml:"data"`
	Model     model.Spec            `yaml:"model"`
	Optimizer train.OptimizerConfig `yaml:"optimizer"`
	Training  Training              `yaml:"training"`
	// Calibration is what happens after training: the temperature fitted
	// on the validation split and the calibration metrics.
	Calibration Calibration `yaml:"calibration"`
	Output      Output      `yaml:"output"`
}

// Calibration configures temperature scaling at the end of training.
type Calibration struct {
	// Calibrate fits T on the validation split's logits of the best
	// weights, stores it in best.ckpt and writes calibration.json and
	// reliability.png.
	Calibrate bool `yaml:"calibrate"`
	// Bootstrap is the number of resamples of the ECE intervals (0: none).
	Bootstrap int `yaml:"bootstrap"`
	// Bins is the number of confidence bins of ECE, MCE and ACE.
	Bins int `yaml:"bins"`
}

// Data says where the examples come from and how they are prepared.
type Data struct {
	// Source is a name (digits, fashion-mnist, mnist, blobs, spirals,
	// noise, optionally with :key=value parameters) or a path (a CSV file,
	// an IDX directory, an image folder).
	Source string `yaml:"source"`
	// LabelColumn is the CSV column holding the label ("" = the last).
	LabelColumn string `yaml:"label_column,omitempty"`
	// Labels is a labels file that replaces the source's labels.
	Labels string `yaml:"labels,omitempty"`
	// ImageSize is the side images from a folder are resized to.
	ImageSize int `yaml:"image_size"`
	// Val and Test are the fractions split off (Test is ignored for a
	// source with its own test split).
	Val  float64 `yaml:"val"`
	Test float64 `yaml:"test"`
	// Normalize standardizes features (tabular) or channels (images) with
	// statistics of the training split.
	Normalize bool              `yaml:"normalize"`
	Augment   data.Augmentation `yaml:"augment"`
	// Delimiter separates the fields of a CSV source: ",", ";", "\t" (or
	// "tab") or "|".
	Delimiter string `yaml:"delimiter"`
	// IgnoreColumns are CSV columns left out of the features (an ID);
	// predict passes the first one through as each line's "id".
	IgnoreColumns []string `yaml:"ignore_columns"`
	// Missing is the rule for missing CSV feature cells (empty, NA, N/A,
	// NaN, null, None, #N/A): error, drop (the row), mean or median (of
	// the training split, stored with the model).
	Missing string `yaml:"missing"`
	// MissingIndicator adds, with mean or median, a 0/1 feature per
	// column that had missing cells in the training split.
	MissingIndicator bool `yaml:"missing_indicator"`
	// Classes, when set, keeps only the examples of these classes (names
	// as the source has them; the model's classes are these, in the
	// source's order), before the split. Empty: every class.
	Classes []string `yaml:"classes,omitempty"`
}

// Training is the loop's configuration.
type Training struct {
	Epochs int `yaml:"epochs"`
	// BatchSize 0 picks setup.AutoBatchSize for the training split.
	BatchSize int    `yaml:"batch_size"`
	Seed      uint64 `yaml:"seed"`
	// LabelSmoothing spreads this much of each target over all classes.
	LabelSmoothing float64 `yaml:"label_smoothing"`
	// ClassWeights is "" (equal) or "balanced" (inverse class frequency).
	ClassWeights string `yaml:"class_weights,omitempty"`
	// Monitor is the metric that picks the best epoch: val_loss or
	// val_accuracy.
	Monitor string `yaml:"monitor"`
	// TrainEvalSize is the size of the training subset evaluated in eval
	// mode each epoch.
	TrainEvalSize int `yaml:"train_eval_size"`
	// EarlyStopping stops when the monitored metric stops improving.
	EarlyStopping EarlyStopping `yaml:"early_stopping"`
	// Schedule sets the learning rate per step.
	Schedule train.ScheduleConfig `yaml:"schedule"`
	// InitFrom starts training from another run's weights: a run
	// directory (its checkpoints/best.ckpt) or a checkpoint file. Every
	// parameter with the same name and shape is loaded, batch-norm
	// running statistics included; the optimizer starts afresh and the
	// data normalization is this run's own. A resumed run does not load
	// it again.
	InitFrom string `yaml:"init_from,omitempty"`
	// Freeze are prefixes of parameter names (conv, conv0, bn0, dense0,
	// out; conv0.weight) kept fixed while training, until UnfreezeAt.
	Freeze []string `yaml:"freeze,omitempty"`
	// UnfreezeAt is the epoch (1-based) from which the frozen parameters
	// train too; 0: never.
	UnfreezeAt int `yaml:"unfreeze_at,omitempty"`
}

// EarlyStopping configures train.EarlyStopping; it watches Training.Monitor.
type EarlyStopping struct {
	Enabled  bool    `yaml:"enabled"`
	Patience int     `yaml:"patience"`
	MinDelta float64 `yaml:"min_delta"`
	// Baseline is a value the metric must beat within Patience epochs.
	Baseline *float64 `yaml:"baseline,omitempty"`
	// DivergenceThreshold stops at once when the metric is worse.
	DivergenceThreshold *float64 `yaml:"divergence_threshold,omitempty"`
}

// Output says where runs are written.
type Output struct {
	// Root is the directory under which each run gets its own directory.
	Root string `yaml:"root"`
	// Name is a short name for the run directory (default: the model and
	// data source).
	Name string `yaml:"name,omitempty"`
}

// Default is an experiment that trains well on the embedded digits.
func Default() Experiment {
	return Experiment{
		Data: Data{Source: data.DigitsSource, ImageSize: data.DefaultImageSize, Val: 0.1, Test: 0.1, Normalize: true,
			Delimiter: ",", IgnoreColumns: []string{}, Missing: string(data.MissingError)},
		Optimizer: train.OptimizerConfig{Name: "adam", LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
		Training: Training{Epochs: 20, BatchSize: 0, Seed: 1, Monitor: "val_loss", TrainEvalSize: 1000,
			EarlyStopping: EarlyStopping{Patience: 5}, Schedule: train.DefaultSchedule()},
		Calibration: Calibration{Calibrate: true, Bootstrap: 200, Bins: 15},
		Output:      Output{Root: "runs"},
	}
}

// Load reads a YAML file over the defaults: keys it leaves out keep their
// default, and an unknown key is an error naming the file and line.
func Load(path string) (Experiment, error) {
	e := Default()
	f, err := os.Open(path)
	if err != nil {
		return e, err
	}
	defer f.Close()
	if err := decode(f, &e); err != nil {
		return e, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

// Parse reads YAML bytes over the defaults, strictly.
func Parse(b []byte) (Experiment, error) {
	e := Default()
	return e, decode(bytes.NewReader(b), &e)
}

func decode(r io.Reader, e *Experiment) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	// yaml.v3 truncates 2.5 into an integer field without a word, so the
	// scalars are checked against the fields' types first.
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return err
	}
	if len(doc.Content) > 0 {
		if err := checkTypes(doc.Content[0], reflect.TypeOf(*e), ""); err != nil {
			return err
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(e); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	// "ignore_columns: ~" decodes to nil, which means no column as the
	// empty list does: keep one value, so that a config reads back equal.
	if e.Data.IgnoreColumns == nil {
		e.Data.IgnoreColumns = []string{}
	}
	// The lists written only when not empty read back as nil.
	if len(e.Data.Classes) == 0 {
		e.Data.Classes = nil
	}
	if len(e.Training.Freeze) == 0 {
		e.Training.Freeze = nil
	}
	return nil
}

// checkTypes reports the first scalar of n whose YAML type does not fit
// the Go type t it will be decoded into (an integer key given 2.5 or
// "ten", a number key given true), named by its key and line. Unknown keys
// are left to the decoder, which names them.
func checkTypes(n *yaml.Node, t reflect.Type, key string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	bad := func(want string) error {
		return setting.Errorf(key, "must be %s, got %q (line %d: cannot unmarshal %s into %s)", want, n.Value, n.Line, n.ShortTag(), t.Kind())
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
				return nil
			}
			return bad("a mapping of keys")
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			name := n.Content[i].Value
			for j := range t.NumField() {
				f := t.Field(j)
				tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
				if tag == "" {
					tag = strings.ToLower(f.Name)
				}
				if f.IsExported() && tag == name {
					if err := checkTypes(n.Content[i+1], f.Type, strings.TrimPrefix(key+"."+name, ".")); err != nil {
						return err
					}
				}
			}
		}
	case reflect.Slice:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return nil
		}
		if n.Kind != yaml.SequenceNode {
			return bad("a list")
		}
		for i, item := range n.Content {
			if err := checkTypes(item, t.Elem(), fmt.Sprintf("%s[%d]", key, i)); err != nil {
				return err
			}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
			return bad("a whole number")
		}
	case reflect.Float32, reflect.Float64:
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
			return bad("a number")
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			return bad("true or false")
		}
	}
	return nil
}

// Marshal writes the experiment as YAML.
func (e Experiment) Marshal() ([]byte, error) {
	var doc yaml.Node
	if err := doc.Encode(e); err != nil {
		return nil, err
	}
	// model.Spec omits empty layer lists, but an empty list (no such
	// layers) and an absent one (the defaults for the data) build different
	// models: write the empty ones, or resuming a run from its config.yaml
	// would rebuild the model with default layers.
	if model := mappingValue(&doc, "model"); model != nil {
		after := "arch"
		for _, l := range []struct {
			key    string
			layers []int
		}{{"hidden", e.Model.Hidden}, {"channels", e.Model.Channels}} {
			if l.layers != nil && len(l.layers) == 0 {
				insertAfter(model, after, l.key, &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle})
			}
			if mappingValue(model, l.key) != nil {
				after = l.key
			}
		}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// mappingValue returns the value of key in the mapping n (or in the
// mapping a document node n holds), or nil.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// insertAfter inserts key: value into the mapping n after the entry named
// after, or first when there is none.
func insertAfter(n *yaml.Node, after, key string, value *yaml.Node) {
	i := 0
	for k := 0; k+1 < len(n.Content); k += 2 {
		if n.Content[k].Value == after {
			i = k + 2
		}
	}
	entry := []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, value}
	n.Content = append(n.Content[:i], append(entry, n.Content[i:]...)...)
}

// Validate checks every value a user can set and reports all problems,
// each as "key must be ..., got ...".
func (e Experiment) Validate() error {
	var errs []error
	// Every message starts with its key, which commands map to their flags.
	add := func(format string, args ...any) {
		key, msg, _ := strings.Cut(fmt.Sprintf(format, args...), " ")
		errs = append(errs, &setting.Error{Key: key, Msg: msg})
	}
	// YAML spells NaN and infinities .nan and .inf, and NaN passes every
	// range check below (each comparison is false), so check all numbers
	// first, the optimizer's and the schedule's included.
	nonFinite(reflect.ValueOf(e), "", add)
	if strings.TrimSpace(e.Data.Source) == "" {
		add("data.source must name a source, got an empty string")
	}
	if e.Data.Val <= 0 || e.Data.Val >= 1 {
		add("data.val must be in (0, 1), got %v", e.Data.Val)
	}
	if e.Data.Test < 0 || e.Data.Test >= 1 {
		add("data.test must be in [0, 1), got %v", e.Data.Test)
	}
	if e.Data.Val+e.Data.Test >= 1 {
		add("data.val + data.test must be < 1, got %v", e.Data.Val+e.Data.Test)
	}
	if e.Data.ImageSize <= 0 || e.Data.ImageSize > data.MaxImageSize {
		add("data.image_size must be in [1, %d], got %d", data.MaxImageSize, e.Data.ImageSize)
	}
	if _, err := data.ParseDelimiter(e.Data.Delimiter); err != nil || e.Data.Delimiter == "" {
		add(`data.delimiter must be ",", ";", "\t" (or "tab") or "|", got %q`, e.Data.Delimiter)
	}
	for i, c := range e.Data.IgnoreColumns {
		if strings.TrimSpace(c) == "" {
			add("data.ignore_columns must name columns, got an empty name at position %d", i+1)
		}
	}
	if !slices.Contains(data.MissingRules(), data.Missing(e.Data.Missing)) {
		add("data.missing must be error, drop, mean or median, got %q", e.Data.Missing)
	}
	if e.Data.MissingIndicator && !data.Missing(e.Data.Missing).Imputes() {
		add("data.missing_indicator needs data.missing mean or median (it marks the cells they fill), got data.missing %q", e.Data.Missing)
	}
	for i, c := range e.Data.Classes {
		switch {
		case strings.TrimSpace(c) == "":
			add("data.classes must name classes, got an empty name at position %d", i+1)
		case slices.Contains(e.Data.Classes[:i], c):
			add("data.classes must name each class once, got %q twice", c)
		}
	}
	if n := len(e.Data.Classes); n == 1 {
		add("data.classes must name at least 2 classes (a classifier needs 2), got %q", e.Data.Classes[0])
	}
	if e.Data.Augment.Shift < 0 {
		add("data.augment.shift must be >= 0, got %d", e.Data.Augment.Shift)
	}
	if e.Data.Augment.Noise < 0 {
		add("data.augment.noise must be >= 0, got %v", e.Data.Augment.Noise)
	}
	switch e.Model.Arch {
	case "", model.Linear, model.MLP, model.CNN, model.ResNet:
	case model.Custom:
		if len(e.Model.Layers) == 0 {
			add("model.arch custom builds the model from model.layers, which is empty")
		}
	default:
		add("model.arch must be linear, mlp, cnn, resnet or custom (a model.layers list), got %q", e.Model.Arch)
	}
	if a := e.Model.Activation; a != "" && a != "relu" && a != "tanh" {
		add("model.activation must be relu or tanh, got %q", a)
	}
	if e.Model.Dropout < 0 || e.Model.Dropout >= 1 {
		add("model.dropout must be in [0, 1), got %v", e.Model.Dropout)
	}
	if err := e.Optimizer.Validate(); err != nil {
		errs = append(errs, setting.Prefix("optimizer.", err))
	}
	t := e.Training
	if t.Epochs <= 0 || t.Epochs > 1_000_000 {
		add("training.epochs must be in [1, 1000000], got %d", t.Epochs)
	}
	if t.BatchSize < 0 || t.BatchSize > 1<<16 {
		add("training.batch_size must be 0 (auto) or in [1, 65536], got %d", t.BatchSize)
	}
	if t.LabelSmoothing < 0 || t.LabelSmoothing >= 1 {
		add("training.label_smoothing must be in [0, 1), got %v", t.LabelSmoothing)
	}
	if t.ClassWeights != "" && t.ClassWeights != "balanced" {
		add("training.class_weights must be empty or balanced, got %q", t.ClassWeights)
	}
	if t.Monitor != "val_loss" && t.Monitor != "val_accuracy" {
		add("training.monitor must be val_loss or val_accuracy, got %q", t.Monitor)
	}
	if es := t.EarlyStopping; es.Patience < 1 {
		add("training.early_stopping.patience must be >= 1, got %d", es.Patience)
	}
	if es := t.EarlyStopping; es.MinDelta < 0 {
		add("training.early_stopping.min_delta must be >= 0, got %v", es.MinDelta)
	}
	if err := t.Schedule.Validate(); err != nil {
		errs = append(errs, setting.Prefix("training.schedule.", err))
	}
	if t.TrainEvalSize <= 0 {
		add("training.train_eval_size must be > 0, got %d", t.TrainEvalSize)
	}
	if t.InitFrom != "" && strings.TrimSpace(t.InitFrom) == "" {
		add("training.init_from must name a run directory or a checkpoint, got %q", t.InitFrom)
	}
	for i, f := range t.Freeze {
		if strings.TrimSpace(f) == "" {
			add("training.freeze must name parameter prefixes (conv, dense0, ...), got an empty one at position %d", i+1)
		}
	}
	switch {
	case t.UnfreezeAt < 0 || t.UnfreezeAt == 1:
		add("training.unfreeze_at must be 0 (never) or an epoch from 2 on (epochs count from 1; 1 would freeze nothing), got %d", t.UnfreezeAt)
	case t.UnfreezeAt > 0 && len(t.Freeze) == 0:
		add("training.unfreeze_at needs training.freeze (the parameters it releases), got %d with nothing frozen", t.UnfreezeAt)
	}
	if b := e.Calibration.Bootstrap; b < 0 || b > 100_000 {
		add("calibration.bootstrap must be in [0, 100000], got %d", b)
	}
	if b := e.Calibration.Bins; b < 1 || b > 1000 {
		add("calibration.bins must be in [1, 1000], got %d", b)
	}
	if strings.TrimSpace(e.Output.Root) == "" {
		add("output.root must name a directory, got an empty string")
	}
	if strings.ContainsAny(e.Output.Name, `/\`) {
		add("output.name must not contain a path separator, got %q", e.Output.Name)
	}
	return errors.Join(errs...)
}

// nonFinite reports each NaN or infinite number in v under its YAML key
// path (such as data.val).
func nonFinite(v reflect.Value, path string, add func(format string, args ...any)) {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			add("%s must be a finite number, got %v", path, f)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			nonFinite(v.Elem(), path, add)
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			nonFinite(v.Index(i), fmt.Sprintf("%s[%d]", path, i), add)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name) // yaml's default key
			}
			if path != "" {
				name = path + "." + name
			}
			nonFinite(v.Field(i), name, add)
		}
	}
}
