package train

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/practica-ml/practica/model"
)

// TestOptimizerSkipsFrozen steps two parameters, the first frozen (nil)
// for three steps and then released. While frozen it keeps its value bit
// for bit and its gradient is zeroed; the other parameter moves exactly as
// it would under an optimizer of its own (the frozen one's gradient is out
// of the clipped norm, weight decay does not reach it). Once released, it
// moves exactly as under a fresh optimizer: its moments and Adam's bias
// correction start from its first update, as PyTorch's per-parameter
// state does.
func TestOptimizerSkipsFrozen(t *testing.T) {
	cases := []struct {
		name string
		cfg  OptimizerConfig
	}{
		{"adam", OptimizerConfig{Name: "adam", LR: 0.05, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}},
		{"adam-l2", OptimizerConfig{Name: "adam", LR: 0.05, WeightDecay: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}},
		{"adamw", OptimizerConfig{Name: "adamw", LR: 0.05, WeightDecay: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}},
		{"sgd", OptimizerConfig{Name: "sgd", LR: 0.05, Momentum: 0.9, WeightDecay: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}},
		{"adam-clipped", OptimizerConfig{Name: "adam", LR: 0.05, ClipNorm: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}},
	}
	grad := func(step, param int) []float32 {
		return []float32{float32(step+1) * 0.3, -0.2 * float32(param+1), float32(step%2) - 0.4}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			both, err := NewOptimizer(c.cfg, []int{3, 3})
			if err != nil {
				t.Fatal(err)
			}
			alone, _ := NewOptimizer(c.cfg, []int{3}) // the second parameter's own optimizer
			fresh, _ := NewOptimizer(c.cfg, []int{3}) // the first's, from its release
			w := [][]float32{{1, -2, 0.5}, {0.25, 3, -1}}
			w0 := slices.Clone(w[0])
			wAlone := [][]float32{slices.Clone(w[1])}
			for step := range 3 {
				grads := [][]float32{grad(step, 0), grad(step, 1)}
				both.Step([][]float32{nil, w[1]}, grads)
				alone.Step(wAlone, [][]float32{grad(step, 1)})
				if !sameBits(w[0], w0) {
					t.Fatalf("step %d: the frozen parameter moved: %v, was %v", step+1, w[0], w0)
				}
				if slices.ContainsFunc(grads[0], func(v float32) bool { return v != 0 }) {
					t.Fatalf("step %d: the frozen parameter's gradient was not zeroed: %v", step+1, grads[0])
				}
				if !sameBits(w[1], wAlone[0]) {
					t.Fatalf("step %d: the trained parameter %v, alone %v", step+1, w[1], wAlone[0])
				}
			}
			st := both.State()
			if c.cfg.Name != "sgd" && !slices.Equal(st.ParamSteps, []int64{0, 3}) {
				t.Fatalf("param_steps %v, want [0 3]", st.ParamSteps)
			}
			if c.cfg.ClipNorm > 0 {
				return // released, both share one norm: no optimizer of its own to compare with
			}
			wFresh := [][]float32{slices.Clone(w[0])}
			for step := 3; step < 6; step++ {
				both.Step(w, [][]float32{grad(step, 0), grad(step, 1)})
				fresh.Step(wFresh, [][]float32{grad(step, 0)})
				if !sameBits(w[0], wFresh[0]) {
					t.Fatalf("step %d: the released parameter %v, under a fresh optimizer %v", step+1, w[0], wFresh[0])
				}
			}
			if slices.Equal(w0, w[0]) {
				t.Fatal("the released parameter never moved")
			}
		})
	}
}

// TestOptimizerStateKeepsParamSteps: the per-parameter step counts of a
// partly frozen Adam survive State and LoadState (and are absent when
// every parameter took every step, so that checkpoints of runs without
// frozen parameters keep their bytes); a count beyond the steps is refused.
func TestOptimizerStateKeepsParamSteps(t *testing.T) {
	cfg := adamConfig(0.01)
	a, _ := NewOptimizer(cfg, []int{2, 2})
	wa := [][]float32{{1, 2}, {3, 4}}
	a.Step(wa, [][]float32{{1, 1}, {1, 1}})
	if st := a.State(); st.ParamSteps != nil {
		t.Fatalf("no parameter frozen, yet param_steps %v", st.ParamSteps)
	}
	a.Step([][]float32{nil, wa[1]}, [][]float32{{1, 1}, {1, 1}})
	st := a.State()
	if !slices.Equal(st.ParamSteps, []int64{1, 2}) {
		t.Fatalf("param_steps %v, want [1 2]", st.ParamSteps)
	}
	b, _ := NewOptimizer(cfg, []int{2, 2})
	if err := b.LoadState(st); err != nil {
		t.Fatal(err)
	}
	wb := [][]float32{slices.Clone(wa[0]), slices.Clone(wa[1])}
	a.Step(wa, [][]float32{{0.5, -1}, {2, 1}})
	b.Step(wb, [][]float32{{0.5, -1}, {2, 1}})
	if !sameBits(wa[0], wb[0]) || !sameBits(wa[1], wb[1]) {
		t.Fatalf("restored optimizer diverges: %v vs %v", wa, wb)
	}
	bad := a.State()
	bad.ParamSteps = []int64{9, 3}
	if err := b.LoadState(bad); err == nil || !strings.Contains(err.Error(), "took 9 steps, out of 3") {
		t.Fatalf("a count beyond the steps: %v", err)
	}
}

