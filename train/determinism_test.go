package train

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/practica-ml/practica/model"
)

// TestDeterminism trains twice with the same seed and config: every metric
// but the wall time, and the checkpoint bytes, must be identical.
func TestDeterminism(t *testing.T) {
	sp := digitsSplits(t)
	spec := model.Spec{Arch: model.CNN, Channels: []int{4}, Hidden: []int{16}, Dropout: 0.3, BatchNorm: true}
	var metrics []string
	var ckpts [][]byte
	for run := 0; run < 2; run++ {
		dir := t.TempDir()
		l := newLoop(t, sp, spec, 2, adamConfig(3e-3))
		l.Augment.Shift, l.Augment.Noise = 1, 0.1
		l.Hooks = []Hook{&Checkpointer{LastPath: filepath.Join(dir, "last.ckpt"), BestPath: filepath.Join(dir, "best.ckpt"), Seed: l.Seed}}
		res, err := l.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for i := range res.History {
			res.History[i].Seconds, res.History[i].StepSeconds = 0, 0
		}
		metrics = append(metrics, FormatMetrics(res.History))
		b, err := os.ReadFile(filepath.Join(dir, "last.ckpt"))
		if err != nil {
			t.Fatal(err)
		}
		ckpts = append(ckpts, b)
	}
	if metrics[0] != metrics[1] {
		t.Fatalf("metrics differ between identical runs:\n%s\n%s", metrics[0], metrics[1])
	}
	if !bytes.Equal(ckpts[0], ckpts[1]) {
		t.Fatal("checkpoint bytes differ between identical runs")
	}
}

// lrBomb sets an absurd learning rate from a given epoch on, so that the
// loss blows up mid-run.
type lrBomb struct {
	NopHook
	epoch int
}

func (h lrBomb) BeforeStep(s *State) error {
	if s.Epoch >= h.epoch {
		s.Optimizer.SetLR(1e12)
	}
	return nil
}

// TestNonFiniteLossStops checks that a NaN or Inf loss stops training at
// once with an error naming the step, and that the last good checkpoint
// (of the epoch before) stays loadable with finite weights.
func TestNonFiniteLossStops(t *testing.T) {
	sp := digitsSplits(t)
	dir := t.TempDir()
	l := newLoop(t, sp, model.Spec{Arch: model.MLP}, 5, OptimizerConfig{Name: "sgd", LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
	last := filepath.Join(dir, "last.ckpt")
	l.Hooks = []Hook{lrBomb{epoch: 2}, &Checkpointer{LastPath: last, BestPath: filepath.Join(dir, "best.ckpt")}}
	res, err := l.Run(context.Background())
	var nf *NonFiniteError
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v, want a NonFiniteError", err)
	}
	if res.StopReason != StopNonFinite || nf.Epoch != 2 || len(res.History) != 1 {
		t.Fatalf("stop %q at epoch %d after %d epochs; want non-finite in epoch 2 after 1", res.StopReason, nf.Epoch, len(res.History))
	}
	if !strings.Contains(err.Error(), "step") || !strings.Contains(err.Error(), "epoch 2") {
		t.Fatalf("message does not name the step: %v", err)
	}
	c, err := model.LoadCheckpoint(last)
	if err != nil {
		t.Fatal(err)
	}
	for _, tn := range c.Tensors {
		for _, v := range tn.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("last checkpoint holds a non-finite %s", tn.Name)
			}
		}
	}
}

// TestInterruptStopsAfterStep cancels the context: the loop stops with the
// reason interrupted.
func TestInterruptStopsAfterStep(t *testing.T) {
	sp := digitsSplits(t)
	l := newLoop(t, sp, model.Spec{Arch: model.Linear}, 3, adamConfig(1e-2))
	ctx, cancel := context.WithCancel(context.Background())
	l.Hooks = []Hook{cancelAt{step: 5, cancel: cancel}}
	res, err := l.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.StopReason != StopInterrupted || res.Steps != 5 {
		t.Fatalf("stop %q after %d steps, want interrupted after 5", res.StopReason, res.Steps)
	}
}

type cancelAt struct {
	NopHook
	step   int64
	cancel func()
}

func (h cancelAt) AfterStep(s *State, _ float64) error {
	if s.Step == h.step {
		h.cancel()
	}
	return nil
}

// TestHugeLRDoesNotCrash guards kernels.MaxPool2x2, which replaces
// gorgonia's max-pool: its gradient panics in gorgonia's own goroutine
// (killing the process) once activations hold NaN. A diverging CNN must
// end with a non-finite stop instead.
func TestHugeLRDoesNotCrash(t *testing.T) {
	sp := digitsSplits(t)
	for _, name := range []string{"adam", "sgd"} {
		l := newLoop(t, sp, model.Spec{Arch: model.CNN, Channels: []int{4}, Hidden: []int{8}}, 2, OptimizerConfig{Name: name, LR: 1e20, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
		res, err := l.Run(context.Background())
		var nf *NonFiniteError
		if !errors.As(err, &nf) || res.StopReason != StopNonFinite {
			t.Fatalf("%s: err %v, stop %q; want a non-finite stop", name, err, res.StopReason)
		}
		t.Logf("%s: %v", name, err)
	}
}
