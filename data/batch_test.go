package data

import (
	"slices"
	"testing"
)

func TestEpochOrder(t *testing.T) {
	tests := []struct {
		n       int
		seed    uint64
		epoch   int
		shuffle bool
	}{
		{0, 1, 0, true},
		{1, 1, 0, true},
		{10, 1, 0, false},
		{100, 1, 0, true},
		{100, 1, 1, true},
		{1797, 42, 7, true},
	}
	for _, tc := range tests {
		order := EpochOrder(tc.n, tc.seed, tc.epoch, tc.shuffle)
		if len(order) != tc.n {
			t.Fatalf("%+v: %d indices", tc, len(order))
		}
		if !slices.Equal(order, EpochOrder(tc.n, tc.seed, tc.epoch, tc.shuffle)) {
			t.Errorf("%+v: not deterministic", tc)
		}
		sorted := slices.Sorted(slices.Values(order))
		for i, v := range sorted {
			if v != i {
				t.Fatalf("%+v: not a permutation", tc)
			}
		}
		if !tc.shuffle && !slices.Equal(order, sorted) {
			t.Errorf("%+v: unshuffled order is not the identity", tc)
		}
		if tc.shuffle && tc.n >= 100 {
			if slices.Equal(order, sorted) {
				t.Errorf("%+v: shuffled order is the identity", tc)
			}
			if slices.Equal(order, EpochOrder(tc.n, tc.seed, tc.epoch+1, true)) {
				t.Errorf("%+v: next epoch has the same order", tc)
			}
			if slices.Equal(order, EpochOrder(tc.n, tc.seed+1, tc.epoch, true)) {
				t.Errorf("%+v: another seed has the same order", tc)
			}
		}
	}
}

func TestBatchesFill(t *testing.T) {
	d := &Dataset{Source: "b", Kind: Tabular, Shape: []int{2}, X: []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, Y: []int{0, 1, 0, 1, 0}, Classes: []string{"a", "b"}}
	batches := Batches([]int{4, 2, 0, 1, 3}, 2)
	if len(batches) != 3 || len(batches[2]) != 1 {
		t.Fatalf("batches %v", batches)
	}
	var b Batch
	d.Fill(&b, batches[0])
	if !slices.Equal(b.X, []float32{8, 9, 4, 5}) || !slices.Equal(b.Y, []int{0, 0}) || b.Size != 2 {
		t.Errorf("batch %+v", b)
	}
	d.Fill(&b, batches[2])
	if !slices.Equal(b.X, []float32{6, 7}) || !slices.Equal(b.Y, []int{1}) || b.Size != 1 {
		t.Errorf("last batch %+v", b)
	}
}