// snapshotHook keeps a copy of every tensor of the model after each epoch.
type snapshotHook struct {
	NopHook
	epochs [][]model.Tensor
}

func (h *snapshotHook) AfterEpoch(s *State) error {
	h.epochs = append(h.epochs, s.Model.Tensors())
	return nil
}

// TestLoopFreezesUntilUnfreezeAt trains a CNN with batch norm on the
// digits with conv0 and bn0 frozen until epoch 3: after epochs 1 and 2
// their weights and bn0's running statistics are bit-identical to the
// initial ones while every other parameter changed in each epoch; in
// epoch 3 they change too.
func TestLoopFreezesUntilUnfreezeAt(t *testing.T) {
	sp := digitsSplits(t)
	l := newLoop(t, sp, model.Spec{Arch: model.CNN, Channels: []int{4, 8}, Hidden: []int{16}, BatchNorm: true}, 3, adamConfig(3e-3))
	l.Freeze, l.UnfreezeAt = []string{"conv0", "bn0"}, 3
	rec := &snapshotHook{}
	l.Hooks = []Hook{rec}
	initial := l.Model.Tensors()
	if _, err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	frozen := []string{"conv0.weight", "bn0.scale", "bn0.shift", "bn0.running_mean", "bn0.running_var"}
	prev := initial
	for e, ts := range rec.epochs {
		for i, tn := range ts {
			same := sameBits(tn.Data, prev[i].Data)
			wantSame := e+1 < 3 && slices.Contains(frozen, tn.Name)
			if same != wantSame {
				t.Errorf("epoch %d: %s unchanged %v, want %v", e+1, tn.Name, same, wantSame)
			}
		}
		prev = ts
	}
	if len(rec.epochs) != 3 {
		t.Fatalf("%d epochs", len(rec.epochs))
	}
	for _, p := range l.Model.Params() {
		if p.Frozen {
			t.Errorf("%s still frozen after epoch 3", p.Name)
		}
	}
}

// TestResumeAcrossUnfreeze interrupts a run with conv0 frozen until epoch
// 3 in the middle of epoch 2, resumes it from last.ckpt into a fresh
// model and optimizer (which freeze nothing by themselves), and checks
// that it ends with the weights of an uninterrupted run, bit for bit: the
// loop freezes by the epoch, and Adam's per-parameter steps come back from
// the checkpoint.
func TestResumeAcrossUnfreeze(t *testing.T) {
	sp := digitsSplits(t)
	spec := model.Spec{Arch: model.CNN, Channels: []int{4}, Hidden: []int{16}, BatchNorm: true}
	setup := func() *Loop {
		l := newLoop(t, sp, spec, 4, adamConfig(3e-3))
		l.Freeze, l.UnfreezeAt = []string{"conv0"}, 3
		return l
	}
	straight := setup()
	want, err := straight.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	last := filepath.Join(dir, "last.ckpt")
	first := setup()
	ctx, cancel := context.WithCancel(context.Background())
	first.Hooks = []Hook{&Checkpointer{LastPath: last, BestPath: filepath.Join(dir, "best.ckpt"), Seed: first.Seed}, cancelAt{step: 30, cancel: cancel}}
	if res, err := first.Run(ctx); err != nil || res.StopReason != StopInterrupted {
		t.Fatalf("interrupted run: %v, %q", err, res.StopReason)
	}
	c, err := model.LoadCheckpoint(last)
	if err != nil {
		t.Fatal(err)
	}
	var rs ResumeState
	if err := json.Unmarshal(c.State, &rs); err != nil {
		t.Fatal(err)
	}
	// conv0.weight (the first learnable) took no step; bn0 and the rest
	// took all 30.
	if len(rs.Optimizer.ParamSteps) == 0 || rs.Optimizer.ParamSteps[0] != 0 || rs.Optimizer.ParamSteps[1] != 30 {
		t.Fatalf("param_steps in last.ckpt: %v", rs.Optimizer.ParamSteps)
	}
	second := setup()
	if err := second.Model.SetTensors(c.Tensors); err != nil {
		t.Fatal(err)
	}
	if rs, err = Restore(c, second.Model, second.Optimizer); err != nil {
		t.Fatal(err)
	}
	second.History, second.Step, second.Position = rs.History, rs.Step, rs.Position
	got, err := second.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.History) != 4 || got.History[3].ValLoss != want.History[3].ValLoss {
		t.Fatalf("resumed run: %d epochs, last val_loss %v, want %v", len(got.History), got.History[len(got.History)-1].ValLoss, want.History[3].ValLoss)
	}
	a, b := straight.Model.Tensors(), second.Model.Tensors()
	for i := range a {
		if !sameBits(a[i].Data, b[i].Data) {
			t.Fatalf("%s differs after resuming", a[i].Name)
		}
	}
}

// sameBits compares float32 slices bit for bit.
func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}
