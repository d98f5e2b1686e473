package feasibility

import (
	"math"
	"math/rand/v2"
	"slices"
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

func TestBinomialPValue(t *testing.T) {
	cases := []struct {
		correct, n int
		p0, want   float64
	}{
		{8, 10, 0.5, 56.0 / 1024},    // C(10,8)+C(10,9)+C(10,10) = 56
		{10, 10, 0.5, 1.0 / 1024},    // all right
		{0, 10, 0.5, 1},              // nothing right: certain
		{1, 3, 0.1, 1 - 0.9*0.9*0.9}, // at least one of three
		{3, 3, 1, 1},
		{1, 5, 0, 0},
	}
	for _, c := range cases {
		if got := BinomialPValue(c.correct, c.n, c.p0); !near(got, c.want, 1e-12) {
			t.Errorf("P(X ≥ %d | n=%d, p=%v) = %v, want %v", c.correct, c.n, c.p0, got, c.want)
		}
	}
	// Deep in the tail the log-space sum stays finite and positive.
	if got := BinomialPValue(178, 179, 0.101); got <= 0 || got > 1e-170 {
		t.Errorf("tail p-value %v", got)
	}
}

func TestRequiredCorrect(t *testing.T) {
	// n=10, p0=0.5, alpha 0.06: p(8)=0.0547 < 0.06 and 8/10 ≥ 0.55.
	if got := RequiredCorrect(10, 0.5, 0.06, 0.05); got != 8 {
		t.Errorf("required %d, want 8", got)
	}
	// With alpha 0.01, p(9)=11/1024=0.0107 fails, p(10)=0.00098 passes.
	if got := RequiredCorrect(10, 0.5, 0.01, 0.05); got != 10 {
		t.Errorf("required %d, want 10", got)
	}
	// Too few examples: even 3 of 3 at p0=0.5 gives p=0.125.
	if got := RequiredCorrect(3, 0.5, 0.01, 0.05); got != 4 {
		t.Errorf("required %d, want n+1 = 4", got)
	}
	// The margin binds when the test is easy: 1000 examples, p0 = 0.1.
	if got := RequiredCorrect(1000, 0.1, 0.01, 0.05); got != 150 {
		t.Errorf("required %d, want 150 (the 5-point margin)", got)
	}
}

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

// TestPCA: points on a line in 3-D have one component with all the
// variance, along the line.
func TestPCA(t *testing.T) {
	var x []float32
	for i := 0; i < 50; i++ {
		s := float32(i - 25)
		x = append(x, 1+s, 2+2*s, 3-2*s)
	}
	p, err := FitPCA(x, 3, 0.95, 10)
	if err != nil {
		t.Fatal(err)
	}
	if p.K() != 1 || !near(p.Explained, 1, 1e-9) {
		t.Fatalf("k %d explained %v, want 1 and 1", p.K(), p.Explained)
	}
	// The component is ±(1, 2, -2)/3, its sign fixed by the largest loading.
	for j, w := range []float64{1.0 / 3, 2.0 / 3, -2.0 / 3} {
		if !near(p.Components.At(j, 0), w, 1e-9) && !near(p.Components.At(j, 0), -w, 1e-9) {
			t.Fatalf("component %v", p.Components.RawMatrix().Data)
		}
	}
	// Projection: x=(1,2,3)+s(1,2,-2) maps to ±3(s+0.5), the mean being
	// at s = -0.5.
	z := p.Transform([]float32{1 + 4, 2 + 8, 3 - 8})
	if !near(math.Abs(float64(z[0])), 13.5, 1e-4) {
		t.Fatalf("projection %v, want ±13.5", z[0])
	}
	// Variance of s·3 for s in -25..24 (sample variance) is 9·212.5.
	if !near(p.Variance[0], 9*212.5, 1e-6) {
		t.Fatalf("variance %v, want %v", p.Variance[0], 9*212.5)
	}
}

func TestPickExamples(t *testing.T) {
	labels := []int{0, 0, 0, 0, 1, 1, 2, 0, 0, 1}
	got := PickExamples(labels, 3, 5, 1)
	counts := make([]int, 3)
	for _, i := range got {
		counts[labels[i]]++
	}
	// Round-robin: one of each class first, then a second of two classes.
	if len(got) != 5 || counts[2] != 1 || counts[0] != 2 || counts[1] != 2 {
		t.Fatalf("picked %v (classes %v), want 2-2-1 over the three classes", got, counts)
	}
	if !slices.Equal(got, PickExamples(labels, 3, 5, 1)) {
		t.Fatal("not deterministic")
	}
	if one := PickExamples(labels, 3, 1, 1); one[0] != got[0] {
		t.Fatalf("overfit-one picks %v, the batch starts with %v", one, got[0])
	}
}
