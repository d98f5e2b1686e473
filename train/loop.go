package train

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/model"
)

// EpochMetrics is one row of metrics.csv.
type EpochMetrics struct {
	Epoch int   `json:"epoch"`
	Step  int64 `json:"step"`
	// TrainLoss is the mean training-mode loss over the epoch's batches.
	TrainLoss float64 `json:"train_loss"`
	// TrainEvalLoss is the eval-mode loss on a fixed training subset, so
	// that it compares with ValLoss.
	TrainEvalLoss float64 `json:"train_eval_loss"`
	ValLoss       float64 `json:"val_loss"`
	ValAccuracy   float64 `json:"val_accuracy"`
	// LR is the learning rate at the end of the epoch.
	LR float64 `json:"lr"`
	// Seconds is the epoch's wall time (training and evaluation).
	Seconds float64 `json:"seconds"`
	// StepSeconds is the part of Seconds spent in the optimizer steps
	// (forward, backward, update), so that an epoch's overhead over its
	// steps (batch assembly, evaluation) shows: Seconds - StepSeconds.
	// Like Seconds it is a wall time, left out of checkpoints; 0 in a
	// metrics.csv written before it was recorded.
	StepSeconds float64 `json:"step_seconds,omitempty"`
}

// Stop reasons.
const (
	StopMaxEpochs   = "max-epochs"
	StopNonFinite   = "non-finite"
	StopInterrupted = "interrupted"
)

// State is what hooks see and may change: the position in training, the
// optimizer (to set the learning rate), the best epoch so far, and Stop,
// which a hook sets to end training after the current epoch.
type State struct {
	Model     *model.Model
	Optimizer Optimizer
	// Epoch is 1-based; Step counts optimizer steps since the start.
	Epoch, Epochs int
	Step          int64
	StepInEpoch   int
	StepsPerEpoch int
	// History holds the metrics of every finished epoch.
	History []EpochMetrics
	// Best is the index in History of the best epoch by the monitored
	// metric; Improved is true right after an epoch that became the best.
	Best     int
	Improved bool
	// Evaluated is set after an epoch whose validation metrics were scored.
	Evaluated bool
	// Stop, when set by a hook, ends training (after the current step when
	// set in AfterStep, after the epoch when set in AfterEpoch) and becomes
	// the stop reason.
	Stop string
	// EpochLoss is the running sum and count of this epoch's batch losses.
	EpochLoss Position
	// TotalSteps is the most steps this run can take (the epochs' steps, or
	// MaxSteps when smaller), for ETAs.
	TotalSteps int64
	// Started is when this Run began, at step startStep.
	Started   time.Time
	startStep int64
}

// EpochEval chooses what the loop scores in eval mode after each epoch.
type EpochEval int

const (
	// EvalTrainAndVal scores the fixed training subset (TrainEvalSize) and
	// the validation set: what training reports and monitors.
	EvalTrainAndVal EpochEval = iota
	// EvalVal scores the validation set only; TrainEvalLoss is NaN.
	EvalVal
	// EvalNone scores nothing: the epoch's ValLoss, ValAccuracy and
	// TrainEvalLoss are NaN and no epoch becomes the best. Loops that
	// measure what they need in a hook (the overfit tests, the range test)
	// use it, and need no validation set.
	EvalNone
)

