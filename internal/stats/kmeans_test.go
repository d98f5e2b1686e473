package stats

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestKMeansFindsSeparatedGroups: three tight groups far apart are found
// exactly, whatever the seed.
func TestKMeansFindsSeparatedGroups(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	centres := [][2]float64{{0, 0}, {10, 0}, {0, 10}}
	var x []float64
	var labels []int
	for i := 0; i < 90; i++ {
		c := i % 3
		x = append(x, centres[c][0]+0.3*rng.NormFloat64(), centres[c][1]+0.3*rng.NormFloat64())
		labels = append(labels, c)
	}
	for seed := uint64(1); seed <= 3; seed++ {
		km := KMeans(x, 2, 3, seed, 2, 100)
		if nmi := NMI(labels, km.Assign); nmi != 1 {
			t.Errorf("seed %d: NMI %v, want 1", seed, nmi)
		}
		if km.Inertia <= 0 || km.Inertia > 90*4*0.09 {
			t.Errorf("seed %d: inertia %v", seed, km.Inertia)
		}
	}
	a, b := KMeans(x, 2, 3, 7, 2, 100), KMeans(x, 2, 3, 7, 2, 100)
	if !slices.Equal(a.Assign, b.Assign) || a.Inertia != b.Inertia {
		t.Error("k-means is not deterministic for a fixed seed")
	}
}
