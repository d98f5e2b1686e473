package traincmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"

	"github.com/practica-ml/practica/lrsweep"
	"github.com/practica-ml/practica/setup"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/experiment"
	"github.com/practica-ml/practica/internal/atomicfile"
	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/train"
)

// Command is the train command: practica's subcommand and cmd/train.
func Command() *cli.Command {
	fl := slices.Concat(flags(), feasibilityFlags(), sweepFlags(), searchFlags(), []cli.Flag{maxMemoryFlag()}, emitFlags())
	return &cli.Command{
		Name:  "train",
		Usage: "train a model and write a run directory that reproduces it",
		Flags: fl,
		CustomHelpTemplate: cliutil.HelpTemplate(fl, categories,
			"[flags]   (no flags: the default model on the embedded digits; a default is what a run without the flag gets)"),
		Action: func(c *cli.Context) error {
			return withFlags(c, freezeUsage(c, trainAction(c, newOutput(c))))
		},
	}
}

// Flag categories of the help.
const (
	catData        = "data"
	catModel       = "model"
	catOptim       = "optimization"
	catSchedule    = "schedule and early stopping"
	catFineTune    = "fine-tuning"
	catFeasibility = "feasibility"
	catSweep       = "LR sweep"
	catCalibration = "calibration"
	catOutput      = "output"
	catEmit        = "running a search on Kubernetes or Slurm"
)

// categories is the order of the help's sections.
var categories = []string{catData, catModel, catOptim, catSchedule, catFineTune, catFeasibility, catSweep, catSearch, catEmit, catCalibration, catOutput}

