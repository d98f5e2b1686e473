package train

import (
	"math"
	"testing"
)

// TestOptimizerSteps checks two steps of each optimizer against values
// computed by hand (the formulas of PyTorch's Adam, AdamW and SGD).
func TestOptimizerSteps(t *testing.T) {
	w0, g := float32(1.0), float32(0.5)
	cases := []struct {
		name string
		cfg  OptimizerConfig
		want func() float64
	}{
		{"adam", OptimizerConfig{Name: "adam", LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, func() float64 {
			// With a constant gradient, m̂ = g and v̂ = g², so each step moves lr·g/(|g|+eps).
			return 1 - 2*0.1*0.5/(0.5+1e-8)
		}},
		{"adam-l2", OptimizerConfig{Name: "adam", LR: 0.1, WeightDecay: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, func() float64 {
			w := 1.0
			m, v := 0.0, 0.0
			for t := 1; t <= 2; t++ {
				gk := 0.5 + 0.1*w
				m = 0.9*m + 0.1*gk
				v = 0.999*v + 0.001*gk*gk
				w -= 0.1 * (m / (1 - math.Pow(0.9, float64(t)))) / (math.Sqrt(v/(1-math.Pow(0.999, float64(t)))) + 1e-8)
			}
			return w
		}},
		{"adamw", OptimizerConfig{Name: "adamw", LR: 0.1, WeightDecay: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, func() float64 {
			w := 1.0
			for t := 1; t <= 2; t++ {
				w *= 1 - 0.1*0.1
				w -= 0.1 * 0.5 / (0.5 + 1e-8)
			}
			return w
		}},
		{"sgd-momentum", OptimizerConfig{Name: "sgd", LR: 0.1, Momentum: 0.9, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, func() float64 {
			// v1 = g, v2 = 0.9g + g.
			return 1 - 0.1*0.5 - 0.1*(0.9*0.5+0.5)
		}},
		{"sgd-clipped", OptimizerConfig{Name: "sgd", LR: 0.1, ClipNorm: 0.25, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, func() float64 {
			return 1 - 2*0.1*0.25
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := NewOptimizer(c.cfg, []int{1})
			if err != nil {
				t.Fatal(err)
			}
			w := [][]float32{{w0}}
			for step := 0; step < 2; step++ {
				grads := [][]float32{{g}}
				o.Step(w, grads)
				if grads[0][0] != 0 {
					t.Fatalf("step did not zero the gradient (gorgonia accumulates them): %v", grads[0][0])
				}
			}
			// The optimizers compute in float32, as PyTorch does: a few ulps.
			if want := c.want(); math.Abs(float64(w[0][0])-want) > 5e-6 {
				t.Fatalf("w after 2 steps = %.8f, want %.8f", w[0][0], want)
			}
		})
	}
}

func TestOptimizerStateRoundTrip(t *testing.T) {
	for _, name := range []string{"adam", "adamw", "sgd"} {
		t.Run(name, func(t *testing.T) {
			cfg := OptimizerConfig{Name: name, LR: 0.01, Momentum: 0.5, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
			a, _ := NewOptimizer(cfg, []int{3, 2})
			b, _ := NewOptimizer(cfg, []int{3, 2})
			wa := [][]float32{{1, 2, 3}, {4, 5}}
			for i := 0; i < 3; i++ {
				a.Step(wa, [][]float32{{0.1, -0.2, 0.3}, {float32(i), 1}})
			}
			a.SetLR(0.003)
			if err := b.LoadState(a.State()); err != nil {
				t.Fatal(err)
			}
			wb := [][]float32{append([]float32(nil), wa[0]...), append([]float32(nil), wa[1]...)}
			a.Step(wa, [][]float32{{1, 1, 1}, {1, 1}})
			b.Step(wb, [][]float32{{1, 1, 1}, {1, 1}})
			for i := range wa {
				for k := range wa[i] {
					if wa[i][k] != wb[i][k] {
						t.Fatalf("restored optimizer diverges at [%d][%d]: %v vs %v", i, k, wa[i][k], wb[i][k])
					}
				}
			}
			if b.LR() != 0.003 {
				t.Fatalf("lr %v not restored", b.LR())
			}
			bad := a.State()
			bad.Name = "other"
			if err := b.LoadState(bad); err == nil {
				t.Fatal("loaded another optimizer's state")
			}
		})
	}
}

func TestOptimizerConfigValidate(t *testing.T) {
	base := OptimizerConfig{Name: "adam", LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	cases := []struct {
		name string
		mod  func(*OptimizerConfig)
		want string
	}{
		{"lr", func(c *OptimizerConfig) { c.LR = -1 }, "lr must be > 0, got -1"},
		{"lr nan", func(c *OptimizerConfig) { c.LR = math.NaN() }, "lr must be > 0, got NaN"},
		{"name", func(c *OptimizerConfig) { c.Name = "rmsprop" }, `name must be adam, adamw or sgd, got "rmsprop"`},
		{"momentum", func(c *OptimizerConfig) { c.Momentum = 1 }, "momentum must be in [0, 1), got 1"},
	}
	for _, c := range cases {
		cfg := base
		c.mod(&cfg)
		if err := cfg.Validate(); err == nil || err.Error() != c.want {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}
