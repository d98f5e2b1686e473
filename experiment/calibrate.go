package experiment

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"

	"github.com/practica-ml/practica/figures"
	"github.com/practica-ml/practica/setup"

	"github.com/practica-ml/practica/calibration"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/train"
)

// calibrate fits the calibration temperature at the end of a run (unless
// calibration.calibrate is off, no epoch finished, the run was interrupted
// or there is no validation split): T minimizing the NLL of the
// validation split's logits under the best weights. It rewrites best.ckpt
// atomically with T (every tensor unchanged), writes calibration.json
// (every metric before and after T on the validation and test splits,
// with bootstrap intervals of ECE seeded by the run's seed) and
// reliability.png (the test split's diagrams), and records T (when fitted)
// and the test ECE in the summary. When every validation example is
// classified correctly the NLL has no minimum: T stays 1 and
// calibration.json says why. The model is left with the best weights.
// It returns ctx's error when ctx ends first (between its steps and
// inside the bootstraps).
func calibrate(ctx context.Context, dir *rundir.Dir, m *model.Model, p *setup.Prepared, res train.Result, sum *rundir.Summary, log *slog.Logger) error {
	cc := p.Config.Calibration
	if !cc.Calibrate || res.Best < 0 || res.StopReason == train.StopInterrupted || p.Splits.Val.Len() == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	path := dir.Join(rundir.BestCheckpoint)
	c, err := model.LoadCheckpoint(path)
	if err != nil {
		return err
	}
	if err := m.SetTensors(c.Tensors); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	classes := len(p.Classes)
	val, err := train.Evaluate(m, p.Splits.Val)
	if err != nil {
		return err
	}
	out := calibration.Result{
		Method:   "temperature scaling: T minimizing the validation NLL, grid and golden-section search over log T in [0.01, 100]",
		FittedOn: "val", Bins: cc.Bins, Binning: calibration.Binning(cc.Bins),
		Bootstrap: cc.Bootstrap, BootstrapSeed: p.Config.Training.Seed,
	}
	T, err := calibration.FitTemperature(val.Logits, p.Splits.Val.Y, classes)
	switch {
	case errors.Is(err, calibration.ErrSeparable):
		out.Note = "validation split: " + err.Error()
		log.Warn("calibration: no temperature fitted", "reason", out.Note)
	case err != nil:
		return fmt.Errorf("calibration: %w", err)
	default:
		out.Fitted = true
	}
	out.Temperature = T
	if out.Fitted {
		errs := int(math.Round((1 - val.Accuracy) * float64(p.Splits.Val.Len())))
		if out.Warning = calibration.FitWarning(T, errs); out.Warning != "" {
			log.Warn("calibration", "warning", out.Warning)
			sum.Warnings = append(sum.Warnings, "calibration: "+out.Warning)
		}
	}
	if c.Temperature != T {
		c.Temperature = T
		if err := model.SaveCheckpoint(path, c); err != nil {
			return err
		}
	}
	vs, err := calibration.CompareContext(ctx, val.Logits, p.Splits.Val.Y, classes, cc.Bins, cc.Bootstrap, p.Config.Training.Seed, T)
	if err != nil {
		return err
	}
	out.Val = &vs
	shown, name := vs, "validation"
	if p.Splits.Test.Len() > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		test, err := train.Evaluate(m, p.Splits.Test)
		if err != nil {
			return err
		}
		ts, err := calibration.CompareContext(ctx, test.Logits, p.Splits.Test.Y, classes, cc.Bins, cc.Bootstrap, p.Config.Training.Seed, T)
		if err != nil {
			return err
		}
		out.Test = &ts
		shown, name = ts, "test"
		sum.TestECEBefore, sum.TestECEAfter = &ts.Before.ECE, &ts.After.ECE
	}
	if out.Fitted {
		sum.Temperature = T
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := dir.WriteJSON(rundir.CalibrationFile, out); err != nil {
		return err
	}
	data := p.Config.Data.Source
	title := fmt.Sprintf("%s on %s, %s split: temperature scaling, T = %.3f fitted on the validation split", p.Config.Model.Arch, data, name, T)
	if !out.Fitted {
		title = fmt.Sprintf("%s on %s, %s split: no temperature fitted (T = 1: the validation split has no errors)", p.Config.Model.Arch, data, name)
	}
	if err := figures.ReliabilityPNG(dir.Join(rundir.ReliabilityPlot), title, shown.Before, shown.After); err != nil {
		return err
	}
	log.Info("calibration", "temperature", T, "split", name, "nll_before", shown.Before.NLL, "nll_after", shown.After.NLL,
		"ece_before", shown.Before.ECE, "ece_after", shown.After.ECE)
	return nil
}
