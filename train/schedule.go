package train

import (
	"math"
	"slices"

	"github.com/practica-ml/practica/internal/setting"
)

// ScheduleConfig chooses a learning-rate schedule. The optimizer's lr is
// the base (for one-cycle, the peak) rate.
type ScheduleConfig struct {
	// Name is constant, step, cosine, onecycle or plateau.
	Name string `yaml:"name" json:"name"`
	// WarmupEpochs ramps the lr up linearly from 0 (cosine).
	WarmupEpochs float64 `yaml:"warmup_epochs" json:"warmup_epochs"`
	// StepEpochs and Gamma: step multiplies the lr by Gamma every
	// StepEpochs epochs; plateau multiplies it by Gamma (the factor).
	StepEpochs int     `yaml:"step_epochs" json:"step_epochs"`
	Gamma      float64 `yaml:"gamma" json:"gamma"`
	// MinLR is the floor of cosine and plateau.
	MinLR float64 `yaml:"min_lr" json:"min_lr"`
	// Patience is plateau's number of epochs without improvement of the
	// validation loss before the lr drops.
	Patience int `yaml:"patience" json:"patience"`
	// PctStart is the fraction of one-cycle spent rising.
	PctStart float64 `yaml:"pct_start" json:"pct_start"`
}

// DefaultSchedule is a constant learning rate, with the other schedules'
// parameters at their usual values.
func DefaultSchedule() ScheduleConfig {
	return ScheduleConfig{Name: "constant", StepEpochs: 10, Gamma: 0.1, Patience: 3, PctStart: 0.3}
}

// Validate reports a schedule that cannot work. Every key is checked,
// whichever schedule uses it, so that a bad value is never silently ignored.
func (c ScheduleConfig) Validate() error {
	if !slices.Contains([]string{"constant", "step", "cosine", "onecycle", "plateau"}, c.Name) {
		return setting.Errorf("name", "must be constant, step, cosine, onecycle or plateau, got %q", c.Name)
	}
	switch {
	case c.WarmupEpochs < 0:
		return setting.Errorf("warmup_epochs", "must be >= 0, got %v", c.WarmupEpochs)
	case c.StepEpochs < 1:
		return setting.Errorf("step_epochs", "must be >= 1, got %d", c.StepEpochs)
	case !(c.Gamma > 0 && c.Gamma < 1):
		return setting.Errorf("gamma", "must be in (0, 1), got %v", c.Gamma)
	case c.MinLR < 0:
		return setting.Errorf("min_lr", "must be >= 0, got %v", c.MinLR)
	case c.Patience < 1:
		return setting.Errorf("patience", "must be >= 1, got %d", c.Patience)
	case !(c.PctStart > 0 && c.PctStart < 1):
		return setting.Errorf("pct_start", "must be in (0, 1), got %v", c.PctStart)
	}
	return nil
}

// Schedule sets the learning rate before every step as a function of the
// step, the run's length and the finished epochs' metrics only, so that a
// resumed run gets the same rates.
type Schedule struct {
	NopHook
	Config ScheduleConfig
	// Base is the configured learning rate.
	Base float64
}

// LR is the rate for the given 0-based step.
func (sc Schedule) LR(step int64, stepsPerEpoch, epochs int, history []EpochMetrics) float64 {
	c, base := sc.Config, sc.Base
	total := float64(stepsPerEpoch * epochs)
	t := float64(step)
	switch c.Name {
	case "step":
		epoch := int(step) / max(stepsPerEpoch, 1)
		return base * math.Pow(c.Gamma, float64(epoch/c.StepEpochs))
	case "cosine":
		warm := c.WarmupEpochs * float64(stepsPerEpoch)
		if t < warm {
			return base * (t + 1) / warm
		}
		progress := (t - warm) / math.Max(total-warm, 1)
		return c.MinLR + (base-c.MinLR)*0.5*(1+math.Cos(math.Pi*math.Min(progress, 1)))
	case "onecycle":
		// PyTorch's OneCycleLR with cosine annealing: from base/25 up to
		// base, then down to base/(25·1e4).
		initial, final := base/25, base/25/1e4
		up := c.PctStart*total - 1
		if t <= up {
			return cosineBetween(initial, base, t/math.Max(up, 1))
		}
		return cosineBetween(base, final, math.Min((t-up)/math.Max(total-1-up, 1), 1))
	case "plateau":
		return plateauLR(base, c, history)
	default:
		return base
	}
}

func cosineBetween(from, to, frac float64) float64 {
	return to + (from-to)*0.5*(1+math.Cos(math.Pi*frac))
}

// plateauLR replays the history: after Patience epochs without a lower
// validation loss the rate is multiplied by Gamma (not below MinLR) and the
// wait starts again.
func plateauLR(base float64, c ScheduleConfig, history []EpochMetrics) float64 {
	lr, best, wait := base, math.Inf(1), 0
	for _, m := range history {
		if m.ValLoss < best {
			best, wait = m.ValLoss, 0
			continue
		}
		wait++
		if wait >= c.Patience {
			lr, wait = math.Max(lr*c.Gamma, c.MinLR), 0
		}
	}
	return lr
}

// BeforeStep implements Hook.
func (sc Schedule) BeforeStep(s *State) error {
	s.Optimizer.SetLR(sc.LR(s.Step, s.StepsPerEpoch, s.Epochs, s.History))
	return nil
}
