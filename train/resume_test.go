package train

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/practica-ml/practica/model"
)

// TestResumeMidEpoch interrupts a run in the middle of its second epoch,
// resumes it from last.ckpt into a fresh model and optimizer, and checks
// that metrics and final weights equal those of an uninterrupted run.
func TestResumeMidEpoch(t *testing.T) {
	sp := digitsSplits(t)
	spec := model.Spec{Arch: model.CNN, Channels: []int{4}, Hidden: []int{16}, Dropout: 0.3, BatchNorm: true}
	setup := func() *Loop {
		l := newLoop(t, sp, spec, 3, adamConfig(3e-3))
		l.Augment.Shift = 1
		return l
	}
	zero := func(h []EpochMetrics) string {
		h = append([]EpochMetrics(nil), h...)
		for i := range h {
			h[i].Seconds, h[i].StepSeconds = 0, 0
		}
		return FormatMetrics(h)
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
	res, err := first.Run(ctx)
	if err != nil || res.StopReason != StopInterrupted || len(res.History) != 1 {
		t.Fatalf("interrupted run: %v, %q after %d epochs", err, res.StopReason, len(res.History))
	}

	second := setup()
	c, err := model.LoadCheckpoint(last)
	if err != nil {
		t.Fatal(err)
	}
	if err := second.Model.SetTensors(c.Tensors); err != nil {
		t.Fatal(err)
	}
	rs, err := Restore(c, second.Model, second.Optimizer)
	if err != nil {
		t.Fatal(err)
	}
	if rs.Position == nil || int64(rs.Position.StepInEpoch) != 30-want.History[0].Step {
		t.Fatalf("position %+v, want step %d of epoch 2", rs.Position, 30-want.History[0].Step)
	}
	second.History, second.Step, second.Position = rs.History, rs.Step, rs.Position
	got, err := second.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if zero(got.History) != zero(want.History) {
		t.Fatalf("resumed metrics differ:\n%s\nwant\n%s", zero(got.History), zero(want.History))
	}
	a, b := straight.Model.Tensors(), second.Model.Tensors()
	for i := range a {
		for k := range a[i].Data {
			if math.Float32bits(a[i].Data[k]) != math.Float32bits(b[i].Data[k]) {
				t.Fatalf("%s[%d] differs after resuming", a[i].Name, k)
			}
		}
	}
}
