package train

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/model"
)

// The assembler hands the steps, in order, exactly the batches the loop
// would build itself: the examples of each index (augmented by the step's
// generator) and their target rows; and it stops early without blocking.
func TestAssemblerBatches(t *testing.T) {
	const n, classes, bs = 37, 3, 8
	shape := []int{1, 4, 4}
	rng := rand.New(rand.NewPCG(3, 4))
	ds := &data.Dataset{Kind: data.Image, Shape: shape, X: make([]float32, n*16), Y: make([]int, n)}
	for i := range ds.X {
		ds.X[i] = float32(rng.NormFloat64())
	}
	for i := range ds.Y {
		ds.Y[i] = rng.IntN(classes)
	}
	cases := []struct {
		name    string
		loop    Loop
		take    []int // batch indices stepped on
		stopAt  int   // stop after receiving this many (0: all)
		wantLen int   // batches received
	}{
		{"plain", Loop{Seed: 1}, []int{0, 1, 2, 3, 4}, 0, 5},
		{"augmented, smoothed, weighted", Loop{Seed: 2, Augment: data.Augmentation{Shift: 1, Flip: true, Noise: 0.1}, LabelSmoothing: 0.1, ClassWeights: []float64{1, 2, 0.5}}, []int{0, 1, 2, 3, 4}, 0, 5},
		{"resumed at 2, partial dropped", Loop{Seed: 3, Augment: data.Augmentation{Flip: true}}, []int{2, 3}, 0, 2},
		{"stopped after 2", Loop{Seed: 4}, []int{0, 1, 2, 3, 4}, 2, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := c.loop
			l.Train, l.Model = ds, &model.Model{Classes: classes}
			batches := data.Batches(data.EpochOrder(n, l.Seed, 3, true), bs)
			a := newAssembler(&l, bs)
			got := 0
			for b := range a.start(batches, c.take, 3) {
				i := c.take[got]
				var want data.Batch
				ds.Fill(&want, batches[i])
				l.Augment.Apply(want.X, shape, stepRNG(l.Seed, 3, i, streamAugment))
				wantT := make([]float32, len(batches[i])*classes)
				l.fillTargets(wantT, want.Y)
				if b.index != i || !slices.Equal(b.batch.X, want.X) || !slices.Equal(b.batch.Y, want.Y) || !slices.Equal(b.targets[:len(wantT)], wantT) {
					t.Fatalf("batch %d (index %d) differs from the loop's own assembly", got, b.index)
				}
				a.release(b)
				got++
				if got == c.stopAt {
					break
				}
			}
			a.stop()
			a.stop() // a second stop does nothing
			if got != c.wantLen {
				t.Errorf("received %d batches, want %d", got, c.wantLen)
			}
		})
	}
}
