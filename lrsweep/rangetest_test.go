package lrsweep

import (
	"context"
	"math"
	"testing"

	"github.com/practica-ml/practica/model"
)

// TestRangeTestRestoresExactly: after a range test (one that completes, one
// that diverges and one whose loss stops being finite) the weights,
// batch-norm statistics, optimizer moments, step count and learning rate
// are bit-identical to those before, and the gradient buffers are zero.
// The loop draws batch order, dropout masks and augmentation from (seed,
// epoch), so there is no generator state to restore; the proof that
// nothing else leaked is that training on afterwards gives the same bits
// as a twin model that never ran the test.
func TestRangeTestRestoresExactly(t *testing.T) {
	p := prepared(t, model.CNN)
	cases := []struct {
		name     string
		max      float64
		beta     float64
		wantStop string
	}{
		{"completes below divergence", 1e-3, 0.98, StopCompleted},
		// Batch norm keeps this small CNN near 2.3 up to lr 10, and 30 steps
		// are too few for beta 0.98 to catch up with the blow-up that follows.
		{"diverges", 1e3, 0.5, StopDiverged},
		// Adam moves each weight by about lr per step: 1e30 overflows float32.
		{"non-finite", 1e30, 0.98, StopNonFinite},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, o := newModel(t, p)
			twin, twinOpt := newModel(t, p)
			before, beforeOpt := m.Tensors(), o.State()
			opt := defaultOptions()
			opt.MinLR, opt.MaxLR, opt.Steps, opt.Beta = 1e-4, c.max, 30, c.beta
			if c.wantStop == StopNonFinite {
				opt.DivergeFactor = math.Inf(1) // only a non-finite loss stops it
			}
			curve, err := rangeTest(context.Background(), p.NewLoop(m, o, nil), opt)
			if err != nil {
				t.Fatal(err)
			}
			if curve.Stop != c.wantStop {
				t.Fatalf("stop %s after %d steps, want %s", curve.Stop, len(curve.Points), c.wantStop)
			}
			if c.wantStop == StopCompleted && len(curve.Points) != 30 {
				t.Fatalf("%d points, want 30", len(curve.Points))
			}
			for i, pt := range curve.Points {
				if pt.Step != i+1 || pt.LR != LRAt(1e-4, c.max, i, 30) {
					t.Fatalf("point %d: step %d lr %v, want step %d lr %v", i, pt.Step, pt.LR, i+1, LRAt(1e-4, c.max, i, 30))
				}
			}
			sameBits(t, "weights after the test", m.Tensors(), before)
			sameOptimizer(t, "optimizer after the test", o.State(), beforeOpt)
			grads, err := m.Grads()
			if err != nil {
				t.Fatal(err)
			}
			for i, g := range grads {
				for k, v := range g {
					if v != 0 {
						t.Fatalf("gradient %d[%d] = %v after the test, want 0", i, k, v)
					}
				}
			}
			trainSteps(t, p, m, o, 5)
			trainSteps(t, p, twin, twinOpt, 5)
			sameBits(t, "weights after 5 more steps, against the twin", m.Tensors(), twin.Tensors())
			sameOptimizer(t, "optimizer after 5 more steps, against the twin", o.State(), twinOpt.State())
		})
	}
}

// TestRangeTestCurve checks the record of one test: the smoothed loss is
// the bias-corrected moving average of the raw loss, the test stops at the
// first step whose smoothed loss exceeds 4× the minimum so far, and a
// repeat gives the same bits.
func TestRangeTestCurve(t *testing.T) {
	p := prepared(t, model.MLP)
	m, o := newModel(t, p)
	opt := defaultOptions()
	opt.Steps = 60
	a, err := rangeTest(context.Background(), p.NewLoop(m, o, nil), opt)
	if err != nil {
		t.Fatal(err)
	}
	b, err := rangeTest(context.Background(), p.NewLoop(m, o, nil), opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Points) != len(b.Points) || a.Stop != b.Stop {
		t.Fatalf("repeat: %d points (%s), then %d (%s)", len(a.Points), a.Stop, len(b.Points), b.Stop)
	}
	for i := range a.Points {
		if math.Float64bits(a.Points[i].Loss) != math.Float64bits(b.Points[i].Loss) {
			t.Fatalf("repeat: loss at step %d is %v, then %v", i+1, a.Points[i].Loss, b.Points[i].Loss)
		}
	}
	if a.Stop == StopCompleted {
		t.Fatalf("1e-7 to 10 in 60 steps did not diverge on digits")
	}
	sm := Smoother{Beta: 0.98}
	best := math.Inf(1)
	for i, pt := range a.Points {
		if !finite(pt.Loss) {
			if i != len(a.Points)-1 || a.Stop != StopNonFinite {
				t.Fatalf("non-finite loss at step %d of %d (%s)", i+1, len(a.Points), a.Stop)
			}
			break
		}
		want := sm.Add(pt.Loss)
		if pt.Smoothed != want {
			t.Fatalf("step %d: smoothed %v, want %v", i+1, pt.Smoothed, want)
		}
		last := i == len(a.Points)-1
		if over := i > 0 && want > 4*best; over != (last && a.Stop == StopDiverged) {
			t.Fatalf("step %d: smoothed %v vs 4×min %v, stop %s at step %d", i+1, want, 4*best, a.Stop, len(a.Points))
		}
		best = min(best, want)
	}
	t.Logf("%d steps, stop %s, first loss %.4f, min smoothed %.4f", len(a.Points), a.Stop, a.Points[0].Loss, best)
}
