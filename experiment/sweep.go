package experiment

import (
	"context"
	"fmt"
	"time"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/figures"
	"github.com/practica-ml/practica/lrsweep"
	"github.com/practica-ml/practica/rundir"
)

// Sweep runs the learning-rate range test (and the grid, when sc asks for
// one) on the experiment's model, in a run directory of its own (named
// lrsweep-<model>-<data> unless output.name is set), writes lr_sweep.csv,
// lr_sweep.json and the plots there, and returns the report. No training
// follows.
func Sweep(ctx context.Context, cfg config.Experiment, sc lrsweep.Config, opt Options) (*lrsweep.Report, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	p, m, o, dir, err := newRun(cfg, opt, "lrsweep-")
	if err != nil {
		return nil, err
	}
	sc.Progress, sc.Log = opt.Progress, opt.logger()
	res, err := lrsweep.Run(ctx, p, m, o, sc)
	if err != nil {
		return nil, interrupted(ctx, err, dir)
	}
	res.Report.RunDir = dir.Path
	if err := writeSweep(dir, res); err != nil {
		return nil, err
	}
	return &res.Report, dir.finish(time.Now())
}

// TrainLRAuto is Train with the learning rate chosen by the range test and
// short trainings: the range test's rules propose candidates, which with
// the configured rate train for sc.GridEpochs from the same initial
// weights and data order (lrsweep.Config.LRAuto); the one with the lowest
// validation loss wins, and training uses it, which config.yaml records.
// All of it runs from the initial weights and optimizer, which the sweep
// leaves as they were; its files go into the run's directory (lr_sweep.*).
func TrainLRAuto(ctx context.Context, cfg config.Experiment, sc lrsweep.Config, opt Options) (*rundir.Summary, *lrsweep.Report, error) {
	if err := sc.Validate(); err != nil {
		return nil, nil, err
	}
	start := opt.start()
	p, m, o, err := newModel(cfg, opt)
	if err != nil {
		return nil, nil, err
	}
	log := opt.logger()
	sc.Progress, sc.Log = opt.Progress, log
	// The range test runs before the run directory exists, which then
	// appears with config.yaml holding the rate it chose and the test's
	// files: a run directory made before would say, if the test were cut
	// short, another rate, and --resume would train with that one.
	sc.LRAuto, sc.DefaultLR = true, cfg.Optimizer.LR
	res, err := lrsweep.Run(ctx, p, m, o, sc)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, fmt.Errorf("interrupted during the learning-rate sweep, before the run directory was made: %w", ctx.Err())
		}
		return nil, nil, err
	}
	// The short trainings have the last word: the range test's rules
	// only propose. With every run diverged, the recommendation stands.
	lr := res.Report.Recommended
	if g := res.Report.Grid; g != nil && g.Best > 0 {
		lr = g.Best
	}
	res.Report.TrainedWith = lr
	p.Config.Optimizer.LR = lr
	o.SetLR(lr)
	log.Info("lr auto", "lr", lr)
	dir, err := createRunDir(p, p.RunName(), opt, start, func(d *runDir) error { return writeSweep(d, res) })
	if err != nil {
		return nil, nil, err
	}
	// The directory's path is known once it has its name.
	res.Report.RunDir = dir.Path
	if err := dir.WriteJSON(rundir.LRSweepFile, res.Report); err != nil {
		return nil, nil, err
	}
	sum, err := runLoop(ctx, p, m, o, dir, opt, nil, "")
	return sum, &res.Report, err
}

// interrupted wraps an error caused by an interrupt with the run directory
// and the context's error, so that the command can tell it apart.
func interrupted(ctx context.Context, err error, dir *runDir) error {
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted during the learning-rate sweep; the run directory is %s: %w", dir.Path, ctx.Err())
	}
	return err
}

// writeSweep writes lr_sweep.csv, lr_sweep.json and their plots into dir.
func writeSweep(dir *runDir, res *lrsweep.Result) error {
	if err := dir.WriteFile(rundir.LRSweepCSV, lrsweep.FormatCSV(res.Curves)); err != nil {
		return err
	}
	if err := dir.WriteJSON(rundir.LRSweepFile, res.Report); err != nil {
		return err
	}
	return figures.WriteLRSweep(dir.Dir, res)
}
