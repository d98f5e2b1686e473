package train

import (
	"fmt"
	"math"

	"github.com/practica-ml/practica/model"
)

// Hook observes a Loop and may steer it: set the learning rate before a
// step, record a step's loss, stop training (by setting State.Stop), save
// state after an epoch or when training stops early. Every hook of a loop
// gets every call, in the order of Loop.Hooks. Embed NopHook to implement
// only the calls a hook needs.
type Hook interface {
	// BeforeStep runs before every optimizer step (learning-rate schedules).
	BeforeStep(s *State) error
	// AfterStep runs after every optimizer step with the batch's
	// training-mode loss (progress, the range test, weight guards, stop
	// conditions).
	AfterStep(s *State, loss float64) error
	// AfterEpoch runs once the epoch's metrics are in s.History
	// (checkpoints, early stopping, metrics files).
	AfterEpoch(s *State) error
	// OnStop runs once when training ends early for a reason other than an
	// error: an interrupt, or a hook's State.Stop.
	OnStop(s *State, reason string) error
}

// A Stopper is a hook whose decision to stop rests on the finished
// epochs alone (early stopping). The loop asks it before every epoch, the
// first of a resumed run included, so that no epoch starts that its
// decision has already ruled out, whatever the run was doing when it
// was interrupted or killed.
type Stopper interface {
	// Decide returns the stop reason after history, or "".
	Decide(history []EpochMetrics) string
}

// NopHook implements every Hook call as doing nothing; embed it.
type NopHook struct{}

// BeforeStep implements Hook.
func (NopHook) BeforeStep(*State) error { return nil }

// AfterStep implements Hook.
func (NopHook) AfterStep(*State, float64) error { return nil }

// AfterEpoch implements Hook.
func (NopHook) AfterEpoch(*State) error { return nil }

// OnStop implements Hook.
func (NopHook) OnStop(*State, string) error { return nil }

// WeightLimit is the largest weight magnitude the WeightGuard lets training
// go on with. Beyond it float32 activations and their squares (batch norm's
// variance) overflow within a step or two; stopping first gives a clear
// verdict instead of a cascade of NaNs.
const WeightLimit = 1e8

// WeightError reports a learnable weight that is not finite or beyond
// WeightLimit after an optimizer step.
type WeightError struct {
	Param string
	Value float32
	// Step is the global optimizer step after which it was found.
	Step int64
}

func (e *WeightError) Error() string {
	if math.IsNaN(float64(e.Value)) || math.IsInf(float64(e.Value), 0) {
		return fmt.Sprintf("weight %s became %v", e.Param, e.Value)
	}
	return fmt.Sprintf("weight %s reached %.3g, beyond %g", e.Param, e.Value, WeightLimit)
}

// CheckWeights returns a *WeightError for the first learnable weight of m
// that is NaN, infinite or beyond WeightLimit in magnitude, and nil when
// every weight is in range.
func CheckWeights(m *model.Model, step int64) error {
	for _, p := range m.Learnables() {
		for _, v := range p.Float32s() {
			if !(math.Abs(float64(v)) <= WeightLimit) { // NaN fails too
				return &WeightError{Param: p.Name, Value: v, Step: step}
			}
		}
	}
	return nil
}

// WeightGuard ends training with a *WeightError as soon as a step leaves a
// weight non-finite or beyond WeightLimit: the loops that push a model on
// purpose (the overfit tests, the learning-rate grid) use it.
type WeightGuard struct{ NopHook }

// AfterStep implements Hook.
func (WeightGuard) AfterStep(s *State, _ float64) error { return CheckWeights(s.Model, s.Step) }
