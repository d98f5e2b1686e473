package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/practica-ml/practica/lrsweep"
	"github.com/practica-ml/practica/setup"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/experiment"
	"github.com/practica-ml/practica/internal/atomicfile"
	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/kernels"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/train"
)

// run builds the app, runs it on args and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	kernels.Install()
	cliutil.TuneGC()
	return cliutil.Handle(stderr, "train", newApp(stdout, stderr, args).Run(args))
}

// newApp is the testable constructor of the train command; args is the
// command line it will run, recorded in the run directory.
func newApp(stdout, stderr io.Writer, args []string) *cli.App {
	return &cli.App{
		Name:      "train",
		Usage:     "train a model and write a run directory that reproduces it",
		UsageText: "train [flags]   (no flags: the default model on the embedded digits)",
		Version:   rundir.Version,
		Writer:    stdout,
		ErrWriter: stderr,
		Flags:     slices.Concat(flags(), feasibilityFlags(), sweepFlags(), []cli.Flag{maxMemoryFlag()}),
		Action: func(c *cli.Context) error {
			return withFlags(c, trainAction(c, &output{stdout: stdout, stderr: stderr, args: args}))
		},
		HideHelpCommand: true,
		ExitErrHandler:  func(*cli.Context, error) {},
	}
}

func flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Usage: "YAML experiment file; flags override it"},
		&cli.StringFlag{Name: "data", Usage: "data source: digits, fashion-mnist, mnist, blobs, spirals, noise[:n=,d=,c=], a .csv file, an IDX directory or an image folder"},
		&cli.StringFlag{Name: "label-column", Usage: "CSV column holding the label (default: the last)"},
		&cli.StringFlag{Name: "labels", Usage: "labels file replacing the source's labels (one per line, or CSV index,label)"},
		&cli.StringFlag{Name: "model", Usage: "architecture: linear, mlp or cnn (default: cnn for images, mlp for tabular data)"},
		&cli.StringFlag{Name: "hidden", Usage: "dense hidden sizes, comma-separated (e.g. 256,128)"},
		&cli.StringFlag{Name: "channels", Usage: "cnn conv block channels, comma-separated (e.g. 32,64)"},
		&cli.Float64Flag{Name: "dropout", Usage: "dropout probability after dense hidden layers"},
		&cli.BoolFlag{Name: "batch-norm", Usage: "batch normalization after each convolution"},
		&cli.IntFlag{Name: "epochs", Usage: "number of epochs"},
		&cli.IntFlag{Name: "batch-size", Usage: "mini-batch size (0, the default: min(128, a tenth of the training split))"},
		&cli.StringFlag{Name: "lr", Usage: "learning rate"},
		&cli.StringFlag{Name: "optimizer", Usage: "adam, adamw or sgd"},
		&cli.Float64Flag{Name: "weight-decay", Usage: "L2 (adam, sgd) or decoupled (adamw) weight decay"},
		&cli.Float64Flag{Name: "momentum", Usage: "sgd momentum"},
		&cli.Uint64Flag{Name: "seed", Usage: "seed of the split, the weights, the batch order and dropout"},
		&cli.BoolFlag{Name: "early-stopping", Usage: "stop when the monitored metric stops improving (best weights are kept either way)"},
		&cli.IntFlag{Name: "patience", Usage: "early stopping: epochs without improvement (default 5)"},
		&cli.Float64Flag{Name: "min-delta", Usage: "early stopping: the least change that counts as improvement"},
		&cli.StringFlag{Name: "monitor", Usage: "val_loss or val_accuracy: picks the best epoch and drives early stopping"},
		&cli.Float64Flag{Name: "divergence-threshold", Usage: "early stopping: stop at once when the monitored metric is worse than this"},
		&cli.Float64Flag{Name: "baseline", Usage: "early stopping: a value the monitored metric must beat within --patience epochs"},
		&cli.StringFlag{Name: "schedule", Usage: "learning-rate schedule: constant, step, cosine, onecycle or plateau"},
		&cli.Float64Flag{Name: "warmup-epochs", Usage: "cosine schedule: linear warm-up epochs"},
		&cli.Float64Flag{Name: "min-lr", Usage: "cosine and plateau schedules: the lowest learning rate"},
		&cli.Float64Flag{Name: "label-smoothing", Usage: "spread this much of each target over all classes"},
		&cli.StringFlag{Name: "class-weights", Usage: "balanced: weight classes by inverse frequency"},
		&cli.IntFlag{Name: "augment-shift", Usage: "images: random shift by up to this many pixels"},
		&cli.BoolFlag{Name: "augment-flip", Usage: "images: random horizontal flips"},
		&cli.Float64Flag{Name: "augment-noise", Usage: "images: gaussian noise of this standard deviation (normalized units)"},
		&cli.BoolFlag{Name: "no-calibrate", Usage: "skip temperature scaling at the end of training (calibration.json, reliability.png, T in best.ckpt)"},
		&cli.IntFlag{Name: "bootstrap", Usage: "resamples of the bootstrap 95% interval of ECE in calibration.json (default 200, 0 for none)"},
		&cli.StringFlag{Name: "resume", Usage: "continue the run in this directory from its last.ckpt (--epochs is the total)"},
		&cli.StringFlag{Name: "out", Usage: "root directory of run directories (default runs)"},
		&cli.StringFlag{Name: "name", Usage: "short name of the run directory"},
		&cli.BoolFlag{Name: "json", Usage: "print summary.json on stdout instead of a human summary"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress, only warnings and errors on stderr"},
		&cli.BoolFlag{Name: "verbose", Usage: "debug logging"},
		&cli.StringFlag{Name: "cpuprofile", Usage: "write a CPU profile of the run to this file (go tool pprof)"},
		&cli.StringFlag{Name: "memprofile", Usage: "write a heap profile (live and allocated memory) at the end of the run to this file (go tool pprof)"},
	}
}