// flags are the flags of a training run. A flag that sets a config key
// shows that key's default (config.Default), so that the help tells what
// a run without the flag does.
func flags() []cli.Flag {
	d := config.Default()
	t, es, sch := d.Training, d.Training.EarlyStopping, d.Training.Schedule
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Category: catData, Usage: "YAML experiment file; flags override it"},
		&cli.StringFlag{Name: "data", Category: catData, Value: d.Data.Source, Usage: "digits, fashion-mnist, mnist, blobs, spirals, noise[:n=,d=,c=], a .csv, an IDX or image folder"},
		&cli.StringFlag{Name: "label-column", Category: catData, Usage: "CSV column holding the label", DefaultText: "the last"},
		&cli.StringFlag{Name: "labels", Category: catData, Usage: "labels file replacing the source's labels (one per line, or CSV index,label)"},
		&cli.StringFlag{Name: "delimiter", Category: catData, Value: d.Data.Delimiter, Usage: `CSV field separator: ",", ";", "\t" (or tab) or "|"`},
		&cli.StringFlag{Name: "classes", Category: catData, Usage: "keep only the examples of these classes, comma-separated (names as the source has them)", DefaultText: "all"},
		&cli.StringFlag{Name: "ignore-columns", Category: catData, Usage: "CSV columns left out of the features, comma-separated (predict passes the first through as \"id\")", DefaultText: "none"},
		&cli.StringFlag{Name: "missing", Category: catData, Value: d.Data.Missing, Usage: "CSV cells empty, NA, N/A, NaN, null, None or #N/A: error, drop (the row), mean or median (of the training split)"},
		&cli.BoolFlag{Name: "missing-indicator", Category: catData, Value: d.Data.MissingIndicator, Usage: "with --missing mean or median: a 0/1 feature per column with missing cells in training"},
		&cli.Float64Flag{Name: "val", Category: catData, Value: d.Data.Val, Usage: "fraction of the data held out for validation (stratified, seeded)"},
		&cli.Float64Flag{Name: "test", Category: catData, Value: d.Data.Test, Usage: "fraction held out for testing (0: none; ignored when the source has its own test split)"},
		&cli.IntFlag{Name: "image-size", Category: catData, Value: d.Data.ImageSize, Usage: "side image folders are resized to"},
		&cli.IntFlag{Name: "augment-shift", Category: catData, Value: d.Data.Augment.Shift, Usage: "images: random shift by up to this many pixels"},
		&cli.BoolFlag{Name: "augment-flip", Category: catData, Value: d.Data.Augment.Flip, Usage: "images: random horizontal flips"},
		&cli.Float64Flag{Name: "augment-noise", Category: catData, Value: float64(d.Data.Augment.Noise), Usage: "images: gaussian noise of this standard deviation (normalized units)"},

		&cli.StringFlag{Name: "model", Category: catModel, Usage: "linear, mlp, cnn or resnet (a config's model.layers defines any other)", DefaultText: "cnn for images, mlp for tabular data"},
		&cli.StringFlag{Name: "hidden", Category: catModel, Usage: "dense hidden sizes, comma-separated", DefaultText: "mlp: 128, or 256,128 for 256 inputs or more; cnn: 128"},
		&cli.StringFlag{Name: "channels", Category: catModel, Usage: "cnn convolution channels, comma-separated", DefaultText: "32,64"},
		&cli.Float64Flag{Name: "dropout", Category: catModel, Value: d.Model.Dropout, Usage: "dropout probability after dense hidden layers"},
		&cli.BoolFlag{Name: "batch-norm", Category: catModel, Value: d.Model.BatchNorm, Usage: "batch normalization after each convolution"},

		&cli.IntFlag{Name: "epochs", Category: catOptim, Value: t.Epochs, Usage: "number of epochs (with --resume: the new total)"},
		&cli.IntFlag{Name: "batch-size", Category: catOptim, Value: t.BatchSize, Usage: "mini-batch size",
			DefaultText: fmt.Sprintf("%d, or a tenth of the training split when smaller", setup.MaxAutoBatchSize)},
		&cli.StringFlag{Name: "lr", Category: catOptim, Value: strconv.FormatFloat(d.Optimizer.LR, 'g', -1, 64), Usage: "learning rate, or auto (range test, then train with its answer)"},
		&cli.StringFlag{Name: "optimizer", Category: catOptim, Value: d.Optimizer.Name, Usage: "adam, adamw or sgd"},
		&cli.Float64Flag{Name: "weight-decay", Category: catOptim, Value: d.Optimizer.WeightDecay, Usage: "L2 (adam, sgd) or decoupled (adamw) weight decay"},
		&cli.Float64Flag{Name: "momentum", Category: catOptim, Value: d.Optimizer.Momentum, Usage: "sgd momentum"},
		&cli.Float64Flag{Name: "label-smoothing", Category: catOptim, Value: t.LabelSmoothing, Usage: "spread this much of each target over all classes"},
		&cli.StringFlag{Name: "class-weights", Category: catOptim, Value: t.ClassWeights, Usage: "balanced: weight classes by inverse frequency", DefaultText: "equal"},
		&cli.Uint64Flag{Name: "seed", Category: catOptim, Value: t.Seed, EnvVars: []string{cliutil.EnvSeed}, Usage: "seed of the split, the weights, the batch order and dropout"},

		&cli.StringFlag{Name: "schedule", Category: catSchedule, Value: sch.Name, Usage: "learning-rate schedule: constant, step, cosine, onecycle or plateau"},
		&cli.Float64Flag{Name: "warmup-epochs", Category: catSchedule, Value: sch.WarmupEpochs, Usage: "cosine: linear warm-up epochs"},
		&cli.Float64Flag{Name: "min-lr", Category: catSchedule, Value: sch.MinLR, Usage: "cosine and plateau: the lowest learning rate"},
		&cli.StringFlag{Name: "monitor", Category: catSchedule, Value: t.Monitor, Usage: "val_loss or val_accuracy: picks the best epoch, drives early stopping"},
		&cli.BoolFlag{Name: "early-stopping", Category: catSchedule, Value: es.Enabled, Usage: "stop when the monitored metric stops improving (the best weights are kept either way)"},
		&cli.IntFlag{Name: "patience", Category: catSchedule, Value: es.Patience, Usage: "early stopping: epochs without improvement"},
		&cli.Float64Flag{Name: "min-delta", Category: catSchedule, Value: es.MinDelta, Usage: "early stopping: the least change that counts as improvement"},
		&cli.Float64Flag{Name: "divergence-threshold", Category: catSchedule, Usage: "early stopping: stop at once when the metric is worse than this", DefaultText: "none"},
		&cli.Float64Flag{Name: "baseline", Category: catSchedule, Usage: "early stopping: a value the metric must beat within --patience epochs", DefaultText: "none"},
		&cli.StringFlag{Name: "resume", Category: catSchedule, Usage: "continue the run in this directory from its last.ckpt"},
		&cli.BoolFlag{Name: "allow-data-change", Category: catSchedule, Usage: "with --resume: go on when the run's data differ from the fingerprint in its meta.json"},

		&cli.StringFlag{Name: "init-from", Category: catFineTune, Usage: "start from the run directory `RUN`'s best.ckpt (or a checkpoint file): every parameter with the same name and shape; the optimizer starts afresh", DefaultText: "none"},
		&cli.StringFlag{Name: "freeze", Category: catFineTune, Usage: "keep fixed the parameters whose names start with one of the comma-separated `PREFIX,...`: conv, conv0, bn, dense0, out, conv0.weight", DefaultText: "none"},
		&cli.IntFlag{Name: "unfreeze-at", Category: catFineTune, Value: t.UnfreezeAt, Usage: "from this `EPOCH` on (epochs count from 1) the --freeze parameters train too", DefaultText: "never"},

		&cli.BoolFlag{Name: "no-calibrate", Category: catCalibration, Value: !d.Calibration.Calibrate, Usage: "skip temperature scaling at the end of training"},
		&cli.IntFlag{Name: "bootstrap", Category: catCalibration, Value: d.Calibration.Bootstrap, Usage: "resamples of the bootstrap 95% interval of ECE (0: none)"},

		&cli.StringFlag{Name: "out", Category: catOutput, Value: d.Output.Root, EnvVars: []string{cliutil.EnvOut}, Usage: "root directory of run directories"},
		&cli.StringFlag{Name: "name", Category: catOutput, Usage: "short name of the run directory", DefaultText: "model-data"},
		&cli.BoolFlag{Name: "print-config", Category: catOutput, Usage: "print the resolved config (file and flags merged) as YAML and exit"},
		&cli.BoolFlag{Name: "summary", Category: catModel, Usage: "print the model's layers (output shape, parameters, FLOPs per example) for the data and exit"},
		&cli.BoolFlag{Name: "json", Category: catOutput, Usage: "print summary.json on stdout instead of a summary for people"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Category: catOutput, EnvVars: []string{cliutil.EnvQuiet}, Usage: "no progress: only warnings and errors on stderr"},
		&cli.BoolFlag{Name: "verbose", Category: catOutput, Usage: "debug logging"},
		&cli.StringFlag{Name: "cpuprofile", Category: catOutput, Usage: "write a CPU profile of the run to this file (go tool pprof)"},
		&cli.StringFlag{Name: "memprofile", Category: catOutput, Usage: "write a heap profile at the end of the run to this file (go tool pprof)"},
	}
}

