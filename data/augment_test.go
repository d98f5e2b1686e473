package data

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestAugmentationShiftFlip(t *testing.T) {
	// One 1×3×3 image with a single lit pixel in the centre.
	centre := []float32{0, 0, 0, 0, 1, 0, 0, 0, 0}
	tests := []struct {
		name string
		a    Augmentation
		// check inspects the augmented image.
		check func(t *testing.T, x []float32)
	}{
		{"shift moves the pixel", Augmentation{Shift: 1}, func(t *testing.T, x []float32) {
			var sum float32
			for _, v := range x {
				sum += v
			}
			if sum != 1 || slices.Index(x, 1) < 0 {
				t.Errorf("shifted image %v: want one lit pixel", x)
			}
		}},
		{"flip keeps the centre", Augmentation{Flip: true}, func(t *testing.T, x []float32) {
			if !slices.Equal(x, centre) {
				t.Errorf("flipped %v", x)
			}
		}},
		{"noise changes pixels", Augmentation{Noise: 0.1}, func(t *testing.T, x []float32) {
			if slices.Equal(x, centre) {
				t.Error("noise left the image unchanged")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for seed := range uint64(20) {
				x := slices.Clone(centre)
				tc.a.Apply(x, []int{1, 3, 3}, rand.New(rand.NewPCG(seed, 0)))
				tc.check(t, x)
			}
		})
	}
}

func TestShiftExact(t *testing.T) {
	// 2 channels of 2×3: shifting by (dy, dx) = (1, -1) moves (r, q) to (r+1, q-1).
	ex := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	shift(ex, make([]float32, len(ex)), 2, 2, 3, 1, -1)
	want := []float32{0, 0, 0, 2, 3, 0, 0, 0, 0, 8, 9, 0}
	if !slices.Equal(ex, want) {
		t.Errorf("got %v, want %v", ex, want)
	}
	flip(ex, 2, 2, 3)
	if want := []float32{0, 0, 0, 0, 3, 2, 0, 0, 0, 0, 9, 8}; !slices.Equal(ex, want) {
		t.Errorf("flipped %v, want %v", ex, want)
	}
}

func TestAugmentationDeterministic(t *testing.T) {
	src, err := Open("digits", OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	batch := src.Train.X[:32*64]
	a := Augmentation{Shift: 2, Flip: true, Noise: 0.5}
	run := func(seed uint64) []float32 {
		x := slices.Clone(batch)
		a.Apply(x, src.Train.Shape, rand.New(rand.NewPCG(seed, 1)))
		return x
	}
	if !slices.Equal(run(1), run(1)) {
		t.Error("same seed, different augmentation")
	}
	if slices.Equal(run(1), run(2)) {
		t.Error("different seeds, same augmentation")
	}
	if slices.Equal(run(1), batch) {
		t.Error("augmentation did nothing")
	}
	// Tabular shapes and a disabled augmentation leave data alone.
	x := slices.Clone(batch)
	a.Apply(x, []int{64}, rand.New(rand.NewPCG(1, 1)))
	Augmentation{}.Apply(x, src.Train.Shape, rand.New(rand.NewPCG(1, 1)))
	if !slices.Equal(x, batch) {
		t.Error("no-op augmentation changed the data")
	}
}

func TestAugmentationEnabledValidate(t *testing.T) {
	tests := []struct {
		a       Augmentation
		enabled bool
		valid   bool
	}{
		{Augmentation{}, false, true},
		{Augmentation{Shift: 2}, true, true},
		{Augmentation{Flip: true}, true, true},
		{Augmentation{Noise: 0.1}, true, true},
		{Augmentation{Shift: -1}, false, false},
		{Augmentation{Noise: -0.1}, false, false},
	}
	for _, tc := range tests {
		if tc.a.Enabled() != tc.enabled || (tc.a.Validate() == nil) != tc.valid {
			t.Errorf("%+v: enabled %v, validate %v", tc.a, tc.a.Enabled(), tc.a.Validate())
		}
	}
}
