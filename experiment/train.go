package experiment

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/practica-ml/practica/calibration"
	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/kernels"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/train"
)

// Options are the process-level inputs of a training run.
type Options struct {
	Env Env
	// Args is the command line, recorded in command.txt and meta.json.
	Args []string
	// Progress receives progress lines (stderr); nil for none.
	Progress io.Writer
	Log      *slog.Logger
	// Now is the run's start time (time.Now when zero).
	Now time.Time
	// Prelude, when set, runs after the run directory exists and before
	// config.yaml is written and training starts: a stage that decides
	// something for the run (the LR range test of --lr auto) does its work
	// here, records it in dir, and may change p.Config and the optimizer.
	Prelude func(ctx context.Context, p *Prepared, m *model.Model, o train.Optimizer, dir *rundir.Dir) error
	// CurvesPNG and ReliabilityPNG, when set, draw curves.png and
	// reliability.png into the run directory at the end of the run
	// (cmd/train passes figures.CurvesPNG and figures.ReliabilityPNG).
	// experiment cannot call package figures itself: figures imports the
	// stages for their results, and they import experiment.
	CurvesPNG      func(path string, history []train.EpochMetrics, best int, stopReason string) error
	ReliabilityPNG func(path, title string, before, after calibration.Report) error
}

// NewRunDir creates the run directory of a prepared experiment and writes
// what identifies the run: config.yaml (resolved), command.txt and
// meta.json (whose end time FinishRunDir fills in).
func NewRunDir(p *Prepared, opt Options, start time.Time) (*rundir.Dir, rundir.Meta, error) {
	dir, err := rundir.Create(p.Config.Output.Root, p.RunName(), start)
	if err != nil {
		return nil, rundir.Meta{}, err
	}
	meta := rundir.NewMeta(p.Config.Training.Seed, opt.Args, start, kernels.InUse())
	return dir, meta, WriteRunFiles(dir, p, opt.Args, meta)
}

// WriteRunFiles (re)writes config.yaml, command.txt and meta.json.
func WriteRunFiles(dir *rundir.Dir, p *Prepared, args []string, meta rundir.Meta) error {
	cfgYAML, err := p.Config.Marshal()
	if err != nil {
		return err
	}
	if err := dir.WriteFile(rundir.ConfigFile, cfgYAML); err != nil {
		return err
	}
	if err := dir.WriteFile(rundir.CommandFile, []byte(shellJoin(args)+"\n")); err != nil {
		return err
	}
	return dir.WriteJSON(rundir.MetaFile, meta)
}

// FinishRunDir records the end time in meta.json.
func FinishRunDir(dir *rundir.Dir, meta rundir.Meta, end time.Time) error {
	meta.End = end
	return dir.WriteJSON(rundir.MetaFile, meta)
}

// Train runs a whole experiment and returns its summary. Bad input is
// reported before the run directory is created. A loss that stops being
// finite ends the run with an error; summary.json records it and the last
// good checkpoint stays.
func Train(ctx context.Context, cfg config.Experiment, opt Options) (*rundir.Summary, error) {
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	start := opt.Now
	if start.IsZero() {
		start = time.Now()
	}
	p, err := Prepare(cfg, opt.Env)
	if err != nil {
		return nil, err
	}
	m, o, err := p.NewModel(model.Options{})
	if err != nil {
		return nil, err
	}
	dir, meta, err := NewRunDir(p, opt, start)
	if err != nil {
		return nil, err
	}
	log.Info("run directory", "path", dir.Path)
	if opt.Prelude != nil {
		if err := opt.Prelude(ctx, p, m, o, dir); err != nil {
			return nil, err
		}
		if err := WriteRunFiles(dir, p, opt.Args, meta); err != nil {
			return nil, err
		}
	}
	return runLoop(ctx, p, m, o, dir, meta, start, opt, nil)
}

