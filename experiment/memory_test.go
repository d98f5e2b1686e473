package experiment

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/feasibility"
	"github.com/practica-ml/practica/internal/setting"
	"github.com/practica-ml/practica/lrsweep"
)

// TestMemoryLimit: an experiment whose estimated memory passes
// Options.MaxMemory is refused before its model is built, naming the key
// that sizes most of it, and no run directory is made; one under the limit
// runs. Every size here passes config validation: the refusal is what
// stands between them and the Go runtime's "out of memory".
func TestMemoryLimit(t *testing.T) {
	const gib = 1 << 30
	cases := []struct {
		name  string
		edit  func(*config.Experiment)
		limit int64
		key   string // "" when the run must go ahead
		want  []string
	}{
		// 4,299,948,042 parameters: 16 GiB for the weights alone, 161 GiB
		// with gradients, Adam's moments and a checkpoint.
		{"hidden at Validate's cap", func(c *config.Experiment) { c.Model.Arch, c.Model.Hidden = "mlp", []int{65536, 65536} }, 18 * gib, "model.hidden",
			[]string{"model.hidden [65536 65536] needs about 161 GiB for training (parameters 16.0 GiB, gradients 16.0 GiB, Adam state 32.0 GiB, activations 384 MiB at batch 128",
				"the limit is 18.0 GiB (--max-memory)"}},
		{"channels", func(c *config.Experiment) { c.Model.Channels = []int{4096, 4096} }, 2 * gib, "model.channels",
			[]string{"model.channels [4096 4096] needs about 7.0 GiB for training", "the limit is 2.0 GiB (--max-memory)"}},
		{"sgd keeps one slot", func(c *config.Experiment) {
			c.Model.Arch, c.Model.Hidden, c.Optimizer.Name = "mlp", []int{65536, 65536}, "sgd"
		}, 18 * gib, "model.hidden", []string{"SGD velocity 16.0 GiB"}},
		{"the default cnn", func(*config.Experiment) {}, 18 * gib, "", nil},
		{"no limit", func(c *config.Experiment) { c.Model.Arch, c.Model.Hidden = "mlp", []int{4096} }, 0, "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.Training.Epochs = 1
			cfg.Calibration.Calibrate = false
			cfg.Output.Root = t.TempDir() + "/runs"
			c.edit(&cfg)
			sum, err := Train(context.Background(), cfg, Options{MaxMemory: c.limit, MaxMemoryFrom: "--max-memory"})
			if c.key == "" {
				if err != nil || sum == nil {
					t.Fatalf("refused under the limit: %v", err)
				}
				return
			}
			var se *setting.Error
			if !errors.As(err, &se) || se.Key != c.key {
				t.Fatalf("error %v, want one naming %s", err, c.key)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
			if _, serr := os.Stat(cfg.Output.Root); serr == nil {
				t.Errorf("a run directory root was made for a refused experiment")
			}
		})
	}
}

// TestMemoryLimitEveryMode: the sweep, the feasibility tests and a resumed
// run check the limit as training does.
func TestMemoryLimitEveryMode(t *testing.T) {
	huge := config.Default()
	huge.Model.Arch, huge.Model.Hidden = "mlp", []int{65536, 65536}
	huge.Output.Root = t.TempDir()
	opt := Options{MaxMemory: 1 << 30}
	sc := lrsweep.DefaultConfig()
	if _, err := Sweep(context.Background(), huge, sc, opt); err == nil || !strings.Contains(err.Error(), "model.hidden [65536 65536] needs about") {
		t.Errorf("sweep: %v", err)
	}
	if _, _, err := TrainLRAuto(context.Background(), huge, sc, opt); err == nil || !strings.Contains(err.Error(), "model.hidden [65536 65536] needs about") {
		t.Errorf("lr auto: %v", err)
	}
	if _, err := Feasibility(context.Background(), huge, feasibility.Options{OverfitOne: true}, opt); err == nil || !strings.Contains(err.Error(), "model.hidden [65536 65536] needs about") {
		t.Errorf("feasibility: %v", err)
	}

	// A run that fits resumed on a machine that is smaller: the limit is
	// the process's, not the run's.
	small := config.Default()
	small.Model.Arch, small.Model.Hidden = "mlp", []int{32}
	small.Training.Epochs = 1
	small.Calibration.Calibrate = false
	small.Output.Root = t.TempDir()
	sum, err := Train(context.Background(), small, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Resume(context.Background(), sum.RunDir, Epochs(2), Options{MaxMemory: 100_000}); err == nil || !strings.Contains(err.Error(), "model.hidden [32] needs about") {
		t.Errorf("resume: %v", err)
	}
}
