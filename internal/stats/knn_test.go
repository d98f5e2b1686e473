package stats

import (
	"slices"
	"testing"
)

func TestTopK(t *testing.T) {
	row := []float64{0.1, 0.9, 0.5, 0.9, -1, 0.7}
	if got := topK(row, 3, nil); !slices.Equal(got, []int{1, 3, 5}) {
		t.Errorf("top 3 %v, want [1 3 5] (ties: lower index first)", got)
	}
	if got := topK(row, 10, nil); !slices.Equal(got, []int{1, 3, 5, 2, 0, 4}) {
		t.Errorf("top 10 of 6 %v", got)
	}
}

func TestKNNPredict(t *testing.T) {
	// Two directions in the plane; cosine ignores the length.
	ref := []float32{1, 0, 2, 0.1, 5, -0.1, 0, 1, 0.1, 3, -0.1, 7}
	refY := []int{0, 0, 0, 1, 1, 1}
	query := []float32{10, 1, 1, 10, 1, 1.2}
	got := KNNPredict(ref, refY, query, 2, 3, 2)
	if !slices.Equal(got, []int{0, 1, 1}) {
		t.Fatalf("predictions %v, want [0 1 1]", got)
	}
	// k = 5 over 3 + 3 references: the vote is 3 to 2 for the nearer side.
	if got := KNNPredict(ref, refY, []float32{1, 0.01}, 2, 5, 2); got[0] != 0 {
		t.Fatalf("k=5 prediction %d, want 0", got[0])
	}
}
