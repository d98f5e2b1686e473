package experiment

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/figures"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/setup"
	"github.com/practica-ml/practica/train"
)

// Train runs a whole experiment and returns its summary. Bad input is
// reported before the run directory is created. A loss that stops being
// finite ends the run with a *train.NonFiniteError next to the summary,
// saying which checkpoints stay (none when no epoch finished);
// summary.json records it.
func Train(ctx context.Context, cfg config.Experiment, opt Options) (*rundir.Summary, error) {
	p, m, o, dir, err := newRun(cfg, opt, "")
	if err != nil {
		return nil, err
	}
	return runLoop(ctx, p, m, o, dir, opt, nil, "")
}

// runLoop trains p's model in dir (from scratch, or from a resume state)
// and writes metrics.csv, the checkpoints, curves.png and summary.json.
// stopped, with a resume state, is why that run is over after its
// finished epochs (it had stopped, or the settings it resumes with end
// it there): then no epoch runs, and only the end (test split,
// calibration, plots, summary) is written.
func runLoop(ctx context.Context, p *setup.Prepared, m *model.Model, o train.Optimizer, dir *runDir, opt Options, resume *train.ResumeState, stopped string) (*rundir.Summary, error) {
	if err := removeCard(dir); err != nil {
		return nil, err
	}
	log := opt.logger()
	tc := p.Config.Training
	loop := p.NewLoop(m, o, log)
	loop.Hooks = []train.Hook{
		train.Schedule{Config: tc.Schedule, Base: p.Config.Optimizer.LR},
		train.MetricsCSV{Path: dir.Join(rundir.MetricsFile)},
		&train.Checkpointer{LastPath: dir.Join(rundir.LastCheckpoint), BestPath: dir.Join(rundir.BestCheckpoint), Base: p.BaseCheckpoint(), Seed: tc.Seed},
	}
	if es, ok := earlyStopping(tc); ok {
		loop.Hooks = append(loop.Hooks, es)
	}
	if opt.Progress != nil {
		loop.Hooks = append(loop.Hooks, &train.Progress{W: opt.Progress})
	}
	if resume != nil {
		loop.History, loop.Step, loop.Position = resume.History, resume.Step, resume.Position
		log.Info("resuming", "epochs_done", len(resume.History), "step", resume.Step)
	}
	if stopped != "" {
		// No epoch is left to run: the loop only returns the history's
		// best epoch, and the stop reason is the one the run had.
		loop.Epochs = len(resume.History)
	}
	for _, w := range p.Warnings {
		log.Warn(w)
	}
	log.Info("training", "model", p.Config.Model.Arch, "params", countParams(m), "train", p.Splits.Train.Len(), "val", p.Splits.Val.Len(), "test", p.Splits.Test.Len(), "batch", m.TrainBatch(), "epochs", tc.Epochs)
	res, runErr := loop.Run(ctx)
	if stopped != "" && runErr == nil {
		res.StopReason = stopped
	}
	sum := &rundir.Summary{RunDir: dir.Path, EpochsRun: len(res.History), StopReason: res.StopReason, Monitor: tc.Monitor,
		Steps: res.Steps, Model: p.Config.Model.Arch, Data: p.Config.Data.Source}
	sum.Warnings = append(sum.Warnings, p.Warnings...)
	if best, ok := res.BestMetrics(); ok {
		sum.BestEpoch, sum.ValLoss, sum.ValAccuracy = &best.Epoch, &best.ValLoss, &best.ValAccuracy
		if sum.StillImproving = res.Best == len(res.History)-1; sum.StillImproving {
			w := fmt.Sprintf("%s was still improving at epoch %d, the last: try more epochs (training.epochs) or a larger learning rate", tc.Monitor, best.Epoch)
			log.Warn(w)
			sum.Warnings = append(sum.Warnings, w)
		}
	}
	var nf *train.NonFiniteError
	if runErr != nil && !errors.As(runErr, &nf) {
		return nil, runErr
	}
	if runErr != nil {
		runErr = fmt.Errorf("%w; %s", runErr, keptCheckpoints(res))
		sum.Error = runErr.Error()
	}
	// The end of a run whose training finished stops at an interrupt
	// like its epochs do (its bootstrap can be long): the summary then
	// says interrupted, and --resume does the end again. One interrupted
	// while training still scores its best weights and draws its curves,
	// which are quick (a second signal ends the process at once).
	endCtx := ctx
	if res.StopReason == train.StopInterrupted {
		endCtx = context.WithoutCancel(ctx)
	}
	if err := writeEnd(endCtx, dir, m, p, res, sum, log); err != nil {
		if endCtx.Err() == nil || !errors.Is(err, endCtx.Err()) {
			return nil, err
		}
		log.Warn("interrupted before the end of the run (test split, calibration, figures) was written: --resume writes it", "epochs", len(res.History))
		sum.StopReason = train.StopInterrupted
	}
	end := time.Now()
	sum.Seconds = end.Sub(dir.start).Seconds()
	if err := dir.finish(end); err != nil {
		return nil, err
	}
	if err := writeCard(dir, p, res, sum); err != nil {
		return nil, err
	}
	if err := dir.WriteJSON(rundir.SummaryFile, sum); err != nil {
		return nil, err
	}
	return sum, runErr
}

// keptCheckpoints says what a run that stopped on a non-finite loss
// leaves to use or to resume from.
func keptCheckpoints(res train.Result) string {
	best, ok := res.BestMetrics()
	if !ok {
		return "no epoch finished: no checkpoint was written"
	}
	return fmt.Sprintf("checkpoints/last.ckpt keeps epoch %d, the last that finished, and best.ckpt epoch %d", len(res.History), best.Epoch)
}

// writeEnd is the end of a run, after its epochs: the best weights scored
// on the test split, temperature scaling (best.ckpt's T,
// calibration.json, reliability.png) and curves.png. Every step computes
// from the checkpoints, the history and the seed alone and writes whole
// files, so that doing it again after a kill or an interrupt, from any
// point, gives the same bytes. It returns ctx's error when ctx ends
// first.
func writeEnd(ctx context.Context, dir *runDir, m *model.Model, p *setup.Prepared, res train.Result, sum *rundir.Summary, log *slog.Logger) error {
	if res.Best >= 0 && p.Splits.Test.Len() > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := testBest(dir, m, p, sum); err != nil {
			return err
		}
	}
	if err := calibrate(ctx, dir.Dir, m, p, res, sum, log); err != nil {
		return err
	}
	if len(res.History) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return figures.CurvesPNG(dir.Join(rundir.CurvesPlot), res.History, res.Best, res.StopReason)
}

// earlyStopping is the run's early-stopping hook, when it has one.
func earlyStopping(tc config.Training) (train.EarlyStopping, bool) {
	es := tc.EarlyStopping
	return train.EarlyStopping{Monitor: tc.Monitor, Patience: es.Patience, MinDelta: es.MinDelta, Baseline: es.Baseline, DivergenceThreshold: es.DivergenceThreshold}, es.Enabled
}

// testBest loads the best checkpoint's weights and scores them on the test
// split.
func testBest(dir *runDir, m *model.Model, p *setup.Prepared, sum *rundir.Summary) error {
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
