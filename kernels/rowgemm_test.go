package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// TestSgemmRowsBits: the few-rows multiply gives the packed multiply's
// bits, for every row count it takes, widths with and without 64- and
// 8-column groups and a tail, k within one block of kc and across
// several, and alpha other than 1.
func TestSgemmRowsBits(t *testing.T) {
	bl := NewBLAS()
	if !hasAVX2() {
		t.Skip("no AVX2/FMA: SgemmRows does not apply")
	}
	cases := []struct {
		m, n, k int
		alpha   float32
	}{
		{1, 256, 784, 1}, {1, 128, 256, 1}, {1, 10, 128, 1}, {2, 3, 5, 1}, {3, 64, 256, 1}, {4, 200, 257, 0.5},
		{1, 8, 1, 1}, {1, 72, 600, -2}, {4, 129, 513, 1}, {1, 1000, 100, 1},
	}
	rng := rand.New(rand.NewPCG(3, 3))
	for _, c := range cases {
		lda, ldb, ldc := c.k+3, c.n+5, c.n+1
		a := make([]float32, c.m*lda)
		b := make([]float32, c.k*ldb)
		for i := range a {
			a[i] = float32(rng.NormFloat64())
		}
		for i := range b {
			b[i] = float32(rng.NormFloat64())
		}
		got, want := make([]float32, c.m*ldc), make([]float32, c.m*ldc)
		for i := range got {
			got[i], want[i] = 7, 7 // beta 0: overwritten, not read
		}
		if !bl.SgemmRows(blas.NoTrans, blas.NoTrans, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, 0, got, ldc) {
			t.Fatalf("%+v: SgemmRows did not apply", c)
		}
		bl.Sgemm(blas.NoTrans, blas.NoTrans, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, 0, want, ldc)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%+v: C[%d] = %v, Sgemm's %v", c, i, got[i], want[i])
			}
		}
	}
	// where it does not apply, it says so and leaves C alone
	c := []float32{1, 2}
	if bl.SgemmRows(blas.NoTrans, blas.NoTrans, 5, 1, 1, 1, make([]float32, 5), 1, []float32{1}, 1, 0, make([]float32, 5), 1) ||
		bl.SgemmRows(blas.Trans, blas.NoTrans, 1, 1, 1, 1, []float32{1}, 1, []float32{1}, 1, 0, c, 1) ||
		bl.SgemmRows(blas.NoTrans, blas.NoTrans, 1, 1, 1, 1, []float32{1}, 1, []float32{1}, 1, 1, c, 1) {
		t.Error("SgemmRows applied to a product it does not take")
	}
	if c[0] != 1 {
		t.Errorf("C changed to %v", c)
	}
}