// Loop trains a model. Its fields are the whole configuration of a run.
type Loop struct {
	Model      *model.Model
	Optimizer  Optimizer
	Train, Val *data.Dataset

	Epochs    int
	BatchSize int
	Seed      uint64
	// Shuffle draws a new order of examples every epoch.
	Shuffle bool
	Augment data.Augmentation
	// LabelSmoothing spreads this much of each target over all classes.
	LabelSmoothing float64
	// ClassWeights weight each class's examples in the loss (nil: equal).
	ClassWeights []float64
	// Eval is what each epoch scores (default: the training subset and the
	// validation set).
	Eval EpochEval
	// TrainEvalSize is the size of the fixed training subset evaluated in
	// eval mode each epoch (default 1000).
	TrainEvalSize int
	// Monitor is val_loss (default) or val_accuracy: what "best" means.
	Monitor string
	// MaxSteps, when > 0, ends training after that many steps (the range
	// test uses it).
	MaxSteps int64
	// Freeze, when not empty, are prefixes of parameter names kept fixed
	// (model.Model.Freeze) before epoch UnfreezeAt (1-based; 0: the whole
	// run); from that epoch on every parameter trains. The loop sets the
	// model's frozen parameters at the start of every epoch from these
	// and the epoch alone, so that a resumed run freezes what the
	// uninterrupted one did. Empty, the loop leaves the parameters'
	// Frozen flags as they are; the optimizer skips the frozen ones
	// either way.
	Freeze     []string
	UnfreezeAt int

	Hooks []Hook
	Log   *slog.Logger

	// History and Step let a resumed run continue: the epochs already done
	// and the optimizer steps taken. Position, when set, is where in the
	// next epoch an interrupted run stopped.
	History  []EpochMetrics
	Step     int64
	Position *Position
}

// Position is a point inside an epoch: the batches already taken and the
// running sum of their losses.
type Position struct {
	StepInEpoch int     `json:"step_in_epoch"`
	LossSum     float64 `json:"loss_sum"`
	LossCount   int     `json:"loss_count"`
}

// Result is how training ended.
type Result struct {
	History    []EpochMetrics
	Best       int // index into History; -1 when no epoch finished
	StopReason string
	Steps      int64
}

// BestMetrics returns the best epoch's metrics.
func (r Result) BestMetrics() (EpochMetrics, bool) {
	if r.Best < 0 || r.Best >= len(r.History) {
		return EpochMetrics{}, false
	}
	return r.History[r.Best], true
}

// NonFiniteError reports a loss that became NaN or infinite.
type NonFiniteError struct {
	Loss        float64
	Epoch, Step int
	GlobalStep  int64
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("training loss is %v at epoch %d, step %d (global step %d): training stopped (try a lower optimizer.lr)", e.Loss, e.Epoch, e.Step, e.GlobalStep)
}

// StreamSeed derives independent generator seeds for an epoch's streams.
const (
	streamDropout = 1
	streamAugment = 2
)

// stepRNG is the generator of one stream (dropout, augmentation) for one
// step. Seeding per (epoch, step) rather than running one generator lets a
// run resumed in the middle of an epoch draw exactly what it would have.
func stepRNG(seed uint64, epoch, step int, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed^0x243f6a8885a308d3, uint64(epoch)<<32|uint64(step)<<8|stream))
}

