package stats

import (
	"testing"
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
	}
	for _, c := range cases {
		if got := BinomialTail(c.correct, c.n, c.p0); !near(got, c.want, 1e-12) {
			t.Errorf("P(X ≥ %d | n=%d, p=%v) = %v, want %v", c.correct, c.n, c.p0, got, c.want)
		}
	}
	// Deep in the tail the log-space sum stays finite and positive.
	if got := BinomialTail(178, 179, 0.101); got <= 0 || got > 1e-170 {
		t.Errorf("tail p-value %v", got)
	}
}
