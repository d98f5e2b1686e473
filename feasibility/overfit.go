package feasibility

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/practica-ml/practica/setup"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/internal/stats"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/train"
)

// Thresholds of the overfit tests.
const (
	// DefaultSteps is the default step budget.
	DefaultSteps = 300
	// passLoss and passFraction: the loss must fall below
	// max(passLoss, passFraction × the initial loss).
	passLoss     = 0.01
	passFraction = 0.01
	// baselineRatio and baselineGap: the zero-input baseline's final loss
	// must be at least baselineRatio× the real one and baselineGap above it.
	baselineRatio = 10.0
	baselineGap   = 0.1
	// initRatioLow and initRatioHigh bound a plausible initial loss, as a
	// multiple of ln C.
	initRatioLow  = 0.5
	initRatioHigh = 2.0
	// floorTolerance: the zero-input baseline stops once its loss is this
	// close to the label entropy. With every input zero the model gives
	// every example the same output, whose mean loss is at least the
	// entropy of the labels, so more steps could lower it by less than this.
	floorTolerance = 1e-3
)

// overfitConfig chooses an overfit test.
type overfitConfig struct {
	// Examples is 1 for overfit-one, N for overfit-batch.
	Examples int
	// Steps is the step budget (DefaultSteps when 0).
	Steps int
	// Baseline also trains on the same examples with the inputs zeroed.
	Baseline bool
	// Progress receives a line every few seconds; nil for none.
	Progress io.Writer
}

// OverfitResult is overfit_one or overfit_batch in feasibility.json.
type OverfitResult struct {
	Verdict string `json:"verdict"`
	// Reason says why, with the numbers.
	Reason   string   `json:"reason"`
	Warnings []string `json:"warnings,omitempty"`
	Model    string   `json:"model"`
	// Examples are the memorized training examples: their indices in the
	// training split and their classes.
	Examples int      `json:"examples"`
	Indices  []int    `json:"indices"`
	Labels   []string `json:"labels"`
	Classes  int      `json:"classes"`
	LR       float64  `json:"lr"`
	// StepBudget is the most steps allowed; Steps were taken (training
	// stops at the first step that passes).
	StepBudget int `json:"step_budget"`
	Steps      int `json:"steps"`
	// InitialLoss is the eval-mode loss before training; InitialLossRatio
	// is InitialLoss / ln(Classes), close to 1 for a sound initialization.
	InitialLoss      Float   `json:"initial_loss"`
	LnClasses        float64 `json:"ln_classes"`
	InitialLossRatio Float   `json:"initial_loss_ratio"`
	// Threshold is max(0.01, 1% of InitialLoss).
	Threshold Float `json:"threshold"`
	FinalLoss Float `json:"final_loss"`
	MinLoss   Float `json:"min_loss"`
	// Accuracy is the final eval-mode accuracy on the examples.
	Accuracy float64 `json:"accuracy"`
	// PassStep is the first step that met the criterion (0: none).
	PassStep int `json:"pass_step"`
	// NonFiniteStep is the step whose loss was NaN or infinite (0: none).
	NonFiniteStep int `json:"non_finite_step,omitempty"`
	// LossCurve is the eval-mode loss at steps 0 (initialization) to Steps.
	LossCurve []Float `json:"loss_curve"`
	// ZeroInput is the input-independent baseline (overfit-batch only).
	ZeroInput *BaselineResult `json:"zero_input,omitempty"`
}

// BaselineResult is the same training with the inputs zeroed.
type BaselineResult struct {
	Steps     int     `json:"steps"`
	FinalLoss Float   `json:"final_loss"`
	Accuracy  float64 `json:"accuracy"`
	// LabelEntropy is the entropy of the examples' labels: the lowest loss
	// a model that ignores its inputs can reach on them.
	LabelEntropy float64 `json:"label_entropy"`
	// LossRatio and LossGap compare FinalLoss with the real run's.
	LossRatio Float `json:"loss_ratio"`
	LossGap   Float `json:"loss_gap"`
	// AtFloor: the run stopped before the budget, its loss within
	// floorTolerance of LabelEntropy, below which it cannot go.
	AtFloor bool `json:"at_floor"`
	// ClearlyWorse is LossRatio ≥ 10 and LossGap ≥ 0.1.
	ClearlyWorse bool    `json:"clearly_worse"`
	LossCurve    []Float `json:"loss_curve"`
}

