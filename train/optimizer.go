package train

import (
	"fmt"
	"math"
	"slices"

	"github.com/practica-ml/practica/internal/setting"
	"github.com/practica-ml/practica/kernels"
)

// OptimizerConfig chooses and tunes an optimizer.
type OptimizerConfig struct {
	// Name is adam, adamw or sgd.
	Name string `yaml:"name" json:"name"`
	// LR is the learning rate.
	LR float64 `yaml:"lr" json:"lr"`
	// WeightDecay is L2 regularization for adam and sgd, decoupled weight
	// decay for adamw.
	WeightDecay float64 `yaml:"weight_decay" json:"weight_decay"`
	// Momentum is sgd's momentum.
	Momentum float64 `yaml:"momentum" json:"momentum"`
	// Beta1, Beta2 and Eps are Adam's constants.
	Beta1 float64 `yaml:"beta1" json:"beta1"`
	Beta2 float64 `yaml:"beta2" json:"beta2"`
	Eps   float64 `yaml:"eps" json:"eps"`
	// ClipNorm clips the global gradient norm when > 0.
	ClipNorm float64 `yaml:"clip_norm" json:"clip_norm"`
}

// Validate reports a configuration that cannot train.
func (c OptimizerConfig) Validate() error {
	if !slices.Contains([]string{"adam", "adamw", "sgd"}, c.Name) {
		return setting.Errorf("name", "must be adam, adamw or sgd, got %q", c.Name)
	}
	if !(c.LR > 0) || math.IsInf(c.LR, 0) {
		return setting.Errorf("lr", "must be > 0, got %v", c.LR)
	}
	if c.WeightDecay < 0 {
		return setting.Errorf("weight_decay", "must be >= 0, got %v", c.WeightDecay)
	}
	if c.Momentum < 0 || c.Momentum >= 1 {
		return setting.Errorf("momentum", "must be in [0, 1), got %v", c.Momentum)
	}
	if c.Beta1 < 0 || c.Beta1 >= 1 || c.Beta2 < 0 || c.Beta2 >= 1 {
		return setting.Errorf("beta1", "and beta2 must be in [0, 1), got %v and %v", c.Beta1, c.Beta2)
	}
	if !(c.Eps > 0) {
		return setting.Errorf("eps", "must be > 0, got %v", c.Eps)
	}
	if c.ClipNorm < 0 {
		return setting.Errorf("clip_norm", "must be >= 0, got %v", c.ClipNorm)
	}
	return nil
}

// Optimizer updates weights in place from their gradients, then zeroes the
// gradients (gorgonia accumulates them across runs).
type Optimizer interface {
	// Step applies one update to every parameter but the frozen ones: a
	// nil params[i] is a frozen parameter (model.Param.Frozen), which
	// keeps its value; its slots (Adam's moments, SGD's velocity) and its
	// count of steps (Adam's bias correction) do not advance, weight decay
	// does not touch it, and its gradient is zeroed and left out of the
	// clipped norm, as PyTorch leaves out a parameter without a gradient.
	Step(params, grads [][]float32)
	// LR and SetLR read and change the learning rate without touching the
	// optimizer's other state.
	LR() float64
	SetLR(lr float64)
	// State exports a copy of the step count and the per-parameter slots
	// (Adam's moments, SGD's velocity) for checkpoints; LoadState restores
	// them.
	State() OptimizerState
	LoadState(OptimizerState) error
}

// OptimizerState is an optimizer's resumable state.
type OptimizerState struct {
	Name string  `json:"name"`
	Step int64   `json:"step"`
	LR   float64 `json:"lr"`
	// ParamSteps are Adam's steps per parameter, which differ from Step
	// once a parameter was frozen for some steps; nil when every
	// parameter took all Step steps (always, for SGD).
	ParamSteps []int64 `json:"param_steps,omitempty"`
	Slots      map[string][][]float32
}

// NewOptimizer builds the configured optimizer for parameters of the given
// sizes.
func NewOptimizer(c OptimizerConfig, sizes []int) (Optimizer, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	alloc := func() [][]float32 {
		s := make([][]float32, len(sizes))
		for i, n := range sizes {
			s[i] = make([]float32, n)
		}
		return s
	}
	switch c.Name {
	case "sgd":
		return &sgd{cfg: c, lr: c.LR, velocity: alloc()}, nil
	default:
		return &adam{cfg: c, lr: c.LR, decoupled: c.Name == "adamw", m: alloc(), v: alloc(), steps: make([]int64, len(sizes))}, nil
	}
}

// clip scales the gradients of the parameters that are not frozen (nil in
// params) so that their global L2 norm is at most max.
func clip(params, grads [][]float32, max float64) {
	if max <= 0 {
		return
	}
	var sq float64
	for i, g := range grads {
		if params[i] == nil {
			continue
		}
		for _, v := range g {
			sq += float64(v) * float64(v)
		}
	}
	norm := math.Sqrt(sq)
	if norm <= max {
		return
	}
	s := float32(max / norm)
	for i, g := range grads {
		if params[i] == nil {
			continue
		}
		for k := range g {
			g[k] *= s
		}
	}
}

type adam struct {
	cfg       OptimizerConfig
	lr        float64
	decoupled bool
	step      int64
	m, v      [][]float32
	// steps counts each parameter's updates, for its bias correction: a
	// parameter frozen for a while starts its moments afresh when
	// released, and is corrected as PyTorch corrects it (by its own count).
	steps []int64
}

