package data

import (
	"math"
	"slices"
	"strconv"
	"testing"
)

func TestSyntheticGenerators(t *testing.T) {
	type gen func(n, d, c int, seed uint64) (*Dataset, error)
	tests := []struct {
		name    string
		g       gen
		n, d, c int
	}{
		{"blobs", Blobs, 500, 3, 10},
		{"blobs wide", Blobs, 200, 64, 4},
		{"spirals", Spirals, 400, 2, 2},
		{"spirals padded", Spirals, 300, 6, 3},
		{"noise", Noise, 1000, 8, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := tc.g(tc.n, tc.d, tc.c, 11)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Validate(); err != nil {
				t.Fatal(err)
			}
			if d.Len() != tc.n || !slices.Equal(d.Shape, []int{tc.d}) || d.Kind != Tabular || !slices.Equal(d.Classes, numberedClasses(tc.c)) {
				t.Errorf("%d × %v kind %s classes %q", d.Len(), d.Shape, d.Kind, d.Classes)
			}
			if d.FeatureNames[0] != "f0" || d.FeatureNames[tc.d-1] != "f"+strconv.Itoa(tc.d-1) {
				t.Errorf("feature names %q", d.FeatureNames)
			}
			for k, c := range d.ClassCounts() {
				if c == 0 {
					t.Errorf("class %d empty", k)
				}
			}
			again, _ := tc.g(tc.n, tc.d, tc.c, 11)
			if !slices.Equal(again.X, d.X) || !slices.Equal(again.Y, d.Y) {
				t.Error("not deterministic")
			}
		})
	}
}

// TestBlobsSeparated checks that a nearest-centroid rule recovers blob
// labels, and that it does no better than chance on noise.
func TestBlobsSeparated(t *testing.T) {
	tests := []struct {
		name     string
		g        func(n, d, c int, seed uint64) (*Dataset, error)
		min, max float64
	}{
		{"blobs", Blobs, 0.99, 1},
		{"noise", Noise, 0, 0.45},
	}
	for _, tc := range tests {
		train, _ := tc.g(2000, 16, 4, 1)
		test, _ := tc.g(2000, 16, 4, 2)
		centroids := make([][]float64, 4)
		counts := make([]float64, 4)
		for k := range centroids {
			centroids[k] = make([]float64, 16)
		}
		for i, y := range train.Y {
			counts[y]++
			for j, v := range train.Row(i) {
				centroids[y][j] += float64(v)
			}
		}
		correct := 0
		for i, y := range test.Y {
			best, bestDist := -1, math.Inf(1)
			for k, c := range centroids {
				var dist float64
				for j, v := range test.Row(i) {
					dv := float64(v) - c[j]/counts[k]
					dist += dv * dv
				}
				if dist < bestDist {
					best, bestDist = k, dist
				}
			}
			if best == y {
				correct++
			}
		}
		acc := float64(correct) / float64(test.Len())
		if acc < tc.min || acc > tc.max {
			t.Errorf("%s: nearest-centroid accuracy %.3f, want in [%v, %v]", tc.name, acc, tc.min, tc.max)
		}
	}
}
