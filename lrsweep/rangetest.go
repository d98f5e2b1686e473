package lrsweep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/practica-ml/practica/internal/setting"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/train"
)

// Point is one step of a range test.
type Point struct {
	// Step is 1-based.
	Step int     `json:"step"`
	LR   float64 `json:"lr"`
	Loss float64 `json:"loss"`
	// Smoothed is the bias-corrected exponential moving average of Loss
	// (NaN from the first non-finite loss on).
	Smoothed float64 `json:"smoothed"`
}

// How a range test ended.
const (
	StopCompleted = "completed"
	// StopDiverged: the smoothed loss exceeded DivergeFactor × its minimum.
	StopDiverged = "diverged"
	// StopNonFinite: the loss became NaN or infinite, or the weights left
	// the range float32 can train in (see train.WeightLimit).
	StopNonFinite = "non-finite"
)

// Curve is one range test's record.
type Curve struct {
	Seed   uint64  `json:"seed"`
	Points []Point `json:"points"`
	Stop   string  `json:"stop"`
}

// Options configure a range test.
type Options struct {
	// MinLR and MaxLR bound the exponential ramp over Steps steps.
	MinLR, MaxLR float64
	Steps        int
	// Beta is the smoothing factor of the loss (0.98).
	Beta float64
	// DivergeFactor stops the test when the smoothed loss exceeds it times
	// its minimum (4).
	DivergeFactor float64
	// Progress receives a line every couple of seconds; nil for none.
	Progress io.Writer
	// Label prefixes the progress lines (e.g. "seed 2/3").
	Label string
}

// defaultOptions are fastai's defaults: 1e-7 to 10 over 100 steps,
// beta 0.98, stop at 4× the minimum.
func defaultOptions() Options {
	return Options{MinLR: 1e-7, MaxLR: 10, Steps: 100, Beta: 0.98, DivergeFactor: 4}
}

// Validate reports options a range test cannot run with.
func (o Options) Validate() error {
	switch {
	case !(o.MinLR > 0) || math.IsInf(o.MinLR, 0):
		return setting.Errorf("lr_min", "must be a positive number, got %v", o.MinLR)
	case !(o.MaxLR > o.MinLR) || math.IsInf(o.MaxLR, 0):
		return setting.Errorf("lr_max", "must be a number above lr_min (%v), got %v", o.MinLR, o.MaxLR)
	case o.Steps < minWindow+skipEnd+2 || o.Steps > 1_000_000:
		return setting.Errorf("lr_steps", "must be in [%d, 1000000], got %d", minWindow+skipEnd+2, o.Steps)
	case !(o.Beta >= 0 && o.Beta < 1):
		return setting.Errorf("beta", "(the smoothing factor) must be in [0, 1), got %v", o.Beta)
	case !(o.DivergeFactor > 1):
		return setting.Errorf("diverge_factor", "must be > 1, got %v", o.DivergeFactor)
	}
	return nil
}

// LRAt is the learning rate of step i (0-based) of an exponential ramp of
// n steps from lo to hi: lo·(hi/lo)^(i/(n−1)).
func LRAt(lo, hi float64, i, n int) float64 {
	if n <= 1 {
		return lo
	}
	return lo * math.Pow(hi/lo, float64(i)/float64(n-1))
}

// Smoother is an exponential moving average with bias correction:
// avg ← β·avg + (1−β)·x, reported as avg / (1 − β^n).
type Smoother struct {
	Beta float64
	avg  float64
	n    int
}

// Add feeds one value and returns the smoothed value.
func (s *Smoother) Add(x float64) float64 {
	s.n++
	s.avg = s.Beta*s.avg + (1-s.Beta)*x
	return s.avg / (1 - math.Pow(s.Beta, float64(s.n)))
}

// errStop ends the loop from a step hook when the smoothed loss diverges.
var errStop = errors.New("range test: stop")