func (a *adam) LR() float64      { return a.lr }
func (a *adam) SetLR(lr float64) { a.lr = lr }

func (a *adam) Step(params, grads [][]float32) {
	clip(params, grads, a.cfg.ClipNorm)
	a.step++
	b1, b2 := float32(a.cfg.Beta1), float32(a.cfg.Beta2)
	eps := float32(a.cfg.Eps)
	wd := float32(a.cfg.WeightDecay)
	decay := float32(1 - a.lr*a.cfg.WeightDecay)
	for i, w := range params {
		if w == nil {
			clear(grads[i])
			continue
		}
		a.steps[i]++
		bc1 := 1 - math.Pow(a.cfg.Beta1, float64(a.steps[i]))
		bc2 := 1 - math.Pow(a.cfg.Beta2, float64(a.steps[i]))
		// w -= lr/bc1 * m / (sqrt(v/bc2) + eps), as PyTorch computes it.
		stepSize := float32(a.lr / bc1)
		invSqrtBC2 := float32(1 / math.Sqrt(bc2))
		n := len(w)
		g, m, v := grads[i][:n], a.m[i][:n], a.v[i][:n]
		if a.decoupled && wd > 0 {
			for k := range w {
				w[k] *= decay
			}
		}
		if !a.decoupled && wd > 0 {
			for k := range g {
				g[k] += wd * w[k]
			}
		}
		kernels.AdamUpdate(w, g, m, v, b1, b2, stepSize, invSqrtBC2, eps) // also zeroes g
	}
}

func (a *adam) State() OptimizerState {
	st := OptimizerState{Name: a.cfg.Name, Step: a.step, LR: a.lr, Slots: map[string][][]float32{"m": cloneSlots(a.m), "v": cloneSlots(a.v)}}
	for _, n := range a.steps {
		if n != a.step {
			st.ParamSteps = slices.Clone(a.steps)
			break
		}
	}
	return st
}

func (a *adam) LoadState(s OptimizerState) error {
	if err := checkSlots(s, a.cfg.Name, map[string][][]float32{"m": a.m, "v": a.v}); err != nil {
		return err
	}
	if s.ParamSteps != nil && len(s.ParamSteps) != len(a.steps) {
		return fmt.Errorf("optimizer state counts the steps of %d parameters, want %d", len(s.ParamSteps), len(a.steps))
	}
	for i, n := range s.ParamSteps {
		if n < 0 || n > s.Step {
			return fmt.Errorf("optimizer state: parameter %d took %d steps, out of %d", i, n, s.Step)
		}
	}
	a.step, a.lr = s.Step, s.LR
	for i := range a.steps {
		a.steps[i] = s.Step
		if s.ParamSteps != nil {
			a.steps[i] = s.ParamSteps[i]
		}
	}
	copySlots(a.m, s.Slots["m"])
	copySlots(a.v, s.Slots["v"])
	return nil
}

type sgd struct {
	cfg      OptimizerConfig
	lr       float64
	step     int64
	velocity [][]float32
}

func (o *sgd) LR() float64      { return o.lr }
func (o *sgd) SetLR(lr float64) { o.lr = lr }

func (o *sgd) Step(params, grads [][]float32) {
	clip(params, grads, o.cfg.ClipNorm)
	o.step++
	lr, mu, wd := float32(o.lr), float32(o.cfg.Momentum), float32(o.cfg.WeightDecay)
	for i, w := range params {
		if w == nil {
			clear(grads[i])
			continue
		}
		g, vel := grads[i], o.velocity[i]
		for k := range w {
			gk := g[k] + wd*w[k]
			vel[k] = mu*vel[k] + gk
			w[k] -= lr * vel[k]
			g[k] = 0
		}
	}
}

func (o *sgd) State() OptimizerState {
	return OptimizerState{Name: o.cfg.Name, Step: o.step, LR: o.lr, Slots: map[string][][]float32{"velocity": cloneSlots(o.velocity)}}
}

func (o *sgd) LoadState(s OptimizerState) error {
	if err := checkSlots(s, o.cfg.Name, map[string][][]float32{"velocity": o.velocity}); err != nil {
		return err
	}
	o.step, o.lr = s.Step, s.LR
	copySlots(o.velocity, s.Slots["velocity"])
	return nil
}

func checkSlots(s OptimizerState, name string, want map[string][][]float32) error {
	if s.Name != name {
		return fmt.Errorf("optimizer state is %s's, this run uses %s", s.Name, name)
	}
	for k, w := range want {
		got, ok := s.Slots[k]
		if !ok || len(got) != len(w) {
			return fmt.Errorf("optimizer state lacks slot %s for %d parameters", k, len(w))
		}
		for i := range w {
			if len(got[i]) != len(w[i]) {
				return fmt.Errorf("optimizer slot %s of parameter %d has %d values, want %d", k, i, len(got[i]), len(w[i]))
			}
		}
	}
	return nil
}

func cloneSlots(s [][]float32) [][]float32 {
	out := make([][]float32, len(s))
	for i, v := range s {
		out[i] = append([]float32(nil), v...)
	}
	return out
}

func copySlots(dst, src [][]float32) {
	for i := range dst {
		copy(dst[i], src[i])
	}
}
