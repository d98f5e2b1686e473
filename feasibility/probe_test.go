package feasibility

import (
	"math"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestRequiredCorrect(t *testing.T) {
	// n=10, p0=0.5, alpha 0.06: p(8)=0.0547 < 0.06 and 8/10 ≥ 0.55.
	if got := requiredCorrect(10, 0.5, 0.06, 0.05); got != 8 {
		t.Errorf("required %d, want 8", got)
	}
	// With alpha 0.01, p(9)=11/1024=0.0107 fails, p(10)=0.00098 passes.
	if got := requiredCorrect(10, 0.5, 0.01, 0.05); got != 10 {
		t.Errorf("required %d, want 10", got)
	}
	// Too few examples: even 3 of 3 at p0=0.5 gives p=0.125.
	if got := requiredCorrect(3, 0.5, 0.01, 0.05); got != 4 {
		t.Errorf("required %d, want n+1 = 4", got)
	}
	// The margin binds when the test is easy: 1000 examples, p0 = 0.1.
	if got := requiredCorrect(1000, 0.1, 0.01, 0.05); got != 150 {
		t.Errorf("required %d, want 150 (the 5-point margin)", got)
	}
}