// Run trains until Epochs epochs are done, a hook sets Stop, the loss stops
// being finite, or ctx is cancelled (stop reason interrupted, after the
// current step).
func (l *Loop) Run(ctx context.Context) (Result, error) {
	if err := l.check(); err != nil {
		return Result{Best: -1}, err
	}
	log := l.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := l.Model
	bs := m.TrainBatch()
	n := l.Train.Len()
	steps := n / bs
	dropPartial := m.HasBatchNorm()
	if rem := n % bs; rem != 0 {
		if dropPartial {
			log.Info("the last partial batch of each epoch is dropped (batch norm would see padding)", "examples", rem)
		} else {
			steps++
			log.Debug("the last partial batch of each epoch is padded with zero-weight rows", "examples", rem)
		}
	}
	var trainEval *data.Dataset
	if l.Eval == EvalTrainAndVal {
		trainEval = l.trainEvalSubset()
	}
	learn := m.Learnables()
	all := make([][]float32, len(learn))
	for i, p := range learn {
		all[i] = p.Float32s()
	}
	// params is what each step updates: all's weights, nil for a frozen
	// one (see Optimizer.Step).
	params := make([][]float32, len(learn))
	frozen := -1 // whether the prefixes are frozen now: -1 not set yet, 0 released, 1 frozen
	s := &State{Model: m, Optimizer: l.Optimizer, Epochs: l.Epochs, Step: l.Step, StepsPerEpoch: steps,
		History: slices.Clone(l.History), Best: bestIndex(l.History, l.Monitor), Started: time.Now(), startStep: l.Step}
	s.TotalSteps = int64(l.Epochs * steps)
	if l.MaxSteps > 0 {
		s.TotalSteps = min(s.TotalSteps, l.MaxSteps)
	}
	result := func(reason string) Result {
		return Result{History: s.History, Best: s.Best, StopReason: reason, Steps: s.Step}
	}
	stopped := func(reason string) (Result, error) {
		for _, h := range l.Hooks {
			if err := h.OnStop(s, reason); err != nil {
				return result(reason), err
			}
		}
		return result(reason), nil
	}
	classes := m.Classes
	asm := newAssembler(l, bs)
	// Stops the assembly of an epoch left early (an interrupt, an error,
	// a hook's stop), before Run returns.
	defer asm.stop()
	for epoch := len(s.History) + 1; epoch <= l.Epochs; epoch++ {
		if reason := l.decided(s.History); reason != "" {
			// Steps a resumed run had taken into this epoch (before an
			// interrupt) are abandoned with it: the run ends where its
			// last finished epoch did.
			s.Step = s.History[len(s.History)-1].Step
			return result(reason), nil
		}
		s.Epoch = epoch
		if len(l.Freeze) > 0 {
			frozen = l.freeze(epoch, frozen, log)
		}
		start := time.Now()
		var stepTime time.Duration
		order := data.EpochOrder(n, l.Seed, epoch, l.Shuffle)
		skip := 0
		s.EpochLoss = Position{}
		if l.Position != nil && epoch == len(l.History)+1 {
			skip, s.EpochLoss = l.Position.StepInEpoch, *l.Position
		}
		var take []int // the batches this epoch steps on
		batches := data.Batches(order, bs)
		for i, idx := range batches {
			if !(len(idx) < bs && dropPartial || i < skip) {
				take = append(take, i)
			}
		}
		feed := asm.start(batches, take, epoch)
		for b := range feed {
			i, nb := b.index, b.batch.Size
			if err := ctx.Err(); err != nil {
				s.StepInEpoch = i
				s.EpochLoss.StepInEpoch = i
				return stopped(StopInterrupted)
			}
			s.StepInEpoch = i + 1
			for _, h := range l.Hooks {
				if err := h.BeforeStep(s); err != nil {
					return result(""), err
				}
			}
			stepStart := time.Now()
			loss, err := m.TrainStep(b.batch.X, b.targets[:nb*classes], nb, stepRNG(l.Seed, epoch, i, streamDropout))
			if err != nil {
				return result(""), err
			}
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return result(StopNonFinite), &NonFiniteError{Loss: loss, Epoch: epoch, Step: i + 1, GlobalStep: s.Step + 1}
			}
			grads, err := m.Grads()
			if err != nil {
				return result(""), err
			}
			for k, p := range learn {
				params[k] = all[k]
				if p.Frozen {
					params[k] = nil
				}
			}
			l.Optimizer.Step(params, grads)
			stepTime += time.Since(stepStart)
			asm.release(b)
			s.Step++
			s.EpochLoss.LossSum += loss * float64(nb)
			s.EpochLoss.LossCount += nb
			s.EpochLoss.StepInEpoch = i + 1
			for _, h := range l.Hooks {
				if err := h.AfterStep(s, loss); err != nil {
					return result(""), err
				}
			}
			if l.MaxSteps > 0 && s.Step >= l.MaxSteps {
				return result(s.Stop), nil
			}
			if s.Stop != "" {
				return stopped(s.Stop)
			}
		}
		asm.stop()
		em := EpochMetrics{Epoch: epoch, Step: s.Step, TrainLoss: s.EpochLoss.LossSum / float64(max(s.EpochLoss.LossCount, 1)), LR: l.Optimizer.LR()}
		em.TrainEvalLoss, em.ValLoss, em.ValAccuracy = math.NaN(), math.NaN(), math.NaN()
		if trainEval != nil {
			ev, err := Evaluate(m, trainEval)
			if err != nil {
				return result(""), err
			}
			em.TrainEvalLoss = ev.Loss
		}
		s.Evaluated = l.Eval != EvalNone
		if s.Evaluated {
			ev, err := Evaluate(m, l.Val)
			if err != nil {
				return result(""), err
			}
			em.ValLoss, em.ValAccuracy = ev.Loss, ev.Accuracy
		}
		em.Seconds = time.Since(start).Seconds()
		em.StepSeconds = stepTime.Seconds()
		s.History = append(s.History, em)
		s.Improved = s.Evaluated && (s.Best < 0 || better(em, s.History[s.Best], l.Monitor))
		if s.Improved {
			s.Best = len(s.History) - 1
		}
		for _, h := range l.Hooks {
			if err := h.AfterEpoch(s); err != nil {
				return result(""), err
			}
		}
		if s.Stop != "" {
			return result(s.Stop), nil
		}
	}
	return result(StopMaxEpochs), nil
}

