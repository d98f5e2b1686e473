package drift

import (
	"math"
	"testing"
)

func close(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.10g, want %.10g", what, got, want)
	}
}

// TestKS checks the statistic and the exact p-value against the counts of
// lattice paths: with samples of 3 and 3 wholly apart, 2 of the C(6,3) = 20
// orderings are as extreme (R's ks.test gives p = 0.1); 4 and 4 apart,
// 2 of 70; interleaved samples are as close as can be (p = 1).
func TestKS(t *testing.T) {
	for _, c := range []struct {
		name     string
		ref, cur []float64
		d, p     float64
	}{
		{"3 and 3 apart", []float64{1, 2, 3}, []float64{4, 5, 6}, 1, 2.0 / 20},
		{"4 and 4 apart", []float64{1, 2, 3, 4}, []float64{5, 6, 7, 8}, 1, 2.0 / 70},
		{"interleaved", []float64{1, 3, 5}, []float64{2, 4, 6}, 1.0 / 3, 1},
		{"one of 4 apart", []float64{1, 2, 3, 4}, []float64{0.5, 5, 6, 7}, 0.75, 16.0 / 70}, // 16 of the 70 orderings reach D = 3/4
	} {
		t.Run(c.name, func(t *testing.T) {
			d, p := KS(c.ref, c.cur)
			close(t, "D", d, c.d, 1e-12)
			close(t, "p", p, c.p, 1e-9)
		})
	}
}

// TestKolmogorovTail checks the limiting distribution against its
// tabulated values: P(K > 1) = 0.26999967, P(K > 1.3581) = 0.05.
func TestKolmogorovTail(t *testing.T) {
	for _, c := range []struct{ x, want, tol float64 }{{1, 0.26999967, 1e-7}, {1.3581, 0.05, 1e-4}, {0.1, 1, 0}} {
		close(t, "tail", kolmogorovTail(c.x), c.want, c.tol)
	}
}

// TestChiSquared: observed 3 and 1 against expected 2 and 2 is a
// statistic of 1 on one degree of freedom, p = 0.3173105 (erfc(1/√2)).
func TestChiSquared(t *testing.T) {
	for _, c := range []struct {
		name     string
		ref, cur []float64
		stat, p  float64
	}{
		{"3:1 against 2:2", []float64{0, 0, 1, 1}, []float64{0, 0, 0, 1}, 1, math.Erfc(1 / math.Sqrt2)},
		{"same shares", []float64{0, 1, 2}, []float64{2, 1, 0}, 0, 1},
		{"a new category", []float64{0, 1}, []float64{0, 5}, math.Inf(1), 0},
		{"one category", []float64{1, 1}, []float64{1}, 0, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, p := ChiSquared(c.ref, c.cur)
			if !(math.IsInf(c.stat, 1) && math.IsInf(s, 1)) {
				close(t, "statistic", s, c.stat, 1e-12)
			}
			close(t, "p", p, c.p, 1e-9)
		})
	}
}

// TestDistances: Wasserstein-1 of {0,1,3} and {5,6,8} is the shift, 5
// (scipy's documented example); of {0,1} and {0,2}, half of the unit
// between 1 and 2; normed by the reference's std (1 for {0,2}). The
// Jensen-Shannon distance of shares (3/4, 1/4) and (1/4, 3/4) is
// √(¾ ln 1.5 + ¼ ln 0.5) = 0.3616800.
func TestDistances(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"wasserstein shift", Wasserstein([]float64{0, 1, 3}, []float64{5, 6, 8}), 5},
		{"wasserstein half", Wasserstein([]float64{0, 1}, []float64{0, 2}), 0.5},
		{"normed wasserstein", NormedWasserstein([]float64{0, 2}, []float64{1, 3}), 1},
		{"jensen-shannon", JensenShannon([]float64{0, 0, 0, 1}, []float64{0, 1, 1, 1}), math.Sqrt(0.75*math.Log(1.5) + 0.25*math.Log(0.5))},
		{"jensen-shannon same", JensenShannon([]float64{0, 1}, []float64{1, 0}), 0},
	} {
		close(t, c.name, c.got, c.want, 1e-9)
	}
}

// TestPSI: the reference 1..10 has one value in each decile bin; new
// data all at 10 fill the last bin and leave nine at 0.0001:
// 9·(0.0001 - 0.1)·ln(0.0001/0.1) + (1 - 0.1)·ln(1/0.1) = 8.2823987.
func TestPSI(t *testing.T) {
	ref := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	all10 := []float64{10, 10, 10, 10, 10, 10, 10, 10, 10, 10}
	for _, c := range []struct {
		name  string
		cur   []float64
		want  float64
		level string
	}{
		{"same", ref, 0, "none"},
		{"all in the last bin", all10, 9*(0.0001-0.1)*math.Log(0.0001/0.1) + 0.9*math.Log(10), "major"},
		{"two moved", []float64{1, 2, 3, 4, 5, 6, 7, 8, 10, 10}, (0.0001-0.1)*math.Log(0.0001/0.1) + (0.2-0.1)*math.Log(2), "major"},
	} {
		got := PSI(ref, c.cur)
		close(t, c.name, got, c.want, 1e-9)
		if l := PSILevel(got); l != c.level {
			t.Errorf("%s: level %q, want %q", c.name, l, c.level)
		}
	}
}

// TestMMD: x = {0, 1}, y = {10, 11} on a line. The squared distances of
// the six pairs are 1, 1, 81, 100, 100, 121, whose (lower) median 81 is
// 2σ², so k(a,b) = exp(-(a-b)²/81) and the unbiased MMD² is
// 2·exp(-1/81) - 2·(2·exp(-100/81) + exp(-121/81) + exp(-1))/4.
func TestMMD(t *testing.T) {
	r, err := MMDTest([]float64{0, 1}, []float64{10, 11}, 1, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := 2*math.Exp(-1.0/81) - (2*math.Exp(-100.0/81)+math.Exp(-121.0/81)+math.Exp(-1))/2
	close(t, "MMD²", r.MMD2, want, 1e-12)
	close(t, "σ", r.Bandwidth, math.Sqrt(81.0/2), 1e-12)
	if _, err := MMDTest([]float64{0}, []float64{1, 2}, 1, 10, 1); err == nil {
		t.Error("one example on a side: no error")
	}
}

// TestChiSquaredTwoSample: counts 30:10 against 20:20 give expected
// 25:15 on each row, statistic 2·(25/25 + 25/15) = 16/3 on one degree of
// freedom, p = erfc(√(8/3)).
func TestChiSquaredTwoSample(t *testing.T) {
	ref := append(make([]float64, 30), 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)
	cur := append(make([]float64, 20), make([]float64, 20)...)
	for i := 20; i < 40; i++ {
		cur[i] = 1
	}
	s, p := ChiSquaredTwoSample(ref, cur)
	close(t, "statistic", s, 16.0/3, 1e-12)
	close(t, "p", p, math.Erfc(math.Sqrt(8.0/3)), 1e-9)
}
