package stats

import (
	"math"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// TestPartitionScores: purity, NMI and ARI against values worked out by
// hand (and matching scikit-learn's purity, normalized_mutual_info_score
// with arithmetic averaging, adjusted_rand_score).
func TestPartitionScores(t *testing.T) {
	cases := []struct {
		name             string
		labels, clusters []int
		purity, nmi, ari float64
	}{
		{"identical up to names", []int{0, 0, 1, 1, 2, 2}, []int{2, 2, 0, 0, 1, 1}, 1, 1, 1},
		{"independent", []int{0, 0, 1, 1}, []int{0, 1, 0, 1}, 0.5, 0, -0.5},
		{"one cluster", []int{0, 0, 1, 1}, []int{0, 0, 0, 0}, 0.5, 0, 0},
		// labels {0,0,0,1,1,1}, clusters {0,0,1,1,2,2}: contingency
		// [[2,1,0],[0,1,2]]: purity (2+1+2)/6; NMI below; ARI: index 2,
		// expected 6·3/15, max (6+3)/2, so 0.8/3.3.
		{"partial", []int{0, 0, 0, 1, 1, 1}, []int{0, 0, 1, 1, 2, 2}, 5.0 / 6, 0.5158037429793889, 0.24242424242424243},
		// Contingency [[3,1],[1,3]] (n = 8): purity 6/8. NMI: MI = 2·(3/8)
		// ln(3·8/(4·4)) + 2·(1/8) ln(1·8/(4·4)) = (3/4) ln 1.5 - (1/4) ln 2,
		// both entropies ln 2, so NMI = MI/ln 2. ARI: index 3+3 = 6, row and
		// column pair sums 12 each, expected 12·12/28, max 12, so
		// (6 - 36/7)/(12 - 36/7) = 1/8.
		{"two by two", []int{0, 0, 0, 0, 1, 1, 1, 1}, []int{0, 0, 0, 1, 0, 1, 1, 1}, 0.75, 0.18872187554086714, 0.125},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Purity(c.labels, c.clusters); !near(got, c.purity, 1e-12) {
				t.Errorf("purity %v, want %v", got, c.purity)
			}
			if got := NMI(c.labels, c.clusters); !near(got, c.nmi, 1e-12) {
				t.Errorf("NMI %v, want %v", got, c.nmi)
			}
			if got := ARI(c.labels, c.clusters); !near(got, c.ari, 1e-12) {
				t.Errorf("ARI %v, want %v", got, c.ari)
			}
		})
	}
	// The "partial" NMI by hand: MI = (4/6)·ln(2·6/(3·2)) = (2/3) ln 2;
	// H(labels) = ln 2, H(clusters) = ln 3.
	if want := (2.0 / 3) * math.Ln2 / ((math.Ln2 + math.Log(3)) / 2); !near(want, 0.5158037429793889, 1e-12) {
		t.Fatalf("hand NMI %v", want)
	}
	if want := (0.75*math.Log(1.5) - 0.25*math.Ln2) / math.Ln2; !near(want, 0.18872187554086714, 1e-15) {
		t.Fatalf("hand NMI of the 2×2 table %v", want)
	}
}

func TestEntropy(t *testing.T) {
	cases := []struct {
		counts []int
		want   float64
	}{
		{[]int{2, 2}, math.Ln2},
		{[]int{1, 1, 1, 1}, math.Log(4)},
		// Shares 3/4 and 1/4: -(3/4) ln(3/4) - (1/4) ln(1/4) = ln 4 - (3/4) ln 3.
		{[]int{6, 2}, math.Log(4) - 0.75*math.Log(3)},
		{[]int{0, 6, 0, 2}, math.Log(4) - 0.75*math.Log(3)}, // empty classes add nothing
		{[]int{5}, 0},
		{[]int{0, 0}, 0},
		{nil, 0},
	}
	for _, c := range cases {
		if got := Entropy(c.counts); !near(got, c.want, 1e-15) {
			t.Errorf("Entropy(%v) = %v, want %v", c.counts, got, c.want)
		}
	}
}

// TestSilhouette on four points of a line: clusters {0, 1} and {4, 6}.
func TestSilhouette(t *testing.T) {
	x := []float64{0, 1, 4, 6}
	assign := []int{0, 0, 1, 1}
	// a, b per point: (1, 5), (1, 4), (2, 3.5), (2, 5.5).
	want := ((5-1)/5.0 + (4-1)/4.0 + (3.5-2)/3.5 + (5.5-2)/5.5) / 4
	if got := Silhouette(x, 1, assign, 2); !near(got, want, 1e-12) {
		t.Fatalf("silhouette %v, want %v", got, want)
	}
	// A point alone in its cluster scores 0.
	want = ((4-1)/4.0 + (5-1)/5.0 + 0) / 3
	if got := Silhouette([]float64{0, 1, 5}, 1, []int{0, 0, 1}, 2); !near(got, want, 1e-12) {
		t.Fatalf("silhouette with a singleton %v, want %v", got, want)
	}
}