// overfit trains the experiment's model on cfg.Examples training examples
// (dropout and augmentation off, no shuffling, plain cross-entropy) until
// the eval-mode loss on them passes or the step budget runs out, and gives
// the verdict.
func overfit(ctx context.Context, p *setup.Prepared, cfg overfitConfig) (*OverfitResult, error) {
	n := cfg.Examples
	tr := p.Splits.Train
	if n < 1 || n > tr.Len() {
		return nil, fmt.Errorf("overfit needs 1 to %d examples (the training split), got %d", tr.Len(), n)
	}
	steps := cfg.Steps
	if steps == 0 {
		steps = DefaultSteps
	}
	if steps < 1 {
		return nil, fmt.Errorf("overfit steps must be > 0, got %d", steps)
	}
	idx := pickExamples(tr.Y, tr.NumClasses(), n, p.Config.Training.Seed)
	ds := tr.Subset(idx)
	name := "overfit-one"
	if n > 1 || cfg.Baseline {
		name = fmt.Sprintf("overfit-batch %d", n)
	}
	c := tr.NumClasses()
	r := &OverfitResult{Model: p.Config.Model.Arch, Examples: n, Indices: idx, Classes: c, LR: p.Config.Optimizer.LR,
		StepBudget: steps, LnClasses: math.Log(float64(c))}
	for _, y := range ds.Y {
		r.Labels = append(r.Labels, tr.Classes[y])
	}
	real, err := memorize(ctx, p, ds, steps, true, -1, cfg.Progress, name)
	if err != nil {
		return nil, err
	}
	r.Steps, r.LossCurve, r.Accuracy, r.PassStep, r.NonFiniteStep = real.steps(), floats(real.loss), real.accuracy, real.passStep, real.nonFinite
	r.InitialLoss, r.Threshold = Float(real.loss[0]), Float(real.threshold)
	r.InitialLossRatio = Float(real.loss[0] / r.LnClasses)
	r.FinalLoss, r.MinLoss = Float(real.last()), Float(real.min())
	if cfg.Baseline {
		zero := ds.Subset(seq(n))
		clear(zero.X)
		h := stats.Entropy(ds.ClassCounts())
		base, err := memorize(ctx, p, zero, steps, false, h, cfg.Progress, name+" zero-input baseline")
		if err != nil {
			return nil, err
		}
		b := &BaselineResult{Steps: base.steps(), FinalLoss: Float(base.last()), Accuracy: base.accuracy,
			LabelEntropy: h, AtFloor: base.atFloor, LossCurve: floats(base.loss)}
		b.LossRatio, b.LossGap = Float(base.last()/real.last()), Float(base.last()-real.last())
		b.ClearlyWorse = finite(base.last()) && float64(b.LossRatio) >= baselineRatio && float64(b.LossGap) >= baselineGap
		r.ZeroInput = b
	}
	r.Verdict, r.Reason, r.Warnings = overfitVerdict(r, real)
	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, "%s: %s after %d steps\n", name, r.Verdict, r.Steps)
	}
	return r, nil
}

// pickExamples draws n training examples, seeded: a random order of the
// split, then round-robin over the classes in the order they first appear
// in it, so that a batch covers as many classes as it can (and the
// zero-input baseline cannot reach a low loss by predicting one class).
// The first example is the first of the random order.
func pickExamples(labels []int, classes, n int, seed uint64) []int {
	rng := rand.New(rand.NewPCG(seed, 0x6f76657266697421)) // "overfit!"
	perm := rng.Perm(len(labels))
	buckets := make([][]int, classes)
	var order []int
	for _, i := range perm {
		y := labels[i]
		if len(buckets[y]) == 0 {
			order = append(order, y)
		}
		buckets[y] = append(buckets[y], i)
	}
	out := make([]int, 0, n)
	for round := 0; len(out) < n; round++ {
		for _, y := range order {
			if round < len(buckets[y]) && len(out) < n {
				out = append(out, buckets[y][round])
			}
		}
	}
	return out
}

// run is one memorization run.
type run struct {
	loss      []float64 // eval-mode loss at steps 0..
	threshold float64
	accuracy  float64
	correct   int
	passStep  int
	nonFinite int
	// nonFiniteWhat says what went non-finite ("" for the loss).
	nonFiniteWhat string
	atFloor       bool
}

func (r run) steps() int    { return len(r.loss) - 1 }
func (r run) last() float64 { return r.loss[len(r.loss)-1] }

func (r run) min() float64 {
	m := math.Inf(1)
	for _, v := range r.loss {
		if v < m {
			m = v
		}
	}
	return m
}

