package train

import (
	"math"
	"testing"
)

// TestScheduleSequences checks the per-step learning rates of each schedule
// against values computed by hand (2 epochs of 2 steps, base rate 1).
func TestScheduleSequences(t *testing.T) {
	cases := []struct {
		name string
		cfg  ScheduleConfig
		want []float64
	}{
		{"constant", ScheduleConfig{Name: "constant"}, []float64{1, 1, 1, 1}},
		{"step", ScheduleConfig{Name: "step", StepEpochs: 1, Gamma: 0.1}, []float64{1, 1, 0.1, 0.1}},
		{"cosine", ScheduleConfig{Name: "cosine"}, []float64{1, 0.5 * (1 + math.Cos(math.Pi/4)), 0.5, 0.5 * (1 + math.Cos(3*math.Pi/4))}},
		{"cosine-warmup-min", ScheduleConfig{Name: "cosine", WarmupEpochs: 1, MinLR: 0.2}, []float64{0.5, 1, 1, 0.6}},
		{"onecycle", ScheduleConfig{Name: "onecycle", PctStart: 0.5}, []float64{0.04, 1, 4e-6 + (1-4e-6)*0.5, 4e-6}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc := Schedule{Config: c.cfg, Base: 1}
			for step, want := range c.want {
				if got := sc.LR(int64(step), 2, 2, nil); math.Abs(got-want) > 1e-12 {
					t.Errorf("step %d: lr %.12g, want %.12g", step, got, want)
				}
			}
		})
	}
}

func TestPlateauSchedule(t *testing.T) {
	sc := Schedule{Config: ScheduleConfig{Name: "plateau", Patience: 2, Gamma: 0.5, MinLR: 0.1}, Base: 1}
	losses := []float64{1, 0.9, 0.95, 0.96, 0.97, 0.99, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9}
	want := []float64{1, 1, 1, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125, 0.1, 0.1, 0.1}
	var h []EpochMetrics
	for i, l := range losses {
		h = append(h, EpochMetrics{Epoch: i + 1, ValLoss: l})
		if got := sc.LR(0, 1, 1, h); math.Abs(got-want[i]) > 1e-12 {
			t.Errorf("after epoch %d: lr %v, want %v", i+1, got, want[i])
		}
	}
}

func TestScheduleValidate(t *testing.T) {
	bad := []ScheduleConfig{{Name: "linear"}, {Name: "step", StepEpochs: 0, Gamma: 0.1}, {Name: "plateau", Gamma: 2, Patience: 1}, {Name: "onecycle", PctStart: 1}}
	for _, c := range bad {
		if c.Validate() == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if err := DefaultSchedule().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestEarlyStoppingDecide(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	loss := func(vs ...float64) []EpochMetrics {
		var h []EpochMetrics
		for i, v := range vs {
			h = append(h, EpochMetrics{Epoch: i + 1, ValLoss: v, ValAccuracy: 1 - v})
		}
		return h
	}
	cases := []struct {
		name string
		es   EarlyStopping
		h    []EpochMetrics
		want string
	}{
		{"improving", EarlyStopping{Monitor: "val_loss", Patience: 2}, loss(1, 0.9, 0.8), ""},
		{"patience reached", EarlyStopping{Monitor: "val_loss", Patience: 2}, loss(1, 0.9, 0.95, 0.91), StopPatience},
		{"one short", EarlyStopping{Monitor: "val_loss", Patience: 3}, loss(1, 0.9, 0.95, 0.91), ""},
		{"min delta", EarlyStopping{Monitor: "val_loss", Patience: 2, MinDelta: 0.05}, loss(1, 0.97, 0.96), StopPatience},
		{"accuracy", EarlyStopping{Monitor: "val_accuracy", Patience: 1}, loss(0.5, 0.4, 0.45), StopPatience},
		{"baseline not beaten", EarlyStopping{Monitor: "val_loss", Patience: 2, Baseline: f(0.5)}, loss(1, 0.9), StopPatience},
		{"baseline beaten", EarlyStopping{Monitor: "val_loss", Patience: 2, Baseline: f(0.95)}, loss(1, 0.9), ""},
		{"diverged", EarlyStopping{Monitor: "val_loss", Patience: 5, DivergenceThreshold: f(3)}, loss(1, 4), StopDiverged},
		{"non-finite", EarlyStopping{Monitor: "val_loss", Patience: 5}, loss(1, math.NaN()), StopNonFinite},
	}
	for _, c := range cases {
		if got := c.es.Decide(c.h); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