// rangeTest runs one range test with base's model, optimizer, training set
// and batching (Seed, Shuffle, Augment, LabelSmoothing, ClassWeights; the
// batch size is the model's), one batch per step, cycling through epochs
// as needed. The rest of base is ignored.
//
// Afterwards the model and the optimizer are exactly as before: the
// weights and batch-norm statistics (model.Tensors), the optimizer's
// moments, step count and learning rate (Optimizer.State), and the
// gradient buffers (zero). The loop draws its batch order, dropout and
// augmentation from (seed, epoch), so there is no generator state to
// restore.
func rangeTest(ctx context.Context, base train.Loop, o Options) (c Curve, err error) {
	if err := o.Validate(); err != nil {
		return c, err
	}
	m, opt := base.Model, base.Optimizer
	if m == nil || opt == nil || base.Train == nil || base.Train.Len() == 0 {
		return c, fmt.Errorf("the range test needs a model, an optimizer and training data")
	}
	saved, savedOpt := m.Tensors(), opt.State()
	defer func() {
		if rerr := restore(m, opt, saved, savedOpt); rerr != nil && err == nil {
			err = rerr
		}
	}()
	rec := &recorder{o: o, sm: Smoother{Beta: o.Beta}}
	loop := base
	loop.Eval = train.EvalNone // the recorder measures each step's loss itself
	loop.Epochs = o.Steps/stepsPerEpoch(m, base.Train.Len()) + 2
	loop.MaxSteps = int64(o.Steps)
	loop.Hooks = []train.Hook{rec}
	if o.Progress != nil {
		loop.Hooks = append(loop.Hooks, &train.Progress{W: o.Progress, Label: "lr range test " + o.Label, Detail: rec.detail})
	}
	loop.History, loop.Step, loop.Position, loop.Monitor = nil, 0, nil, ""
	c.Seed = base.Seed
	res, runErr := loop.Run(ctx)
	var nf *train.NonFiniteError
	switch {
	case errors.As(runErr, &nf):
		rec.points = append(rec.points, Point{Step: int(nf.GlobalStep), LR: rec.lr, Loss: nf.Loss, Smoothed: math.NaN()})
		rec.stop = StopNonFinite
	case errors.Is(runErr, errStop):
	case runErr != nil:
		return c, runErr
	case res.StopReason == train.StopInterrupted:
		return c, ctx.Err()
	default:
		rec.stop = StopCompleted
	}
	c.Points, c.Stop = rec.points, rec.stop
	return c, nil
}

// stepsPerEpoch mirrors the loop: the last partial batch is a step unless
// the model has batch norm.
func stepsPerEpoch(m *model.Model, n int) int {
	bs := m.TrainBatch()
	s := n / bs
	if n%bs != 0 && !m.HasBatchNorm() {
		s++
	}
	return max(s, 1)
}

// restore puts back the weights, batch-norm statistics and optimizer
// state, and zeroes the gradient buffers (a non-finite step leaves them
// unused, and gorgonia accumulates into them).
func restore(m *model.Model, opt train.Optimizer, ts []model.Tensor, st train.OptimizerState) error {
	if err := m.SetTensors(ts); err != nil {
		return err
	}
	if err := opt.LoadState(st); err != nil {
		return err
	}
	return zeroGrads(m)
}

func zeroGrads(m *model.Model) error {
	grads, err := m.Grads()
	if err != nil {
		// No step has run yet: there is no gradient to clear.
		return nil
	}
	for _, g := range grads {
		clear(g)
	}
	return nil
}

// recorder is the range test's hook: it sets each step's learning rate,
// records the loss and stops the loop when the smoothed loss diverges or
// the weights leave the range the weight guard allows.
type recorder struct {
	train.NopHook
	o      Options
	sm     Smoother
	points []Point
	best   float64
	lr     float64
	stop   string
}

// BeforeStep implements train.Hook.
func (r *recorder) BeforeStep(s *train.State) error {
	r.lr = LRAt(r.o.MinLR, r.o.MaxLR, int(s.Step), r.o.Steps)
	s.Optimizer.SetLR(r.lr)
	return nil
}

// AfterStep implements train.Hook. The point is recorded before the
// weights are checked, so that the curve ends with the step that broke them.
func (r *recorder) AfterStep(s *train.State, loss float64) error {
	sm := r.sm.Add(loss)
	r.points = append(r.points, Point{Step: int(s.Step), LR: r.lr, Loss: loss, Smoothed: sm})
	switch {
	case !finite(sm) || train.CheckWeights(s.Model, s.Step) != nil:
		r.stop = StopNonFinite
		return errStop
	case len(r.points) == 1 || sm < r.best:
		r.best = sm
	case sm > r.o.DivergeFactor*r.best:
		r.stop = StopDiverged
		return errStop
	}
	return nil
}

// detail is the range test's part of a progress line.
func (r *recorder) detail(*train.State) string {
	if len(r.points) == 0 {
		return ""
	}
	return fmt.Sprintf("lr %.2e  smoothed %.4f", r.lr, r.points[len(r.points)-1].Smoothed)
}
