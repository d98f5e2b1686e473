package config

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTrip(t *testing.T) {
	// Empty layer lists mean no such layers, absent ones the defaults: the
	// two must not merge in a run's config.yaml.
	noLayers, noHidden := Default(), customized()
	noLayers.Model.Arch, noLayers.Model.Hidden, noLayers.Model.Channels = "cnn", []int{}, []int{}
	noHidden.Model.Hidden = []int{}
	for _, e := range []Experiment{Default(), customized(), noLayers, noHidden} {
		b, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, err := Parse(b)
		if err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		if !reflect.DeepEqual(got, e) {
			t.Fatalf("round trip changed the config:\n got %+v\nwant %+v\n%s", got, e, b)
		}
		b2, err := got.Marshal()
		if err != nil || string(b2) != string(b) {
			t.Fatalf("second marshal differs (%v):\n%s\n---\n%s", err, b, b2)
		}
	}
}

func customized() Experiment {
	e := Default()
	e.Model.Arch = "cnn"
	e.Model.Channels = []int{16, 32}
	e.Model.Hidden = []int{64}
	e.Model.Dropout = 0.25
	e.Model.BatchNorm = true
	e.Data.Augment.Shift = 2
	e.Data.Augment.Flip = true
	e.Data.Augment.Noise = 0.05
	e.Optimizer.Name = "adamw"
	e.Optimizer.WeightDecay = 0.01
	e.Training.ClassWeights = "balanced"
	e.Training.Seed = 1<<63 + 5
	th := 2.5
	e.Training.EarlyStopping = EarlyStopping{Enabled: true, Patience: 3, MinDelta: 1e-3, DivergenceThreshold: &th}
	e.Training.Schedule.Name = "cosine"
	e.Training.Schedule.WarmupEpochs = 1.5
	e.Calibration = Calibration{Calibrate: false, Bootstrap: 50, Bins: 10}
	e.Data.Delimiter = "\t"
	e.Data.IgnoreColumns = []string{"id", "2019"}
	e.Data.Missing = "median"
	e.Data.MissingIndicator = true
	e.Data.Classes = []string{"5", "7"}
	e.Training.InitFrom = "/runs/digits-0-4"
	e.Training.Freeze, e.Training.UnfreezeAt = []string{"conv", "dense0"}, 4
	return e
}

func TestLoadOverridesDefaultsAndRejectsUnknownKeys(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, yaml, wantErr string
		check               func(Experiment) bool
	}{
		{"partial", "training:\n  epochs: 3\noptimizer:\n  lr: 0.01\n", "", func(e Experiment) bool {
			return e.Training.Epochs == 3 && e.Optimizer.LR == 0.01 && e.Training.BatchSize == Default().Training.BatchSize && e.Optimizer.Name == "adam"
		}},
		{"calibration", "calibration:\n  calibrate: false\n", "", func(e Experiment) bool {
			return !e.Calibration.Calibrate && e.Calibration.Bootstrap == 200 && e.Calibration.Bins == 15
		}},
		{"empty", "", "", func(e Experiment) bool { return reflect.DeepEqual(e, Default()) }},
		{"unknown key", "training:\n  epoch: 3\n", "field epoch not found", nil},
		{"unknown section", "trainer: {}\n", "field trainer not found", nil},
		{"wrong type", "training:\n  epochs: many\n", "cannot unmarshal", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".yaml")
			if err := os.WriteFile(p, []byte(c.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			e, err := Load(p)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) || !strings.Contains(err.Error(), p) {
					t.Fatalf("error %v, want one naming %s and containing %q", err, p, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(e) {
				t.Fatalf("unexpected config %+v", e)
			}
		})
	}
}