// runLoop trains p's model in dir (from scratch, or from a resume state)
// and writes metrics.csv, the checkpoints, curves.png (through
// opt.CurvesPNG) and summary.json.
func runLoop(ctx context.Context, p *Prepared, m *model.Model, o train.Optimizer, dir *rundir.Dir, meta rundir.Meta, start time.Time, opt Options, resume *train.ResumeState) (*rundir.Summary, error) {
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tc := p.Config.Training
	loop := &train.Loop{
		Model: m, Optimizer: o, Train: p.Splits.Train, Val: p.Splits.Val,
		Epochs: tc.Epochs, BatchSize: tc.BatchSize, Seed: tc.Seed, Shuffle: true,
		Augment: p.Config.Data.Augment, LabelSmoothing: tc.LabelSmoothing, ClassWeights: p.ClassWeights(),
		TrainEvalSize: tc.TrainEvalSize, Monitor: tc.Monitor, Log: log,
		Hooks: []any{
			train.Schedule{Config: tc.Schedule, Base: p.Config.Optimizer.LR},
			train.MetricsCSV{Path: dir.Join(rundir.MetricsFile)},
			&train.Checkpointer{LastPath: dir.Join(rundir.LastCheckpoint), BestPath: dir.Join(rundir.BestCheckpoint), Base: p.BaseCheckpoint(), Seed: tc.Seed},
		},
	}
	if es := tc.EarlyStopping; es.Enabled {
		loop.Hooks = append(loop.Hooks, train.EarlyStopping{Monitor: tc.Monitor, Patience: es.Patience, MinDelta: es.MinDelta, Baseline: es.Baseline, DivergenceThreshold: es.DivergenceThreshold})
	}
	if opt.Progress != nil {
		loop.Hooks = append(loop.Hooks, &train.Progress{W: opt.Progress})
	}
	if resume != nil {
		loop.History, loop.Step, loop.Position = resume.History, resume.Step, resume.Position
		log.Info("resuming", "epochs_done", len(resume.History), "step", resume.Step)
	}
	log.Info("training", "model", p.Config.Model.Arch, "params", countParams(m), "train", p.Splits.Train.Len(), "val", p.Splits.Val.Len(), "test", p.Splits.Test.Len(), "batch", m.TrainBatch(), "epochs", tc.Epochs)
	res, runErr := loop.Run(ctx)
	sum := &rundir.Summary{RunDir: dir.Path, EpochsRun: len(res.History), StopReason: res.StopReason, Monitor: tc.Monitor,
		Steps: res.Steps, Model: p.Config.Model.Arch, Data: p.Config.Data.Source}
	if best, ok := res.BestMetrics(); ok {
		sum.BestEpoch, sum.ValLoss, sum.ValAccuracy = best.Epoch, best.ValLoss, best.ValAccuracy
	}
	var nf *train.NonFiniteError
	if runErr != nil && !errors.As(runErr, &nf) {
		return nil, runErr
	}
	if runErr != nil {
		sum.Error = runErr.Error()
	}
	if res.Best >= 0 && p.Splits.Test.Len() > 0 {
		if err := testBest(dir, m, p, sum); err != nil {
			return nil, err
		}
	}
	if err := calibrate(dir, m, p, res, sum, log, opt.ReliabilityPNG); err != nil {
		return nil, err
	}
	if len(res.History) > 0 && opt.CurvesPNG != nil {
		if err := opt.CurvesPNG(dir.Join(CurvesFile), res.History, res.Best, res.StopReason); err != nil {
			return nil, err
		}
	}
	end := time.Now()
	sum.Seconds = end.Sub(start).Seconds()
	if err := FinishRunDir(dir, meta, end); err != nil {
		return nil, err
	}
	if err := dir.WriteJSON(rundir.SummaryFile, sum); err != nil {
		return nil, err
	}
	return sum, runErr
}

// testBest loads the best checkpoint's weights and scores them on the test
// split.
func testBest(dir *rundir.Dir, m *model.Model, p *Prepared, sum *rundir.Summary) error {
	c, err := model.LoadCheckpoint(dir.Join(rundir.BestCheckpoint))
	if err != nil {
		return err
	}
	if err := m.SetTensors(c.Tensors); err != nil {
		return err
	}
	ev, err := train.Evaluate(m, p.Splits.Test)
	if err != nil {
		return err
	}
	sum.TestLoss, sum.TestAccuracy, sum.TestSize = &ev.Loss, &ev.Accuracy, p.Splits.Test.Len()
	return nil
}

func countParams(m *model.Model) int {
	n := 0
	for _, p := range m.Learnables() {
		n += len(p.Float32s())
	}
	return n
}

// shellJoin quotes args so that the line can be pasted into a shell.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a != "" && !strings.ContainsAny(a, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
			q[i] = a
		} else {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}
