package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/experiment"
	"github.com/practica-ml/practica/figures"
	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/kernels"
	"github.com/practica-ml/practica/lrsweep"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/train"
)

// sweepFlags are the flags of the learning-rate sweeps (issue 6).
func sweepFlags() []cli.Flag {
	d := lrsweep.DefaultConfig()
	return []cli.Flag{
		&cli.BoolFlag{Name: "lr-sweep", Usage: "run the learning-rate range test instead of training; writes lr_sweep.{csv,json,png} (--lr auto: range test, then train with its recommendation)"},
		&cli.Float64Flag{Name: "lr-min", Value: d.MinLR, Usage: "range test: first learning rate"},
		&cli.Float64Flag{Name: "lr-max", Value: d.MaxLR, Usage: "range test: last learning rate"},
		&cli.IntFlag{Name: "lr-steps", Value: d.Steps, Usage: "range test: steps (one batch each) from --lr-min to --lr-max, exponentially"},
		&cli.IntFlag{Name: "lr-sweep-seeds", Value: d.Seeds, Usage: "range test: repeat with this many seeds and report each suggestion's spread"},
		&cli.StringFlag{Name: "lr-suggestion", Value: d.Recommend, Usage: "the rule that recommends: steepest, valley or minimum/10"},
		&cli.StringFlag{Name: "grid", Usage: "after the range test, train briefly with each of these learning rates (e.g. 1e-4,3e-4,1e-3), or auto (the recommendation ×1/3, ×1, ×3); writes lr_grid.png"},
		&cli.IntFlag{Name: "sweep-epochs", Value: d.GridEpochs, Usage: "epochs of each --grid run"},
	}
}

// sweepOnlyFlags are meaningless without --lr-sweep or --lr auto.
var sweepOnlyFlags = []string{"lr-min", "lr-max", "lr-steps", "lr-sweep-seeds", "lr-suggestion", "grid", "sweep-epochs"}

// runSweep runs the learning-rate range test when asked for; handled is
// false when the command line asks for none.
func runSweep(c *cli.Context, cfg config.Experiment, env *commandEnv) (handled bool, err error) {
	auto := c.String("lr") == "auto"
	if !c.Bool("lr-sweep") && !auto {
		for _, f := range sweepOnlyFlags {
			if c.IsSet(f) {
				return true, fmt.Errorf("--%s needs --lr-sweep (or --lr auto)", f)
			}
		}
		return false, nil
	}
	sc, err := sweepConfig(c, env)
	if err != nil {
		return true, err
	}
	if auto {
		return true, trainLRAuto(c, cfg, env, sc)
	}
	return true, sweepOnly(c, cfg, env, sc)
}

// sweepConfig reads the sweep's flags.
func sweepConfig(c *cli.Context, env *commandEnv) (lrsweep.Config, error) {
	sc := lrsweep.DefaultConfig()
	sc.MinLR, sc.MaxLR, sc.Steps = c.Float64("lr-min"), c.Float64("lr-max"), c.Int("lr-steps")
	sc.Seeds, sc.Recommend, sc.GridEpochs = c.Int("lr-sweep-seeds"), c.String("lr-suggestion"), c.Int("sweep-epochs")
	sc.Progress, sc.Log = env.opt.Progress, env.opt.Log
	if c.IsSet("grid") {
		var err error
		if sc.Grid, sc.GridAuto, err = lrsweep.ParseGrid(c.String("grid")); err != nil {
			return sc, err
		}
	}
	return sc, sc.Validate()
}