// assembler prepares an epoch's batches (examples copied from the
// training set, augmented, their target rows written) on its own goroutine,
// one batch ahead of the steps: that work then runs while a step leaves a
// core idle (its serial parts: the tape machine, the optimizer) instead of
// between steps. What each batch holds depends on the epoch, its index and
// the seed alone, so the steps see exactly the bytes they would if the
// loop assembled them itself.
type assembler struct {
	l    *Loop
	free chan *assembled // buffers the steps are done with
	quit chan struct{}   // closed to stop the epoch's assembly early
	done chan struct{}   // closed when the epoch's assembly has returned
}

// assembled is one batch ready for its step.
type assembled struct {
	index   int // the batch's index in the epoch
	batch   data.Batch
	targets []float32
}

// assembledBuffers is how many batches exist at once: the one a step
// uses and the next, being assembled.
const assembledBuffers = 2

func newAssembler(l *Loop, bs int) *assembler {
	a := &assembler{l: l, free: make(chan *assembled, assembledBuffers)}
	for range assembledBuffers {
		a.free <- &assembled{targets: make([]float32, bs*l.Model.Classes)}
	}
	return a
}

// start assembles the batches of the epoch whose indices are take, in
// order, and returns the channel they come on, closed after the last. The
// receiver hands each batch back with release once its step is done.
func (a *assembler) start(batches [][]int, take []int, epoch int) <-chan *assembled {
	l := a.l
	out := make(chan *assembled)
	a.quit, a.done = make(chan struct{}), make(chan struct{})
	quit, done := a.quit, a.done
	go func() {
		defer close(done)
		defer close(out)
		for _, i := range take {
			var b *assembled
			select {
			case b = <-a.free:
			case <-quit:
				return
			}
			idx := batches[i]
			l.Train.Fill(&b.batch, idx)
			if l.Augment.Enabled() {
				l.Augment.Apply(b.batch.X, l.Train.Shape, stepRNG(l.Seed, epoch, i, streamAugment))
			}
			l.fillTargets(b.targets[:len(idx)*l.Model.Classes], b.batch.Y)
			b.index = i
			select {
			case out <- b:
			case <-quit:
				a.free <- b
				return
			}
		}
	}()
	return out
}

// release returns a batch whose step is done.
func (a *assembler) release(b *assembled) { a.free <- b }

// stop ends the current epoch's assembly and waits for it to return; it
// does nothing when no epoch's assembly is running.
func (a *assembler) stop() {
	if a.quit == nil {
		return
	}
	close(a.quit)
	<-a.done
	a.quit, a.done = nil, nil
}