// buildConfig reads --config (or the defaults) and applies every flag that
// was set on the command line.
func buildConfig(c *cli.Context) (config.Experiment, error) {
	cfg := config.Default()
	if p := c.String("config"); p != "" {
		var err error
		if cfg, err = config.Load(p); err != nil {
			return cfg, err
		}
	}
	str := map[string]*string{"data": &cfg.Data.Source, "label-column": &cfg.Data.LabelColumn, "labels": &cfg.Data.Labels,
		"model": &cfg.Model.Arch, "optimizer": &cfg.Optimizer.Name, "out": &cfg.Output.Root, "name": &cfg.Output.Name}
	for name, dst := range str {
		if c.IsSet(name) {
			*dst = c.String(name)
		}
	}
	if c.IsSet("model") {
		// A new architecture takes its own default sizes unless given.
		cfg.Model.Hidden, cfg.Model.Channels = nil, nil
	}
	for name, dst := range map[string]*[]int{"hidden": &cfg.Model.Hidden, "channels": &cfg.Model.Channels} {
		if c.IsSet(name) {
			v, err := parseInts(c.String(name))
			if err != nil {
				return cfg, fmt.Errorf("--%s: %w", name, err)
			}
			*dst = v
		}
	}
	if c.IsSet("dropout") {
		cfg.Model.Dropout = c.Float64("dropout")
	}
	if c.IsSet("batch-norm") {
		cfg.Model.BatchNorm = c.Bool("batch-norm")
	}
	if c.IsSet("epochs") {
		cfg.Training.Epochs = c.Int("epochs")
	}
	if c.IsSet("batch-size") {
		cfg.Training.BatchSize = c.Int("batch-size")
	}
	if c.IsSet("seed") {
		cfg.Training.Seed = c.Uint64("seed")
	}
	// --lr auto keeps the configured lr: runSweep's range test replaces it.
	if c.IsSet("lr") && c.String("lr") != "auto" {
		v, err := strconv.ParseFloat(c.String("lr"), 64)
		if err != nil {
			return cfg, fmt.Errorf("--lr must be a number, got %q", c.String("lr"))
		}
		cfg.Optimizer.LR = v
	}
	if c.IsSet("weight-decay") {
		cfg.Optimizer.WeightDecay = c.Float64("weight-decay")
	}
	if c.IsSet("momentum") {
		cfg.Optimizer.Momentum = c.Float64("momentum")
	}
	t := &cfg.Training
	if c.IsSet("early-stopping") {
		t.EarlyStopping.Enabled = c.Bool("early-stopping")
	}
	if c.IsSet("patience") {
		t.EarlyStopping.Patience = c.Int("patience")
	}
	if c.IsSet("min-delta") {
		t.EarlyStopping.MinDelta = c.Float64("min-delta")
	}
	if c.IsSet("divergence-threshold") {
		v := c.Float64("divergence-threshold")
		t.EarlyStopping.DivergenceThreshold = &v
	}
	if c.IsSet("baseline") {
		v := c.Float64("baseline")
		t.EarlyStopping.Baseline = &v
	}
	for name, dst := range map[string]*string{"monitor": &t.Monitor, "schedule": &t.Schedule.Name, "class-weights": &t.ClassWeights} {
		if c.IsSet(name) {
			*dst = c.String(name)
		}
	}
	if c.IsSet("warmup-epochs") {
		t.Schedule.WarmupEpochs = c.Float64("warmup-epochs")
	}
	if c.IsSet("min-lr") {
		t.Schedule.MinLR = c.Float64("min-lr")
	}
	if c.IsSet("label-smoothing") {
		t.LabelSmoothing = c.Float64("label-smoothing")
	}
	if c.IsSet("augment-shift") {
		cfg.Data.Augment.Shift = c.Int("augment-shift")
	}
	if c.IsSet("augment-flip") {
		cfg.Data.Augment.Flip = c.Bool("augment-flip")
	}
	if c.IsSet("augment-noise") {
		cfg.Data.Augment.Noise = float32(c.Float64("augment-noise"))
	}
	if c.IsSet("no-calibrate") {
		cfg.Calibration.Calibrate = !c.Bool("no-calibrate")
	}
	if c.IsSet("bootstrap") {
		cfg.Calibration.Bootstrap = c.Int("bootstrap")
	}
	return cfg, cfg.Validate()
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

// output is where a mode of the train command prints, and the command
// line it records.
type output struct {
	stdout, stderr io.Writer
	args           []string
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
		return fmt.Errorf("unexpected arguments %q: train takes only flags (the data source is --data)", c.Args().Slice())
	}
	var cfg config.Experiment
	if c.IsSet("resume") {
		if err := resumeFlagsOnly(c); err != nil {
			return err
		}
	} else {
		var err error
		if cfg, err = buildConfig(c); err != nil {
			return err
		}
	}
	tests, err := feasibilityTests(c)
	if err != nil {
		return err
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opt := experiment.Options{Env: setup.Env{DataDir: data.DataDirFromEnv()}, Args: out.args, Log: cliutil.Logger(out.stderr, c.Bool("quiet"), c.Bool("verbose")),
		MaxMemory: maxMem, MaxMemoryFrom: maxMemFrom}
	if !c.Bool("quiet") {
		opt.Progress = out.stderr
	}
	switch {
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
			fmt.Fprintf(out.stdout, "lr auto: %.3g (%s, the median over %d seed(s)); the range test is in %s and %s\n",
				rep.Recommended, rep.RecommendedBy, len(rep.Suggestions[rep.RecommendedBy].PerSeed), rundir.LRSweepFile, rundir.LRSweepPlot)
		}
		return finishTraining(c, out, sum, err)
	case c.IsSet("resume"):
		sum, err := experiment.Resume(ctx, c.String("resume"), c.Int("epochs"), opt)
		if sum == nil {
			return err
		}
		return finishTraining(c, out, sum, err)
	default:
		sum, err := experiment.Train(ctx, cfg, opt)
		if sum == nil {
			return err
		}
		return finishTraining(c, out, sum, err)
	}
}