// sweepOnly is `train --lr-sweep`: the range test (and grid) in a run
// directory of its own, no training.
func sweepOnly(c *cli.Context, cfg config.Experiment, env *commandEnv, sc lrsweep.Config) error {
	start := time.Now()
	p, err := experiment.Prepare(cfg, env.opt.Env)
	if err != nil {
		return err
	}
	m, o, err := p.NewModel(model.Options{})
	if err != nil {
		return err
	}
	name := p.RunName()
	if p.Config.Output.Name == "" {
		name = "lrsweep-" + name
	}
	dir, err := rundir.Create(p.Config.Output.Root, name, start)
	if err != nil {
		return err
	}
	meta := rundir.NewMeta(p.Config.Training.Seed, env.opt.Args, start, kernels.InUse())
	if err := experiment.WriteRunFiles(dir, p, env.opt.Args, meta); err != nil {
		return err
	}
	if env.opt.Log != nil {
		env.opt.Log.Info("run directory", "path", dir.Path)
	}
	res, err := lrsweep.Run(env.ctx, p, m, o, sc)
	if err != nil {
		return interrupted(env, err)
	}
	res.Report.RunDir = dir.Path
	if err := res.Write(dir); err != nil {
		return err
	}
	if err := figures.WriteLRSweep(dir, res); err != nil {
		return err
	}
	if err := experiment.FinishRunDir(dir, meta, time.Now()); err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(env, res.Report)
	}
	lrsweep.WriteText(env.stdout, &res.Report)
	return nil
}

// trainLRAuto is `train --lr auto`: the range test runs in the training
// run's directory before training (lr_sweep.* there), and training uses
// its recommendation (config.yaml records it).
func trainLRAuto(c *cli.Context, cfg config.Experiment, env *commandEnv, sc lrsweep.Config) error {
	var rep *lrsweep.Report
	opt := env.opt
	opt.Prelude = func(ctx context.Context, p *experiment.Prepared, m *model.Model, o train.Optimizer, dir *rundir.Dir) error {
		res, err := lrsweep.Run(ctx, p, m, o, sc)
		if err != nil {
			return err
		}
		lr := res.Report.Recommended
		res.Report.RunDir, res.Report.TrainedWith = dir.Path, lr
		p.Config.Optimizer.LR = lr
		o.SetLR(lr)
		if opt.Log != nil {
			opt.Log.Info("lr auto", "lr", lr, "rule", res.Report.RecommendedBy)
		}
		rep = &res.Report
		if err := res.Write(dir); err != nil {
			return err
		}
		return figures.WriteLRSweep(dir, res)
	}
	sum, err := experiment.Train(env.ctx, cfg, opt)
	if sum == nil {
		return interrupted(env, err)
	}
	if !c.Bool("json") && rep != nil {
		fmt.Fprintf(env.stdout, "lr auto: %.3g (%s, the median over %d seed(s)); the range test is in %s and %s\n",
			rep.Recommended, rep.RecommendedBy, len(rep.Suggestions[rep.RecommendedBy].PerSeed), lrsweep.JSONFile, lrsweep.PlotFile)
	}
	return finishTraining(c, env, sum, err)
}

// finishTraining prints a training summary and maps how training ended to
// an error, as the plain train command does.
func finishTraining(c *cli.Context, env *commandEnv, sum *rundir.Summary, err error) error {
	var nf *train.NonFiniteError
	if err != nil && !errors.As(err, &nf) {
		return err
	}
	if c.Bool("json") {
		if jerr := printJSON(env, sum); jerr != nil {
			return jerr
		}
	} else {
		printSummary(env.stdout, sum)
	}
	if err != nil {
		return err
	}
	if sum.StopReason == train.StopInterrupted {
		return &cliutil.Exit{Code: cliutil.ExitInterrupted, Err: fmt.Errorf("interrupted after %d epochs; resume with: %s --resume %s", sum.EpochsRun, os.Args[0], sum.RunDir)}
	}
	return nil
}

// interrupted turns an error caused by Ctrl-C into exit code 130.
func interrupted(env *commandEnv, err error) error {
	if err != nil && env.ctx.Err() != nil {
		return &cliutil.Exit{Code: cliutil.ExitInterrupted, Err: fmt.Errorf("interrupted during the learning-rate sweep")}
	}
	return err
}

func printJSON(env *commandEnv, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, string(b))
	return nil
}
