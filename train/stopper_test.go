package train

import (
	"context"
	"slices"
	"testing"

	"github.com/practica-ml/practica/model"
)

// TestStopperDecidesBeforeAnEpochStarts: a loop resumed with a history
// that early stopping has already ended (here after an interrupt at the
// start of the next epoch, and with a patience lowered on resume) trains
// no further: no step, the weights as they were, the steps of the last
// finished epoch, the stop reason of early stopping. Without early
// stopping the same loop goes on.
func TestStopperDecidesBeforeAnEpochStarts(t *testing.T) {
	sp := digitsSplits(t)
	spec := model.Spec{Arch: model.MLP, Hidden: []int{16}}
	// Epoch 2 does not improve on epoch 1 by 10: patience 1 has run out.
	history := []EpochMetrics{{Epoch: 1, Step: 12, ValLoss: 1}, {Epoch: 2, Step: 24, ValLoss: 0.9}}
	cases := []struct {
		name      string
		hooks     []Hook
		position  *Position
		wantStop  string
		wantSteps int64
	}{
		{"early stopping, at an epoch's end", []Hook{EarlyStopping{Monitor: "val_loss", Patience: 1, MinDelta: 10}}, nil, StopPatience, 24},
		{"early stopping, interrupted into the next epoch", []Hook{EarlyStopping{Monitor: "val_loss", Patience: 1, MinDelta: 10}}, &Position{StepInEpoch: 5, LossSum: 10, LossCount: 320}, StopPatience, 24},
		// The rest of epoch 3: 18 of its 23 steps (the digits training split in batches of 64).
		{"no early stopping", nil, &Position{StepInEpoch: 5, LossSum: 10, LossCount: 320}, StopMaxEpochs, 29 + 18},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := newLoop(t, sp, spec, 3, adamConfig(1e-3))
			l.Hooks, l.History, l.Position = c.hooks, history, c.position
			l.Step = 24
			if c.position != nil {
				l.Step += int64(c.position.StepInEpoch)
			}
			before := l.Model.Tensors()
			res, err := l.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if res.StopReason != c.wantStop || res.Steps != c.wantSteps {
				t.Fatalf("stopped by %q after %d steps, want %q after %d", res.StopReason, res.Steps, c.wantStop, c.wantSteps)
			}
			trained := !slices.EqualFunc(before, l.Model.Tensors(), func(a, b model.Tensor) bool { return slices.Equal(a.Data, b.Data) })
			if trained != (c.wantStop == StopMaxEpochs) || len(res.History) != 2+btoi(trained) {
				t.Errorf("trained %v, %d epochs", trained, len(res.History))
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