func TestValidateMessages(t *testing.T) {
	cases := []struct {
		name   string
		modify func(*Experiment)
		want   string
	}{
		{"negative lr", func(e *Experiment) { e.Optimizer.LR = -1 }, "optimizer.lr must be > 0, got -1"},
		{"warm-up", func(e *Experiment) { e.Training.Schedule.WarmupEpochs = -1 }, "training.schedule.warmup_epochs must be >= 0, got -1"},
		{"min delta", func(e *Experiment) { e.Training.EarlyStopping.MinDelta = -1 }, "training.early_stopping.min_delta must be >= 0, got -1"},
		{"zero epochs", func(e *Experiment) { e.Training.Epochs = 0 }, "training.epochs must be in [1, 1000000], got 0"},
		{"batch", func(e *Experiment) { e.Training.BatchSize = -3 }, "training.batch_size must be 0 (auto) or in [1, 65536], got -3"},
		{"optimizer", func(e *Experiment) { e.Optimizer.Name = "lion" }, `optimizer.name must be adam, adamw or sgd, got "lion"`},
		{"arch", func(e *Experiment) { e.Model.Arch = "transformer" }, `model.arch must be linear, mlp, cnn, resnet or custom (a model.layers list), got "transformer"`},
		{"custom without layers", func(e *Experiment) { e.Model.Arch = "custom" }, `model.arch custom builds the model from model.layers, which is empty`},
		{"dropout", func(e *Experiment) { e.Model.Dropout = 1 }, "model.dropout must be in [0, 1), got 1"},
		{"split", func(e *Experiment) { e.Data.Val, e.Data.Test = 0.6, 0.5 }, "data.val + data.test must be < 1, got 1.1"},
		{"monitor", func(e *Experiment) { e.Training.Monitor = "loss" }, `training.monitor must be val_loss or val_accuracy, got "loss"`},
		{"class weights", func(e *Experiment) { e.Training.ClassWeights = "inverse" }, `training.class_weights must be empty or balanced, got "inverse"`},
		{"patience", func(e *Experiment) { e.Training.EarlyStopping.Patience = 0 }, "training.early_stopping.patience must be >= 1, got 0"},
		{"schedule", func(e *Experiment) { e.Training.Schedule.Name = "linear" }, `training.schedule.name must be constant, step, cosine, onecycle or plateau, got "linear"`},
		{"bootstrap", func(e *Experiment) { e.Calibration.Bootstrap = -1 }, "calibration.bootstrap must be in [0, 100000], got -1"},
		{"bins", func(e *Experiment) { e.Calibration.Bins = 0 }, "calibration.bins must be in [1, 1000], got 0"},
		{"source", func(e *Experiment) { e.Data.Source = " " }, "data.source must name a source, got an empty string"},
		{"val", func(e *Experiment) { e.Data.Val = 0 }, "data.val must be in (0, 1), got 0"},
		{"test", func(e *Experiment) { e.Data.Test = -0.1 }, "data.test must be in [0, 1), got -0.1"},
		{"image size", func(e *Experiment) { e.Data.ImageSize = 0 }, "data.image_size must be in [1, "},
		{"shift", func(e *Experiment) { e.Data.Augment.Shift = -1 }, "data.augment.shift must be >= 0, got -1"},
		{"noise", func(e *Experiment) { e.Data.Augment.Noise = -1 }, "data.augment.noise must be >= 0, got -1"},
		{"activation", func(e *Experiment) { e.Model.Activation = "gelu" }, `model.activation must be relu or tanh, got "gelu"`},
		{"weight decay", func(e *Experiment) { e.Optimizer.WeightDecay = -1 }, "optimizer.weight_decay must be >= 0, got -1"},
		{"momentum", func(e *Experiment) { e.Optimizer.Momentum = 1 }, "optimizer.momentum must be in [0, 1), got 1"},
		{"eps", func(e *Experiment) { e.Optimizer.Eps = 0 }, "optimizer.eps must be > 0, got 0"},
		{"clip norm", func(e *Experiment) { e.Optimizer.ClipNorm = -1 }, "optimizer.clip_norm must be >= 0, got -1"},
		{"gamma", func(e *Experiment) { e.Training.Schedule.Gamma = 2 }, "training.schedule.gamma must be in (0, 1), got 2"},
		{"step epochs", func(e *Experiment) { e.Training.Schedule.StepEpochs = 0 }, "training.schedule.step_epochs must be >= 1, got 0"},
		{"pct start", func(e *Experiment) { e.Training.Schedule.PctStart = 1 }, "training.schedule.pct_start must be in (0, 1), got 1"},
		{"min lr", func(e *Experiment) { e.Training.Schedule.MinLR = -1 }, "training.schedule.min_lr must be >= 0, got -1"},
		{"label smoothing", func(e *Experiment) { e.Training.LabelSmoothing = 1 }, "training.label_smoothing must be in [0, 1), got 1"},
		{"train eval size", func(e *Experiment) { e.Training.TrainEvalSize = 0 }, "training.train_eval_size must be > 0, got 0"},
		{"root", func(e *Experiment) { e.Output.Root = "" }, "output.root must name a directory, got an empty string"},
		{"name", func(e *Experiment) { e.Output.Name = "a/b" }, `output.name must not contain a path separator, got "a/b"`},
		{"not finite", func(e *Experiment) { e.Data.Val = math.NaN() }, "data.val must be a finite number, got NaN"},
		{"NaN val", func(e *Experiment) { e.Data.Val = math.NaN() }, "data.val must be a finite number, got NaN"},
		{"NaN dropout", func(e *Experiment) { e.Model.Dropout = math.NaN() }, "model.dropout must be a finite number, got NaN"},
		{"NaN noise", func(e *Experiment) { e.Data.Augment.Noise = float32(math.NaN()) }, "data.augment.noise must be a finite number, got NaN"},
		{"infinite weight decay", func(e *Experiment) { e.Optimizer.WeightDecay = math.Inf(1) }, "optimizer.weight_decay must be a finite number, got +Inf"},
		{"NaN warmup", func(e *Experiment) { e.Training.Schedule.WarmupEpochs = math.NaN() }, "training.schedule.warmup_epochs must be a finite number, got NaN"},
		{"delimiter", func(e *Experiment) { e.Data.Delimiter = ":" }, `data.delimiter must be ",", ";", "\t" (or "tab") or "|", got ":"`},
		{"empty delimiter", func(e *Experiment) { e.Data.Delimiter = "" }, `data.delimiter must be ",", ";", "\t" (or "tab") or "|", got ""`},
		{"ignore columns", func(e *Experiment) { e.Data.IgnoreColumns = []string{"id", " "} }, "data.ignore_columns must name columns, got an empty name at position 2"},
		{"missing", func(e *Experiment) { e.Data.Missing = "zero" }, `data.missing must be error, drop, mean or median, got "zero"`},
		{"missing indicator", func(e *Experiment) { e.Data.Missing, e.Data.MissingIndicator = "drop", true }, `data.missing_indicator needs data.missing mean or median (it marks the cells they fill), got data.missing "drop"`},
		{"empty class", func(e *Experiment) { e.Data.Classes = []string{"a", ""} }, "data.classes must name classes, got an empty name at position 2"},
		{"class twice", func(e *Experiment) { e.Data.Classes = []string{"3", "5", "3"} }, `data.classes must name each class once, got "3" twice`},
		{"one class", func(e *Experiment) { e.Data.Classes = []string{"3"} }, `data.classes must name at least 2 classes (a classifier needs 2), got "3"`},
		{"blank init from", func(e *Experiment) { e.Training.InitFrom = " " }, `training.init_from must name a run directory or a checkpoint, got " "`},
		{"empty freeze prefix", func(e *Experiment) { e.Training.Freeze = []string{"conv", " "} }, "training.freeze must name parameter prefixes (conv, dense0, ...), got an empty one at position 2"},
		{"unfreeze at 1", func(e *Experiment) { e.Training.Freeze, e.Training.UnfreezeAt = []string{"conv"}, 1 }, "training.unfreeze_at must be 0 (never) or an epoch from 2 on (epochs count from 1; 1 would freeze nothing), got 1"},
		{"negative unfreeze at", func(e *Experiment) { e.Training.Freeze, e.Training.UnfreezeAt = []string{"conv"}, -2 }, "training.unfreeze_at must be 0 (never) or an epoch from 2 on"},
		{"unfreeze nothing", func(e *Experiment) { e.Training.UnfreezeAt = 3 }, "training.unfreeze_at needs training.freeze (the parameters it releases), got 3 with nothing frozen"},
		{"infinite baseline", func(e *Experiment) { b := math.Inf(-1); e.Training.EarlyStopping.Baseline = &b }, "training.early_stopping.baseline must be a finite number, got -Inf"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := Default()
			c.modify(&e)
			err := e.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// FuzzParse feeds YAML to the config parser, starting from the examples,
// the default and a customized config marshalled, and broken documents.
// Whatever parses must then pass or fail Validate without panicking, and a
// config that validates must survive Marshal and Parse unchanged, since a
// run directory's config.yaml is how a run is resumed and reproduced.
func FuzzParse(f *testing.F) {
	examples, err := filepath.Glob("../examples/*.yaml")
	if err != nil || len(examples) == 0 {
		f.Fatalf("no examples (%v)", err)
	}
	for _, p := range examples {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, e := range []Experiment{Default(), customized()} {
		b, err := e.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"",
		"training:\n  epochs: 3\noptimizer:\n  lr: 0.01\n",
		"training:\n  epoch: 3\n",                    // unknown key
		"training:\n  epochs: many\n",                // wrong type
		"training:\n\tepochs: 3\n",                   // tab indentation
		"model: {arch: mlp, hidden: [64, 32\n",       // unclosed flow sequence
		"data: {source: \"digits}\n",                 // unclosed quote
		"model:\n  arch: cnn\nmodel:\n  arch: mlp\n", // duplicate key
		"- a\n- b\n",                         // a list, not a mapping
		"data:\n  val: .nan\n  test: .inf\n", // non-finite numbers
		"data:\n  val: .NaN\nmodel:\n  dropout: .nan\n",
		"optimizer:\n  weight_decay: .inf\ntraining:\n  early_stopping:\n    baseline: -.inf\n",
		"model:\n  hidden: []\n  channels: []\n",    // empty, not absent
		"model: ~\noptimizer: null\n",               // nulls
		"training:\n  seed: 18446744073709551616\n", // beyond uint64
		"training:\n  seed: -1\n  epochs: 0x10\n",
		"base: &b {epochs: 3}\ntraining: *b\n",          // anchor, alias (and an unknown key)
		"training:\n  <<: {epochs: 3, batch_size: 8}\n", // merge key
		"output:\n  name: !!binary aGVsbG8=\n",
		"data:\n  source: digits\n---\ndata:\n  source: mnist\n", // two documents
		"training:\n  early_stopping:\n    baseline: 0.5\n    divergence_threshold: 1e308\n",
		"data:\n  delimiter: \"\\t\"\n  ignore_columns: [id, 2019, \"\"]\n  missing: median\n  missing_indicator: true\n",
		"data:\n  delimiter: tab\n  ignore_columns: ~\n  missing: drop\n",
		"data:\n  classes: []\ntraining:\n  freeze: []\n  unfreeze_at: 0\n  init_from: \"\"\n",
		"data:\n  classes: [\"0\", 1, two]\ntraining:\n  init_from: runs/x\n  freeze: [conv, out.bias]\n  unfreeze_at: 3\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Parse(b)
		if err != nil {
			return
		}
		if e.Validate() != nil {
			return
		}
		m, err := e.Marshal()
		if err != nil {
			t.Fatalf("a valid config does not marshal: %v", err)
		}
		got, err := Parse(m)
		if err != nil {
			t.Fatalf("a marshalled valid config does not parse: %v\n%s", err, m)
		}
		if !reflect.DeepEqual(got, e) {
			t.Fatalf("Marshal and Parse changed the config:\n got %#v\nwant %#v\n%s", got, e, m)
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("the round-tripped config no longer validates: %v", err)
		}
		if m2, err := got.Marshal(); err != nil || !bytes.Equal(m2, m) {
			t.Fatalf("marshalling again gives other bytes (%v):\n%s\n---\n%s", err, m, m2)
		}
	})
}

// TestParseRejectsWrongTypes: a value whose YAML type does not fit its key
// is an error naming the key, the value and the line, where yaml.v3 alone
// would truncate 2.5 to 2 or read 1e3 into an integer key silently.
func TestParseRejectsWrongTypes(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"training:\n  epochs: 2.5\n", `training.epochs must be a whole number, got "2.5" (line 2`},
		{"training:\n  epochs: ten\n", `training.epochs must be a whole number, got "ten" (line 2`},
		{"training:\n  batch_size: 1e3\n", `training.batch_size must be a whole number, got "1e3" (line 2`},
		{"optimizer:\n  lr: fast\n", `optimizer.lr must be a number, got "fast" (line 2`},
		{"data:\n  normalize: yes\n", `data.normalize must be true or false, got "yes" (line 2`},
		{"model:\n  hidden: [128, 2.5]\n", `model.hidden[1] must be a whole number, got "2.5" (line 2`},
		{"model:\n  hidden: 128\n", `model.hidden must be a list, got "128" (line 2`},
		{"training:\n  early_stopping: on\n", `training.early_stopping must be a mapping of keys, got "on" (line 2`},
		{"data:\n  ignore_columns: id\n", `data.ignore_columns must be a list, got "id" (line 2`},
		{"data:\n  missing_indicator: 1\n", `data.missing_indicator must be true or false, got "1" (line 2`},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want an error containing %q", c.yaml, err, c.want)
		}
	}
	// Integers are numbers too, and null leaves a default.
	e, err := Parse([]byte("optimizer:\n  lr: 1\nmodel:\n  hidden:\n"))
	if err != nil || e.Optimizer.LR != 1 {
		t.Errorf("lr: 1 gave %v, %v", e.Optimizer.LR, err)
	}
}