// memorize trains a fresh model (the experiment's, its seed's weights) on
// every example of ds at each step, on the experiment's loop (dropout,
// shuffling, augmentation, label smoothing and class weights off),
// evaluating ds in eval mode before training and after each step. It stops
// at a non-finite loss or weight (the loop's weight guard), at the budget,
// (stopAtPass) at the first step whose loss is below the threshold with
// every example right, or (floor ≥ 0) once the loss is within
// floorTolerance of floor, the least it can reach.
func memorize(ctx context.Context, p *setup.Prepared, ds *data.Dataset, steps int, stopAtPass bool, floor float64, progress io.Writer, label string) (run, error) {
	n := ds.Len()
	m, opt, err := p.NewModel(model.Options{TrainBatch: n, EvalBatch: n, NoDropout: true})
	if err != nil {
		return run{}, err
	}
	if m.TrainBatch() != n {
		return run{}, fmt.Errorf("the model's training batch is %d, not %d", m.TrainBatch(), n)
	}
	ev, err := train.Evaluate(m, ds)
	if err != nil {
		return run{}, err
	}
	r := run{loss: []float64{ev.Loss}, threshold: math.Max(passLoss, passFraction*ev.Loss)}
	r.accuracy, r.correct = ev.Accuracy, int(math.Round(ev.Accuracy*float64(n)))
	if !finite(ev.Loss) {
		r.nonFinite = -1
		return r, nil
	}
	loop := p.NewLoop(m, opt, nil)
	loop.Train, loop.Val, loop.Eval = ds, nil, train.EvalNone
	loop.Epochs, loop.Shuffle = steps, false // one step per epoch: the whole set
	loop.Augment, loop.LabelSmoothing, loop.ClassWeights = data.Augmentation{}, 0, nil
	mem := &memorizer{r: &r, ds: ds, stopAtPass: stopAtPass, floor: floor}
	loop.Hooks = []train.Hook{train.WeightGuard{}, mem}
	if progress != nil {
		loop.Hooks = append(loop.Hooks, &train.Progress{W: progress, Label: label, Detail: mem.detail})
	}
	res, runErr := loop.Run(ctx)
	var nf *train.NonFiniteError
	var we *train.WeightError
	switch {
	case errors.As(runErr, &nf):
		r.nonFinite = int(nf.GlobalStep)
		r.loss = append(r.loss, nf.Loss)
	case errors.As(runErr, &we):
		r.nonFinite, r.nonFiniteWhat = int(we.Step), we.Error()
		r.loss = append(r.loss, math.NaN())
	case runErr != nil:
		return r, runErr
	case res.StopReason == train.StopInterrupted:
		return r, ctx.Err()
	}
	return r, nil
}

// Stop reasons of a memorization run.
const (
	stopPassed    = "passed"
	stopFloor     = "at-floor"
	stopNonFinite = "non-finite"
)

// memorizer is memorize's hook: after each step it scores the examples in
// eval mode and decides whether to stop.
type memorizer struct {
	train.NopHook
	r          *run
	ds         *data.Dataset
	stopAtPass bool
	floor      float64
}

// AfterStep implements train.Hook.
func (h *memorizer) AfterStep(s *train.State, _ float64) error {
	r, n := h.r, h.ds.Len()
	ev, err := train.Evaluate(s.Model, h.ds)
	if err != nil {
		return err
	}
	step := int(s.Step)
	r.loss = append(r.loss, ev.Loss)
	r.accuracy, r.correct = ev.Accuracy, int(math.Round(ev.Accuracy*float64(n)))
	switch {
	case !finite(ev.Loss):
		r.nonFinite = step
		s.Stop = stopNonFinite
	case ev.Loss < r.threshold && r.correct == n && r.passStep == 0 && h.stopAtPass:
		r.passStep = step
		s.Stop = stopPassed
	case ev.Loss < r.threshold && r.correct == n && r.passStep == 0:
		r.passStep = step
		if h.floor >= 0 && ev.Loss < h.floor+floorTolerance {
			r.atFloor = true
			s.Stop = stopFloor
		}
	case h.floor >= 0 && ev.Loss < h.floor+floorTolerance:
		r.atFloor = true
		s.Stop = stopFloor
	}
	return nil
}

// detail is the eval-mode loss for progress lines (the loop reports the
// training-mode loss, equal here but for batch norm).
func (h *memorizer) detail(*train.State) string {
	return fmt.Sprintf("eval loss %.4g", h.r.last())
}