// buildConfig reads --config (or the defaults) and applies every flag that
// was set, on the command line or by its environment variable: a flag
// overrides its environment variable, which overrides the config file,
// which overrides the defaults.
func buildConfig(c *cli.Context) (config.Experiment, error) {
	cfg := config.Default()
	if p := c.String("config"); p != "" {
		var err error
		if cfg, err = config.Load(p); err != nil {
			return cfg, err
		}
	}
	if err := applyFlags(c, &cfg, c.IsSet); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// applyFlags sets the config keys of the flags for which isSet is true.
func applyFlags(c *cli.Context, cfg *config.Experiment, isSet func(flag string) bool) error {
	t, es := &cfg.Training, &cfg.Training.EarlyStopping
	if isSet("model") {
		// A new architecture takes its own default sizes unless given,
		// and replaces a layer list.
		cfg.Model.Hidden, cfg.Model.Channels, cfg.Model.Layers = nil, nil, nil
	}
	for name, dst := range map[string]*string{"data": &cfg.Data.Source, "label-column": &cfg.Data.LabelColumn, "labels": &cfg.Data.Labels,
		"model": &cfg.Model.Arch, "optimizer": &cfg.Optimizer.Name, "out": &cfg.Output.Root, "name": &cfg.Output.Name,
		"monitor": &t.Monitor, "schedule": &t.Schedule.Name, "class-weights": &t.ClassWeights,
		"delimiter": &cfg.Data.Delimiter, "missing": &cfg.Data.Missing, "init-from": &t.InitFrom} {
		if isSet(name) {
			*dst = c.String(name)
		}
	}
	for name, dst := range map[string]*[]int{"hidden": &cfg.Model.Hidden, "channels": &cfg.Model.Channels} {
		if isSet(name) {
			v, err := parseInts(c.String(name))
			if err != nil {
				return fmt.Errorf("--%s: %w", name, err)
			}
			*dst = v
		}
	}
	if isSet("ignore-columns") {
		cfg.Data.IgnoreColumns = parseNames(c.String("ignore-columns"))
	}
	for name, dst := range map[string]*[]string{"classes": &cfg.Data.Classes, "freeze": &t.Freeze} {
		if isSet(name) {
			if *dst = parseNames(c.String(name)); len(*dst) == 0 {
				*dst = nil
			}
		}
	}
	for name, dst := range map[string]*int{"epochs": &t.Epochs, "batch-size": &t.BatchSize, "patience": &es.Patience,
		"augment-shift": &cfg.Data.Augment.Shift, "bootstrap": &cfg.Calibration.Bootstrap, "image-size": &cfg.Data.ImageSize,
		"unfreeze-at": &t.UnfreezeAt} {
		if isSet(name) {
			*dst = c.Int(name)
		}
	}
	for name, dst := range map[string]*float64{"dropout": &cfg.Model.Dropout, "weight-decay": &cfg.Optimizer.WeightDecay,
		"momentum": &cfg.Optimizer.Momentum, "min-delta": &es.MinDelta, "warmup-epochs": &t.Schedule.WarmupEpochs,
		"min-lr": &t.Schedule.MinLR, "label-smoothing": &t.LabelSmoothing, "val": &cfg.Data.Val, "test": &cfg.Data.Test} {
		if isSet(name) {
			*dst = c.Float64(name)
		}
	}
	for name, dst := range map[string]**float64{"divergence-threshold": &es.DivergenceThreshold, "baseline": &es.Baseline} {
		if isSet(name) {
			v := c.Float64(name)
			*dst = &v
		}
	}
	for name, dst := range map[string]*bool{"batch-norm": &cfg.Model.BatchNorm, "early-stopping": &es.Enabled, "augment-flip": &cfg.Data.Augment.Flip,
		"missing-indicator": &cfg.Data.MissingIndicator} {
		if isSet(name) {
			*dst = c.Bool(name)
		}
	}
	if isSet("seed") {
		t.Seed = c.Uint64("seed")
	}
	// --lr auto keeps the configured lr: runSweep's range test replaces it.
	if isSet("lr") && c.String("lr") != "auto" {
		v, err := strconv.ParseFloat(c.String("lr"), 64)
		if err != nil {
			return fmt.Errorf("--lr must be a number, got %q", c.String("lr"))
		}
		cfg.Optimizer.LR = v
	}
	if isSet("augment-noise") {
		cfg.Data.Augment.Noise = float32(c.Float64("augment-noise"))
	}
	if isSet("no-calibrate") {
		cfg.Calibration.Calibrate = !c.Bool("no-calibrate")
	}
	return nil
}

// parseNames splits a comma-separated list of column names, trimming
// spaces; "" is no name. An empty name between commas is kept, for the
// config's validation to name.
func parseNames(s string) []string {
	names := []string{}
	if strings.TrimSpace(s) == "" {
		return names
	}
	for _, n := range strings.Split(s, ",") {
		names = append(names, strings.TrimSpace(n))
	}
	return names
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("want positive integers separated by commas, got %q", s)
		}
		out = append(out, v)
	}
	return out, nil
}

