package searchreport

import (
	"math"
	"slices"
	"testing"
)

func TestImportance(t *testing.T) {
	for _, tc := range []struct {
		name   string
		groups []int
		metric []float64
		want   float64
	}{
		{"groups explain everything", []int{0, 0, 1, 1}, []float64{1, 1, 3, 3}, 1},
		{"groups explain nothing", []int{0, 1, 0, 1}, []float64{1, 1, 3, 3}, 0},
		// Group means 2 and 3, grand mean 2.5: between 4·0.25 = 1, total 2.25+0.25+0.25+2.25 = 5.
		{"partly", []int{0, 0, 1, 1}, []float64{1, 3, 2, 4}, 0.2},
		{"constant metric", []int{0, 1}, []float64{2, 2}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Importance(tc.groups, tc.metric); math.Abs(got-tc.want) > 1e-12 {
				t.Fatalf("Importance = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBins(t *testing.T) {
	for _, tc := range []struct {
		values []float64
		want   []int
	}{
		{[]float64{5, 1, 3, 7, 2, 8, 4, 6}, []int{2, 0, 1, 3, 0, 3, 1, 2}},
		{[]float64{1, 1, 1, 2}, []int{0, 0, 0, 1}},
		{[]float64{3}, []int{0}},
	} {
		if got := Bins(tc.values); !slices.Equal(got, tc.want) {
			t.Errorf("Bins(%v) = %v, want %v", tc.values, got, tc.want)
		}
	}
}
