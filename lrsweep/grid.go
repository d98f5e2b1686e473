package lrsweep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/practica-ml/practica/internal/setting"
	"github.com/practica-ml/practica/train"
)

// GridRun is one value's short training run.
type GridRun struct {
	LR float64 `json:"lr"`
	// ValLoss and ValAccuracy hold one value per finished epoch.
	ValLoss     []float64 `json:"val_loss"`
	ValAccuracy []float64 `json:"val_accuracy"`
	// BestValLoss is the lowest ValLoss, at BestEpoch (1-based); absent
	// when no epoch finished with a finite loss.
	BestValLoss *float64 `json:"best_val_loss,omitempty"`
	BestEpoch   int      `json:"best_epoch,omitempty"`
	// Diverged is set when the loss stopped being finite.
	Diverged bool `json:"diverged"`
}

// GridResult is the grid: every value's run, the best value and why it
// won, and the range test's suggestions next to it.
type GridResult struct {
	// Auto is set when the grid chose its own values: the recommendation
	// ×1/3, ×1, ×3 (--grid auto) or the candidates of --lr auto.
	Auto   bool `json:"auto"`
	Epochs int  `json:"epochs"`
	// Candidates are --lr auto's values and who proposed them.
	Candidates []Candidate `json:"candidates,omitempty"`
	// Rungs are the rounds of successive halving, when there were more
	// than three candidates.
	Rungs []Rung `json:"rungs,omitempty"`
	// Extended are the values added past the grid's edge because the best
	// value sat there.
	Extended []float64 `json:"extended,omitempty"`
	// Runs are every value's run, by rate; a run halving dropped holds
	// fewer epochs.
	Runs []GridRun `json:"runs"`
	// Best is the winning value (0 when every run diverged), BestValLoss
	// its validation loss at the end of its short run (what the grid
	// ranks by), Reason why it won.
	Best        float64 `json:"best"`
	BestValLoss float64 `json:"best_val_loss"`
	Reason      string  `json:"reason"`
	// TurnsUpAt is the smallest rate above Best whose loss is worse than
	// Best's by more than the plateau tolerance, or that diverged: where
	// the validation loss turns up (0: not within the grid).
	TurnsUpAt float64 `json:"turns_up_at,omitempty"`
	// Suggested is the range test's recommendation, for comparison.
	Suggested float64 `json:"suggested"`
	// Rules says, for each rule, its suggestion and how the grid value
	// standing for it did.
	Rules map[string]RuleResult `json:"rules"`
}

// ParseGrid reads --grid: "auto", or learning rates separated by commas.
func ParseGrid(s string) (values []float64, auto bool, err error) {
	s = strings.TrimSpace(s)
	if s == "auto" {
		return nil, true, nil
	}
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return nil, false, setting.Errorf("grid", "wants auto or positive learning rates separated by commas (e.g. 1e-4,3e-4,1e-3), got %q", s)
		}
		values = append(values, v)
	}
	return values, false, nil
}

// AutoGrid is the grid around a recommendation: ×1/3, ×1, ×3.
func AutoGrid(rec float64) []float64 { return []float64{rec / 3, rec, rec * 3} }

// runGridValues trains base's model for epochs epochs with each learning rate,
// every run from the weights the model has on entry and with a fresh
// optimizer from newOpt, and records the validation loss per epoch. Base
// supplies the data, batching and loss settings; its Optimizer, Epochs,
// Hooks and MaxSteps are replaced. The model's weights are put back
// afterwards. The learning rate stays constant (no schedule): the grid
// compares values, not schedules. progress, when not nil, receives the
// loop's progress lines.
func runGridValues(ctx context.Context, base train.Loop, newOpt func(lr float64) (train.Optimizer, error), values []float64, epochs int, progress io.Writer) (runs []GridRun, err error) {
	if epochs <= 0 {
		return nil, setting.Errorf("grid_epochs", "must be > 0, got %d", epochs)
	}
	m := base.Model
	init := m.Tensors()
	defer func() {
		if rerr := m.SetTensors(init); rerr != nil && err == nil {
			err = rerr
		}
		if zerr := zeroGrads(m); zerr != nil && err == nil {
			err = zerr
		}
	}()
	for i, lr := range values {
		if err := m.SetTensors(init); err != nil {
			return runs, err
		}
		if err := zeroGrads(m); err != nil {
			return runs, err
		}
		o, err := newOpt(lr)
		if err != nil {
			return runs, err
		}
		loop := base
		loop.Optimizer, loop.Epochs, loop.MaxSteps = o, epochs, 0
		loop.Eval = train.EvalVal // only the validation loss is compared
		loop.History, loop.Step, loop.Position, loop.Hooks = nil, 0, nil, []train.Hook{train.WeightGuard{}}
		if progress != nil {
			fmt.Fprintf(progress, "grid %d/%d: lr %.3g, %d epochs\n", i+1, len(values), lr, epochs)
			loop.Hooks = append(loop.Hooks, &train.Progress{W: progress, Label: fmt.Sprintf("grid lr %.3g", lr)})
		}
		res, runErr := loop.Run(ctx)
		var nf *train.NonFiniteError
		var we *train.WeightError
		diverged := errors.As(runErr, &nf) || errors.As(runErr, &we)
		if runErr != nil && !diverged {
			return runs, runErr
		}
		if res.StopReason == train.StopInterrupted {
			return runs, ctx.Err()
		}
		runs = append(runs, gridRun(lr, res.History, diverged))
	}
	return runs, nil
}

// gridRun summarizes one run's history; a non-finite validation loss
// counts as divergence and ends the record.
func gridRun(lr float64, h []train.EpochMetrics, diverged bool) GridRun {
	r := GridRun{LR: lr, ValLoss: []float64{}, ValAccuracy: []float64{}, Diverged: diverged}
	for _, e := range h {
		if !finite(e.ValLoss) {
			r.Diverged = true
			break
		}
		r.ValLoss = append(r.ValLoss, e.ValLoss)
		r.ValAccuracy = append(r.ValAccuracy, e.ValAccuracy)
		if r.BestValLoss == nil || e.ValLoss < *r.BestValLoss {
			v := e.ValLoss
			r.BestValLoss, r.BestEpoch = &v, e.Epoch
		}
	}
	return r
}

// bestRun returns the index of the run with the lowest validation loss
// (the first of equals), or -1 when every run diverged before an epoch
// finished.
func bestRun(runs []GridRun) int {
	best := -1
	for i, r := range runs {
		if r.BestValLoss != nil && (best < 0 || *r.BestValLoss < *runs[best].BestValLoss) {
			best = i
		}
	}
	return best
}
