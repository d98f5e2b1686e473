package lrsweep

import (
	"errors"
	"math"

	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/train"
)

// WeightLimit is the largest weight magnitude a sweep lets training go on
// with. Beyond it float32 activations and their squares (batch norm's
// variance) overflow within a step or two, and a NaN that reaches a
// max-pool makes gorgonia's gradient index out of range inside its own
// goroutine, which no recover can catch: the process dies. The range test
// pushes the learning rate far on purpose, so it stops first.
const WeightLimit = 1e8

// errBlownUp ends a loop whose weights left the safe range.
var errBlownUp = errors.New("the weights are no longer finite (or beyond 1e8): the learning rate is too high")

// blownUp reports a learnable weight that is not finite or exceeds
// WeightLimit in magnitude.
func blownUp(m *model.Model) bool {
	for _, p := range m.Learnables() {
		for _, v := range p.Float32s() {
			if !(math.Abs(float64(v)) <= WeightLimit) { // NaN fails too
				return true
			}
		}
	}
	return false
}

// weightGuard stops a grid run whose weights blew up.
type weightGuard struct{}

// AfterStep implements train.StepEndHook.
func (weightGuard) AfterStep(s *train.State, _ float64) error {
	if blownUp(s.Model) {
		return errBlownUp
	}
	return nil
}
