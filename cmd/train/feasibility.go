package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/experiment"
	"github.com/practica-ml/practica/feasibility"
	"github.com/practica-ml/practica/figures"
	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/kernels"
	"github.com/practica-ml/practica/rundir"
)

// feasibilityFlags are the flags of the feasibility tests (issue 5).
func feasibilityFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "overfit-one", Usage: "feasibility: can the model memorize one training example? PASS/FAIL (exit 0/3)"},
		&cli.IntFlag{Name: "overfit-batch", Usage: "feasibility: memorize N training examples, against the same training with the inputs zeroed; PASS/FAIL (exit 0/3)"},
		&cli.IntFlag{Name: "overfit-steps", Value: feasibility.DefaultSteps, Usage: "step budget of --overfit-one and --overfit-batch"},
		&cli.BoolFlag{Name: "naive-embeddings", Usage: "feasibility: linear and k-NN probes on raw, random-projection, PCA (and untrained-CNN) embeddings; SIGNAL/NO SIGNAL (exit 0/3)"},
		&cli.BoolFlag{Name: "feasibility", Usage: fmt.Sprintf("run every feasibility test (overfit-one, overfit-batch %d, naive embeddings, clustering) and write feasibility.json, feasibility.md and plots", feasibility.BatchSize)},
	}
}

// runFeasibility runs a feasibility test when one was asked for; handled
// is false when the command line asks for none.
func runFeasibility(c *cli.Context, cfg config.Experiment, env *commandEnv) (handled bool, err error) {
	opt := feasibility.Options{
		OverfitOne:      c.Bool("overfit-one"),
		OverfitBatch:    c.Int("overfit-batch"),
		NaiveEmbeddings: c.Bool("naive-embeddings"),
		Steps:           c.Int("overfit-steps"),
		Progress:        env.opt.Progress,
	}
	if c.Bool("feasibility") {
		all := feasibility.All(opt.Steps, opt.Progress)
		if c.IsSet("overfit-batch") {
			all.OverfitBatch = opt.OverfitBatch
		}
		opt = all
	}
	if !opt.OverfitOne && !c.IsSet("overfit-batch") && !opt.NaiveEmbeddings && !opt.Clustering {
		if c.IsSet("overfit-steps") {
			return true, fmt.Errorf("--overfit-steps sets the budget of --overfit-one, --overfit-batch or --feasibility; give one of them")
		}
		return false, nil
	}
	if c.IsSet("overfit-batch") && opt.OverfitBatch < 1 {
		return true, fmt.Errorf("--overfit-batch must be a number of examples ≥ 1, got %d", opt.OverfitBatch)
	}
	if opt.Steps < 1 {
		return true, fmt.Errorf("--overfit-steps must be ≥ 1, got %d", opt.Steps)
	}
	start := time.Now()
	p, err := experiment.Prepare(cfg, env.opt.Env)
	if err != nil {
		return true, err
	}
	if n := p.Splits.Train.Len(); opt.OverfitBatch > n {
		return true, fmt.Errorf("--overfit-batch %d: the training split has only %d examples", opt.OverfitBatch, n)
	}
	if (opt.NaiveEmbeddings || opt.Clustering) && p.Splits.Val.Len() == 0 {
		return true, fmt.Errorf("the naive-embedding probe scores on the validation split, which is empty: set data.val above 0")
	}
	name := p.Config.Output.Name
	if name == "" {
		name = "feasibility-" + p.RunName()
	}
	dir, err := rundir.Create(p.Config.Output.Root, name, start)
	if err != nil {
		return true, err
	}
	meta := rundir.NewMeta(p.Config.Training.Seed, env.opt.Args, start, kernels.InUse())
	if err := experiment.WriteRunFiles(dir, p, env.opt.Args, meta); err != nil {
		return true, err
	}
	if env.opt.Log != nil {
		env.opt.Log.Info("run directory", "path", dir.Path)
	}
	rep, err := feasibility.Run(env.ctx, p, opt)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return true, &cliutil.Exit{Code: cliutil.ExitInterrupted, Err: fmt.Errorf("interrupted; the run directory is %s", dir.Path)}
		}
		return true, err
	}
	about := fmt.Sprintf("%s on %s (seed %d, %s at lr %g)", p.Config.Model.Arch, p.Config.Data.Source, p.Config.Training.Seed, p.Config.Optimizer.Name, p.Config.Optimizer.LR)
	if _, err := rep.Write(dir, about); err != nil {
		return true, err
	}
	if _, err := figures.WriteFeasibility(dir, rep); err != nil {
		return true, err
	}
	if err := experiment.FinishRunDir(dir, meta, time.Now()); err != nil {
		return true, err
	}
	if c.Bool("json") {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return true, err
		}
		fmt.Fprintln(env.stdout, string(b))
	} else {
		fmt.Fprint(env.stdout, rep.Text())
	}
	if !rep.OK() {
		return true, &cliutil.Exit{Code: cliutil.ExitVerdict}
	}
	return true, nil
}