// finishTraining prints a training summary (JSON or for people) and maps
// how training ended to an exit: a non-finite loss is an error, an
// interrupt exits 130 with the command that resumes.
func finishTraining(c *cli.Context, out *output, sum *rundir.Summary, err error) error {
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
		return &cliutil.Exit{Code: cliutil.ExitInterrupted, Err: fmt.Errorf("interrupted after %d epochs; resume with: %s --resume %s", sum.EpochsRun, out.args[0], sum.RunDir)}
	}
	return nil
}

// interrupted turns an error caused by Ctrl-C into exit code 130.
func interrupted(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return &cliutil.Exit{Code: cliutil.ExitInterrupted, Err: err}
	}
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

// resumeFlagsOnly rejects flags that would change a resumed run: it
// continues with its own config.yaml; only --epochs (the new total),
// output flags and --max-memory (the machine's) apply.
func resumeFlagsOnly(c *cli.Context) error {
	allowed := map[string]bool{"resume": true, "epochs": true, "json": true, "quiet": true, "q": true, "verbose": true, "cpuprofile": true, "memprofile": true, "max-memory": true}
	for _, name := range c.FlagNames() {
		if c.IsSet(name) && !allowed[name] {
			return fmt.Errorf("--%s cannot be combined with --resume: a resumed run keeps its config.yaml (only --epochs may raise the total)", name)
		}
	}
	return nil
}

func printSummary(w io.Writer, s *rundir.Summary) {
	fmt.Fprintf(w, "%s on %s: %d epochs in %.1fs (%s)\n", s.Model, s.Data, s.EpochsRun, s.Seconds, s.StopReason)
	if s.EpochsRun > 0 {
		fmt.Fprintf(w, "best epoch %d: val_loss %.4f  val_accuracy %.4f\n", s.BestEpoch, s.ValLoss, s.ValAccuracy)
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
