package experiment

import (
	"context"
	"fmt"
	"time"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/feasibility"
	"github.com/practica-ml/practica/figures"
	"github.com/practica-ml/practica/internal/setting"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/setup"
)

// Feasibility runs the feasibility tests that tests asks for on the
// experiment, in a run directory of its own (named feasibility-<model>-
// <data> unless output.name is set), and writes feasibility.json,
// feasibility.md and the plots there. The report's OK tells whether every
// verdict passed. An interrupt returns the context's error, wrapped with
// the run directory.
func Feasibility(ctx context.Context, cfg config.Experiment, tests feasibility.Options, opt Options) (*feasibility.Report, error) {
	start := opt.start()
	if tests.Steps == 0 {
		tests.Steps = feasibility.DefaultSteps
	}
	if tests.Steps < 1 {
		return nil, setting.Errorf("overfit_steps", "must be ≥ 1, got %d", tests.Steps)
	}
	if tests.OverfitBatch < 0 {
		return nil, setting.Errorf("overfit_batch", "must be a number of examples ≥ 1, got %d", tests.OverfitBatch)
	}
	tests.Progress = opt.Progress
	if t := cfg.Training; t.InitFrom != "" || len(t.Freeze) > 0 {
		key := "training.init_from"
		if t.InitFrom == "" {
			key = "training.freeze"
		}
		return nil, setting.Errorf(key, "applies to training and the learning-rate sweep, not to the feasibility tests, which test the configured model from its own initial weights")
	}
	p, err := setup.Prepare(cfg, opt.Env)
	if err != nil {
		return nil, err
	}
	if err := checkMemory(p, opt); err != nil {
		return nil, err
	}
	if n := p.Splits.Train.Len(); tests.OverfitBatch > n {
		return nil, setting.Errorf("overfit_batch", "%d: the training split has only %d examples", tests.OverfitBatch, n)
	}
	if (tests.NaiveEmbeddings || tests.Clustering) && p.Splits.Val.Len() == 0 {
		return nil, fmt.Errorf("the naive-embedding probe scores on the validation split, which is empty: set data.val above 0")
	}
	dir, err := createRunDir(p, "feasibility-"+p.RunName(), opt, start, nil)
	if err != nil {
		return nil, err
	}
	rep, err := feasibility.Run(ctx, p, tests)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("interrupted; the run directory is %s: %w", dir.Path, ctx.Err())
		}
		return nil, err
	}
	about := fmt.Sprintf("%s on %s (seed %d, %s at lr %g)", p.Config.Model.Arch, p.Config.Data.Source, p.Config.Training.Seed, p.Config.Optimizer.Name, p.Config.Optimizer.LR)
	rep.RunDir = dir.Path
	if err := dir.WriteJSON(rundir.FeasibilityFile, rep); err != nil {
		return nil, err
	}
	if err := dir.WriteFile(rundir.FeasibilityNotes, []byte(rep.Markdown(about))); err != nil {
		return nil, err
	}
	if _, err := figures.WriteFeasibility(dir.Dir, rep); err != nil {
		return nil, err
	}
	return rep, dir.finish(time.Now())
}