// output is where a mode of the train command prints, the command line
// it records and the command that resumes it.
type output struct {
	stdout, stderr io.Writer
	args           []string
	prog           string
}

func newOutput(c *cli.Context) *output {
	return &output{stdout: c.App.Writer, stderr: c.App.ErrWriter, args: cliutil.Args(c), prog: cliutil.Prog(c)}
}

// json prints v as indented JSON on stdout.
func (o *output) json(v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(o.stdout, string(b))
	return nil
}

func trainAction(c *cli.Context, out *output) error {
	if c.NArg() > 0 {
		if err := cliutil.NoStrayFlags(c); err != nil {
			return err
		}
		return cliutil.Usagef(c, "unexpected arguments %q: train takes only flags (the data source is --data)", c.Args().Slice())
	}
	if c.IsSet("emit") {
		return emitAction(c, out)
	}
	if err := checkEmitOnly(c); err != nil {
		return err
	}
	var cfg config.Experiment
	if c.Bool("print-config") {
		return printConfig(c, out)
	}
	if c.Bool("summary") {
		if c.IsSet("resume") {
			return cliutil.Usagef(c, "--summary shows the model a config builds; for a run's model, give --config RUN/config.yaml")
		}
		return summaryAction(c, out)
	}
	if c.IsSet("resume") {
		if err := resumeFlagsOnly(c); err != nil {
			return err
		}
	} else {
		if c.IsSet("allow-data-change") {
			return cliutil.Usagef(c, "--allow-data-change needs --resume: only a resumed run has data recorded to check")
		}
		var err error
		if cfg, err = buildConfig(c); err != nil {
			return err
		}
	}
	tests, err := feasibilityTests(c)
	if err != nil {
		return err
	}
	if tests != nil {
		for _, f := range []string{"init-from", "freeze", "unfreeze-at"} {
			if c.IsSet(f) {
				return cliutil.Usagef(c, "--%s cannot be combined with the feasibility tests, which test the configured model from its own initial weights", f)
			}
		}
	}
	sweep, auto, err := sweepConfig(c)
	if err != nil {
		return err
	}
	maxMem, maxMemFrom, err := maxMemory(c)
	if err != nil {
		return err
	}
	defer holdHeapUnder(maxMem)()
	stopProfiles, err := startProfiles(c)
	if err != nil {
		return err
	}
	defer stopProfiles()
	ctx, stop := cliutil.SignalContext(context.Background())
	defer stop()
	opt := experiment.Options{Env: setup.Env{DataDir: data.DataDirFromEnv(), AllowDataChange: c.Bool("allow-data-change")}, Args: out.args, Log: cliutil.Logger(out.stderr, c.Bool("quiet"), c.Bool("verbose")),
		MaxMemory: maxMem, MaxMemoryFrom: maxMemFrom}
	if !c.Bool("quiet") {
		opt.Progress = out.stderr
	}
	switch {
	case c.IsSet("search"):
		return searchAction(ctx, c, out, cfg, opt)
	case tests != nil:
		rep, err := experiment.Feasibility(ctx, cfg, *tests, opt)
		if err != nil {
			return interrupted(ctx, err)
		}
		return printFeasibility(c, out, rep)
	case sweep != nil && !auto:
		rep, err := experiment.Sweep(ctx, cfg, *sweep, opt)
		if err != nil {
			return interrupted(ctx, err)
		}
		if c.Bool("json") {
			return out.json(rep)
		}
		lrsweep.WriteText(out.stdout, rep)
		return nil
	case sweep != nil:
		sum, rep, err := experiment.TrainLRAuto(ctx, cfg, *sweep, opt)
		if sum == nil {
			return interrupted(ctx, err)
		}
		if !c.Bool("json") {
			why := "every short training diverged: the " + rep.RecommendedBy + " recommendation"
			if g := rep.Grid; g != nil && g.Best > 0 {
				why = g.Reason
			}
			fmt.Fprintf(out.stdout, "lr auto: %.3g (%s); the range test and the short trainings are in %s, %s and %s\n",
				rep.TrainedWith, why, rundir.LRSweepFile, rundir.LRSweepPlot, rundir.LRGridPlot)
		}
		return finishTraining(ctx, c, out, sum, err)
	case c.IsSet("resume"):
		sum, err := experiment.Resume(ctx, c.String("resume"), func(cfg *config.Experiment) error {
			return applyFlags(c, cfg, func(name string) bool { return resumeFlags[name] && c.IsSet(name) })
		}, opt)
		if sum == nil {
			return err
		}
		return finishTraining(ctx, c, out, sum, err)
	default:
		sum, err := experiment.Train(ctx, cfg, opt)
		if sum == nil {
			return err
		}
		return finishTraining(ctx, c, out, sum, err)
	}
}