// overfitVerdict decides PASS or FAIL and says why.
func overfitVerdict(r *OverfitResult, rr run) (verdict, reason string, warnings []string) {
	what := "the example"
	if r.Examples > 1 {
		what = fmt.Sprintf("the %d examples", r.Examples)
	}
	init := rr.loss[0]
	ratio := init / r.LnClasses
	initNote := fmt.Sprintf("the initial loss %.4g is %.2f× ln %d = %.4g", init, ratio, r.Classes, r.LnClasses)
	farInit := !finite(init) || ratio < initRatioLow || ratio > initRatioHigh
	if farInit {
		warnings = append(warnings, initNote+fmt.Sprintf(", outside [%.1f, %.1f]× ln C: a bad initialization (weights too large, inputs not normalized) or a label bug", initRatioLow, initRatioHigh))
	}
	var fails []string
	switch {
	case rr.nonFinite == -1:
		fails = append(fails, fmt.Sprintf("the loss at initialization is %v: inputs with extreme values, or weights initialized too large", init))
	case rr.nonFinite > 0:
		what := fmt.Sprintf("the loss became %v", rr.last())
		if rr.nonFiniteWhat != "" {
			what = "the " + rr.nonFiniteWhat
		}
		fails = append(fails, fmt.Sprintf("%s at step %d (the loss was %.4g at step %d, %.4g at initialization): training diverged; try a lower --lr (now %g)",
			what, rr.nonFinite, rr.loss[len(rr.loss)-2], len(rr.loss)-2, init, r.LR))
	case rr.passStep == 0:
		fails = append(fails, plateau(rr, what, r.LR))
	}
	if len(fails) == 0 && r.ZeroInput != nil && !r.ZeroInput.ClearlyWorse {
		b := r.ZeroInput
		fails = append(fails, fmt.Sprintf("the model does as well without its inputs: with the inputs zeroed the loss ends at %.4g against %.4g with them (needs at least %g× and %g higher): the labels of these examples are fitted without looking at the inputs, or the inputs do not reach the model",
			float64(b.FinalLoss), rr.last(), baselineRatio, baselineGap))
	}
	if len(fails) > 0 {
		if farInit {
			fails = append(fails, warnings[0])
			warnings = nil
		} else if finite(init) {
			fails = append(fails, initNote+", as it should be: the initialization and the labels look sound")
		}
		reason = strings.Join(fails, "; ")
		if r.ZeroInput != nil && rr.nonFinite == 0 && rr.passStep == 0 {
			reason += fmt.Sprintf(" (with the inputs zeroed: %.4g)", float64(r.ZeroInput.FinalLoss))
		}
		return Fail, reason, warnings
	}
	reason = fmt.Sprintf("the eval-mode loss on %s fell from %.4g to %.4g (below %.4g) in %d of %d steps, every example classified correctly; %s",
		what, init, rr.last(), rr.threshold, rr.passStep, r.StepBudget, initNote)
	if r.ZeroInput != nil {
		b := r.ZeroInput
		reason += fmt.Sprintf("; with the inputs zeroed the loss only reaches %.4g after %d steps (%.0f× higher; the label entropy, the best a model blind to its inputs can do, is %.4g)",
			float64(b.FinalLoss), b.Steps, float64(b.LossRatio), b.LabelEntropy)
		if b.AtFloor {
			reason = strings.TrimSuffix(reason, ")") + ", and the run stopped there)"
		}
	}
	return Pass, reason, warnings
}

// plateau describes a run that did not reach the threshold.
func plateau(rr run, what string, lr float64) string {
	init, last := rr.loss[0], rr.last()
	steps := rr.steps()
	head := fmt.Sprintf("after %d steps the eval-mode loss on %s is %.4g (initially %.4g), above the threshold %.4g", steps, what, last, init, rr.threshold)
	if last < rr.threshold {
		return fmt.Sprintf("after %d steps the eval-mode loss on %s is %.4g, below the threshold %.4g, but only %d of them are classified correctly", steps, what, last, rr.threshold, rr.correct)
	}
	if math.Abs(init-last) < 0.01*init {
		return head + fmt.Sprintf(": the loss did not move (%.2g%% change), so the weights barely change: the learning rate (%g) may be far too low, or the weights frozen", 100*math.Abs(init-last)/init, lr)
	}
	if last > init {
		return head + fmt.Sprintf(": the loss rose; the learning rate (%g) may be too high", lr)
	}
	half := rr.loss[steps/2]
	drop := (half - last) / half
	if drop < 0.05 {
		return head + fmt.Sprintf(": it has plateaued at %.4g (%.1f%% lower over the last %d steps); the model cannot fit %s: too little capacity, too strong regularization, or labels that contradict each other", last, 100*drop, steps-steps/2, what)
	}
	return head + fmt.Sprintf(": it is still falling (%.0f%% lower over the last %d steps) but too slowly; try more --overfit-steps or a higher learning rate (now %g)", 100*drop, steps-steps/2, lr)
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}