// freeze sets the model's frozen parameters for epoch: Freeze's prefixes
// before UnfreezeAt, none from it on. was is the state the previous epoch
// set (-1 before the first epoch of this Run); it returns the new one,
// and logs a change.
func (l *Loop) freeze(epoch, was int, log *slog.Logger) int {
	now := 1
	if l.UnfreezeAt > 0 && epoch >= l.UnfreezeAt {
		now = 0
	}
	if now == was {
		return now
	}
	if now == 1 {
		names := l.Model.Freeze(l.Freeze)
		until := "the end"
		if l.UnfreezeAt > 0 {
			until = fmt.Sprintf("epoch %d (training.unfreeze_at)", l.UnfreezeAt)
		}
		log.Info("frozen parameters: kept fixed until "+until, "prefixes", l.Freeze, "parameters", names)
		return now
	}
	l.Model.Freeze(nil)
	if was == 1 || epoch == l.UnfreezeAt {
		log.Info("unfrozen: every parameter trains from this epoch on (training.unfreeze_at)", "epoch", epoch, "prefixes", l.Freeze)
	} else {
		log.Info("every parameter trains: the frozen ones were released at epoch "+fmt.Sprint(l.UnfreezeAt)+" (training.unfreeze_at)", "epoch", epoch)
	}
	return now
}

// decided is the first Stopper hook's stop reason after history, or "".
func (l *Loop) decided(history []EpochMetrics) string {
	if len(history) == 0 {
		return ""
	}
	for _, h := range l.Hooks {
		if st, ok := h.(Stopper); ok {
			if reason := st.Decide(history); reason != "" {
				return reason
			}
		}
	}
	return ""
}

func (l *Loop) check() error {
	switch {
	case l.Model == nil || l.Optimizer == nil || l.Train == nil:
		return fmt.Errorf("training needs a model, an optimizer and a training set")
	case l.Train.Len() == 0:
		return fmt.Errorf("the training split is empty")
	case l.Eval != EvalNone && (l.Val == nil || l.Val.Len() == 0):
		return fmt.Errorf("the validation split is empty")
	case l.Epochs <= 0:
		return fmt.Errorf("epochs must be > 0, got %d", l.Epochs)
	case l.LabelSmoothing < 0 || l.LabelSmoothing >= 1:
		return fmt.Errorf("label smoothing must be in [0, 1), got %v", l.LabelSmoothing)
	case l.ClassWeights != nil && len(l.ClassWeights) != l.Model.Classes:
		return fmt.Errorf("%d class weights for %d classes", len(l.ClassWeights), l.Model.Classes)
	case l.Monitor != "" && l.Monitor != "val_loss" && l.Monitor != "val_accuracy":
		return fmt.Errorf("monitor must be val_loss or val_accuracy, got %q", l.Monitor)
	}
	return nil
}

// fillTargets writes the weighted target rows of a batch: (1-ε)·one-hot +
// ε/C, each row scaled by its class weight over the batch's total weight,
// so that the loss is the (weighted) mean cross-entropy.
func (l *Loop) fillTargets(t []float32, ys []int) {
	c := l.Model.Classes
	clear(t)
	var total float64
	for _, y := range ys {
		total += l.classWeight(y)
	}
	eps := l.LabelSmoothing
	for i, y := range ys {
		w := l.classWeight(y) / total
		row := t[i*c : (i+1)*c]
		if eps > 0 {
			for k := range row {
				row[k] = float32(w * eps / float64(c))
			}
		}
		row[y] += float32(w * (1 - eps))
	}
}

func (l *Loop) classWeight(y int) float64 {
	if l.ClassWeights == nil {
		return 1
	}
	return l.ClassWeights[y]
}

func (l *Loop) trainEvalSubset() *data.Dataset {
	size := l.TrainEvalSize
	if size <= 0 {
		size = 1000
	}
	n := l.Train.Len()
	if size >= n {
		return l.Train
	}
	idx := data.EpochOrder(n, l.Seed, 0, true)[:size]
	slices.Sort(idx)
	return l.Train.Subset(idx)
}

func better(a, b EpochMetrics, monitor string) bool {
	if monitor == "val_accuracy" {
		return a.ValAccuracy > b.ValAccuracy
	}
	return a.ValLoss < b.ValLoss
}

func bestIndex(h []EpochMetrics, monitor string) int {
	best := -1
	for i := range h {
		if best < 0 || better(h[i], h[best], monitor) {
			best = i
		}
	}
	return best
}