// finishTraining prints a training summary (JSON or for people) and maps
// how training ended to an exit: a non-finite loss is an error, an
// interrupt exits 130 with the command that resumes.
func finishTraining(ctx context.Context, c *cli.Context, out *output, sum *rundir.Summary, err error) error {
	if c.Bool("json") {
		if jerr := out.json(sum); jerr != nil {
			return jerr
		}
	} else {
		printSummary(out.stdout, sum)
	}
	if err != nil {
		return err
	}
	if sum.StopReason == train.StopInterrupted {
		return &cliutil.Exit{Code: cliutil.InterruptCode(ctx), Err: fmt.Errorf("interrupted after %d epochs; resume with: %s --resume %s", sum.EpochsRun, out.prog, sum.RunDir)}
	}
	return nil
}

// interrupted turns an error caused by SIGINT or SIGTERM into exit code
// 130 or 143.
func interrupted(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return &cliutil.Exit{Code: cliutil.InterruptCode(ctx), Err: err}
	}
	return err
}

// printConfig prints the config a run with these flags would use: the
// file (--config) or the defaults, with the flags and environment
// variables applied; with --resume, the run's own config.yaml with the
// changes the flags make to it.
func printConfig(c *cli.Context, out *output) error {
	var cfg config.Experiment
	var err error
	if c.IsSet("resume") {
		if err := resumeFlagsOnly(c); err != nil {
			return err
		}
		dir, err := rundir.Open(c.String("resume"))
		if err != nil {
			return err
		}
		if cfg, err = config.Load(dir.Join(rundir.ConfigFile)); err != nil {
			return err
		}
		err = applyFlags(c, &cfg, func(name string) bool { return resumeFlags[name] && c.IsSet(name) })
		if err == nil {
			err = cfg.Validate()
		}
	} else {
		cfg, err = buildConfig(c)
	}
	if err != nil {
		return err
	}
	b, err := cfg.Marshal()
	if err != nil {
		return err
	}
	_, err = out.stdout.Write(b)
	return err
}

