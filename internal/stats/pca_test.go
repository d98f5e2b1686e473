package stats

import (
	"math"
	"testing"
)

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
