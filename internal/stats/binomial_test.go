package stats

import (
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

func TestBinomialTail(t *testing.T) {
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
		{11, 10, 0.5, 0}, // more than n: impossible
	}
	for _, c := range cases {
		if got := BinomialTail(c.correct, c.n, c.p0); !near(got, c.want, 1e-12) {
			t.Errorf("P(X ≥ %d | n=%d, p=%v) = %v, want %v", c.correct, c.n, c.p0, got, c.want)
		}
	}
	// Deep in the tail the value stays finite and positive.
	if got := BinomialTail(178, 179, 0.101); got <= 0 || got > 1e-170 {
		t.Errorf("tail p-value %v", got)
	}
}

// TestBinomialTailDeep: far in the tail, where digits probes land, the
// value keeps its relative precision. The references are exact sums of
// the tail terms in 60-digit arithmetic at p = the float64 nearest 18/179
// (the majority rate of the digits validation split).
func TestBinomialTailDeep(t *testing.T) {
	p := 18.0 / 179
	cases := []struct {
		k    int
		want float64
	}{
		{178, 4.3427361152565017475e-176},
		{176, 1.8266874468097430965e-170},
		{167, 1.1102756266256422114e-149},
		{32, 0.00097267928092816767855},
		{31, 0.0019455296163865549398},
	}
	for _, c := range cases {
		if got := BinomialTail(c.k, 179, p); !near(got/c.want, 1, 1e-12) {
			t.Errorf("P(X ≥ %d | n=179, p=18/179) = %v, want %v", c.k, got, c.want)
		}
	}
}

// TestBinomialTailMatchesDistuv: where 1 - CDF does not cancel, the tail
// is distuv's survival function at k-1, and the two tails of X and of
// n-X ~ Binomial(n, 1-p) add up to 1.
func TestBinomialTailMatchesDistuv(t *testing.T) {
	for _, c := range []struct {
		k, n int
		p    float64
	}{{8, 10, 0.5}, {3, 20, 0.1}, {40, 179, 0.1}, {120, 1000, 0.1}, {500, 2000, 0.26}, {1, 1, 0.3}} {
		got := BinomialTail(c.k, c.n, c.p)
		if want := (distuv.Binomial{N: float64(c.n), P: c.p}).Survival(float64(c.k - 1)); !near(got, want, 1e-12) {
			t.Errorf("P(X ≥ %d | n=%d, p=%v) = %v, distuv says %v", c.k, c.n, c.p, got, want)
		}
		if rest := BinomialTail(c.n-c.k+1, c.n, 1-c.p); !near(got+rest, 1, 1e-12) {
			t.Errorf("P(X ≥ %d) + P(X ≤ %d) = %v + %v for n=%d, p=%v", c.k, c.k-1, got, rest, c.n, c.p)
		}
	}
}