// startProfiles starts --cpuprofile and arms --memprofile; the function it
// returns stops and writes them.
func startProfiles(c *cli.Context) (func(), error) {
	var stops []func()
	if p := c.String("cpuprofile"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
	}
	if p := c.String("memprofile"); p != "" {
		stops = append(stops, func() {
			if err := writeHeapProfile(p); err != nil {
				fmt.Fprintf(c.App.ErrWriter, "warning: heap profile not written to %s: %v\n", p, err)
			}
		})
	}
	return func() {
		for _, f := range stops {
			f()
		}
	}, nil
}

// resumeFlags are the flags a resumed run takes: the settings it may
// change (experiment.Resumable: more epochs, other early stopping) and
// those of this invocation alone (output, profiles, the machine's memory).
var resumeFlags = map[string]bool{"resume": true, "epochs": true, "allow-data-change": true,
	"early-stopping": true, "patience": true, "min-delta": true, "baseline": true, "divergence-threshold": true,
	"print-config": true, "json": true, "quiet": true, "q": true, "verbose": true, "cpuprofile": true, "memprofile": true, "max-memory": true}

// resumeFlagsOnly rejects, among the flags given on the command line (an
// environment variable such as PRACTICA_SEED does not count: the run
// keeps its own), those that would change a resumed run.
func resumeFlagsOnly(c *cli.Context) error {
	for _, name := range c.LocalFlagNames() {
		if !resumeFlags[name] {
			return cliutil.Usagef(c, "--%s cannot be combined with --resume: a resumed run keeps its config.yaml, but for --epochs (the new total) and the early-stopping flags", name)
		}
	}
	return nil
}

func printSummary(w io.Writer, s *rundir.Summary) {
	fmt.Fprintf(w, "%s on %s: %d epochs in %.1fs (%s)\n", s.Model, s.Data, s.EpochsRun, s.Seconds, s.StopReason)
	if s.BestEpoch != nil && s.ValLoss != nil && s.ValAccuracy != nil {
		fmt.Fprintf(w, "best epoch %d: val_loss %.4f  val_accuracy %.4f\n", *s.BestEpoch, *s.ValLoss, *s.ValAccuracy)
	}
	if s.TestAccuracy != nil {
		fmt.Fprintf(w, "test (best weights): loss %.4f  accuracy %.4f on %d examples\n", *s.TestLoss, *s.TestAccuracy, s.TestSize)
	}
	switch {
	case s.TestECEBefore != nil && s.Temperature > 0:
		fmt.Fprintf(w, "calibration: T %.3f (fitted on validation), test ECE %.4f -> %.4f (calibration.json)\n", s.Temperature, *s.TestECEBefore, *s.TestECEAfter)
	case s.TestECEBefore != nil:
		fmt.Fprintf(w, "calibration: no temperature fitted (see calibration.json), test ECE %.4f\n", *s.TestECEBefore)
	}
	for _, warning := range s.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warning)
	}
	fmt.Fprintf(w, "run directory: %s\n", s.RunDir)
}

// writeHeapProfile writes the heap profile: live memory and, with
// -sample_index=alloc_space, everything the run allocated.
// It is written atomically: a failure leaves no partial file.
func writeHeapProfile(path string) error {
	var buf bytes.Buffer
	if err := pprof.Lookup("allocs").WriteTo(&buf, 0); err != nil {
		return err
	}
	return atomicfile.Write(path, buf.Bytes())
}
