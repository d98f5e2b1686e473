package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// naive computes alpha·op(A)·op(B) + beta·C in float64.
func naive(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float64 {
	out := make([]float64, m*ldc)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if tA == blas.NoTrans {
					av = a[i*lda+p]
				} else {
					av = a[p*lda+i]
				}
				if tB == blas.NoTrans {
					bv = b[p*ldb+j]
				} else {
					bv = b[j*ldb+p]
				}
				s += float64(av) * float64(bv)
			}
			out[i*ldc+j] = float64(alpha)*s + float64(beta)*float64(c[i*ldc+j])
		}
	}
	return out
}

func TestSgemmAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	shapes := [][3]int{{1, 1, 1}, {5, 7, 3}, {6, 16, 1}, {7, 17, 257}, {97, 33, 300}, {128, 10, 128}, {200, 130, 520}, {13, 1, 40}, {1, 50, 9},
		{40, 600, 360}, {400, 40, 530}} // the last two: two workers split by columns, then by rows
	kernels := map[string]kernel{"go": {tile: kernelGo}, "avx2": {tile: kernelAVX2}, "avx512": {tile: kernelAVX2, row: rowAVX512}}
	if !hasAVX512() {
		delete(kernels, "avx512")
	}
	if !hasAVX2() {
		delete(kernels, "avx2")
		t.Log("no AVX2/FMA here: only the Go kernel is tested")
	}
	for kname, kern := range kernels {
		for _, s := range shapes {
			for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
				for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
					for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {-2, 0.25}} {
						m, n, k := s[0], s[1], s[2]
						name := fmt.Sprintf("%s/%dx%dx%d/%c%c/a%g,b%g", kname, m, n, k, tA, tB, ab[0], ab[1])
						lda, ldb, ldc := k+1, n+2, n+3
						if tA != blas.NoTrans {
							lda = m + 1
						}
						if tB != blas.NoTrans {
							ldb = k + 2
						}
						rowsA, rowsB := m, k
						if tA != blas.NoTrans {
							rowsA = k
						}
						if tB != blas.NoTrans {
							rowsB = n
						}
						a, b, c := randVec(rng, rowsA*lda), randVec(rng, rowsB*ldb), randVec(rng, m*ldc)
						want := naive(tA, tB, m, n, k, ab[0], a, lda, b, ldb, ab[1], c, ldc)
						got := append([]float32(nil), c...)
						sgemm(kern, tA, tB, m, n, k, ab[0], a, lda, b, ldb, ab[1], got, ldc)
						for i := 0; i < m; i++ {
							for j := 0; j < ldc; j++ {
								g, w := float64(got[i*ldc+j]), want[i*ldc+j]
								if j >= n {
									w = float64(c[i*ldc+j]) // past n: untouched
								}
								if math.Abs(g-w) > 1e-4*(1+math.Sqrt(float64(k))) {
									t.Fatalf("%s: C[%d][%d] = %v, want %v", name, i, j, g, w)
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestFallbackUsesGonum: without AVX2/FMA the multiply is gonum's, which
// beats the portable micro-kernel; the result is still the product.
func TestFallbackUsesGonum(t *testing.T) {
	b := newBLAS(false, false)
	if !b.gonumSgemm || b.Name() != "gonum sgemm (no AVX2/FMA on this CPU)" {
		t.Fatalf("fallback BLAS %q does not use gonum's Sgemm", b.Name())
	}
	rng := rand.New(rand.NewPCG(3, 4))
	m, n, k := 7, 9, 11
	a, bm, c := randVec(rng, m*k), randVec(rng, k*n), make([]float32, m*n)
	b.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, bm, n, 0, c, n)
	want := naive(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, bm, n, 0, make([]float32, m*n), n)
	for i := range c {
		if math.Abs(float64(c[i])-want[i]) > 1e-4 {
			t.Fatalf("C[%d] = %v, want %v", i, c[i], want[i])
		}
	}
}

// TestSgemmRowsIndependentOfPosition: a row of A gives the same bits
// whatever its position in the matrix and however many rows there are.
func TestSgemmRowsIndependentOfPosition(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	k, n := 300, 40
	b := randVec(rng, k*n)
	rows := randVec(rng, 200*k)
	ref := make([]float32, 200*n)
	NewBLAS().Sgemm(blas.NoTrans, blas.NoTrans, 200, n, k, 1, rows, k, b, n, 0, ref, n)
	for _, start := range []int{0, 1, 5, 77, 199} {
		one := make([]float32, n)
		NewBLAS().Sgemm(blas.NoTrans, blas.NoTrans, 1, n, k, 1, rows[start*k:(start+1)*k], k, b, n, 0, one, n)
		for j := range one {
			if math.Float32bits(one[j]) != math.Float32bits(ref[start*n+j]) {
				t.Fatalf("row %d alone differs from row %d in a batch of 200", start, start)
			}
		}
	}
}

func randVec(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

func benchGemm(bm *testing.B, m, n, k int, tA, tB blas.Transpose, impl blas.Float32Level3) {
	rng := rand.New(rand.NewPCG(3, 3))
	a, b, c := randVec(rng, m*k), randVec(rng, k*n), make([]float32, m*n)
	lda, ldb := k, n
	if tA != blas.NoTrans {
		lda = m
	}
	if tB != blas.NoTrans {
		ldb = k
	}
	bm.ResetTimer()
	for i := 0; i < bm.N; i++ {
		impl.Sgemm(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, c, n)
	}
	bm.ReportMetric(2*float64(m*n*k)*float64(bm.N)/bm.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkSgemm measures the MLP's shapes (batch 128, 784-256-128-10):
// each layer's forward x·W and the two backward products, dW = xᵀ·dY and
// dX = dY·Wᵀ (the first layer has no dX), and a square product.
func BenchmarkSgemm(b *testing.B) {
	cases := []struct {
		name    string
		m, n, k int
		tA, tB  blas.Transpose
	}{
		{"fwd_128x256x784", 128, 256, 784, blas.NoTrans, blas.NoTrans},
		{"dW_784x256x128", 784, 256, 128, blas.Trans, blas.NoTrans},
		{"dX_128x784x256", 128, 784, 256, blas.NoTrans, blas.Trans},
		{"square_512", 512, 512, 512, blas.NoTrans, blas.NoTrans},
		{"fwd_128x128x256", 128, 128, 256, blas.NoTrans, blas.NoTrans},
		{"dW_256x128x128", 256, 128, 128, blas.Trans, blas.NoTrans},
		{"dX_128x256x128", 128, 256, 128, blas.NoTrans, blas.Trans},
		{"fwd_128x10x128", 128, 10, 128, blas.NoTrans, blas.NoTrans},
		{"dW_128x10x128", 128, 10, 128, blas.Trans, blas.NoTrans},
		{"dX_128x128x10", 128, 128, 10, blas.NoTrans, blas.Trans},
	}
	for _, c := range cases {
		b.Run(c.name+"/practica", func(b *testing.B) { benchGemm(b, c.m, c.n, c.k, c.tA, c.tB, NewBLAS()) })
		// the AVX2 kernel where the CPU also has AVX-512 (what CPUs without it run)
		if hasAVX512() {
			b.Run(c.name+"/practica-avx2", func(b *testing.B) {
				benchGemm(b, c.m, c.n, c.k, c.tA, c.tB, &BLAS{kernel: kernel{tile: kernelAVX2}})
			})
		}
		// the packed multiply with the portable micro-kernel (the convolution's on CPUs without AVX2)
		b.Run(c.name+"/practica-portable", func(b *testing.B) { benchGemm(b, c.m, c.n, c.k, c.tA, c.tB, &BLAS{kernel: kernel{tile: kernelGo}}) })
		b.Run(c.name+"/gonum", func(b *testing.B) { benchGemm(b, c.m, c.n, c.k, c.tA, c.tB, gonum.Implementation{}) })
	}
}

// TestSgemmAVX512BitIdentical: the AVX-512 kernel gives the AVX2 kernel's
// bits on every element, for random shapes around the tiles' edges (m, n,
// k not multiples of 6, 16, 64 or kc, k below and above kc, one and two
// workers split by rows or columns), transposes, alphas and betas, and
// through the convolution's entry (gemmPanels from a prepacked A,
// accumulating into C).
func TestSgemmAVX512BitIdentical(t *testing.T) {
	if !hasAVX512() {
		t.Skip("no AVX-512 here")
	}
	k512, k2 := kernel{tile: kernelAVX2, row: rowAVX512}, kernel{tile: kernelAVX2}
	rng := rand.New(rand.NewPCG(5, 6))
	shapes := [][3]int{{1, 1, 1}, {6, 64, 256}, {7, 65, 257}, {5, 63, 255}, {128, 10, 128}, {128, 256, 784}, {784, 256, 128},
		{128, 784, 256}, {256, 128, 128}, {128, 128, 10}, {13, 49, 513}, {100, 17, 300}, {12, 200, 1}, {96, 48, 512}, {97, 33, 769}}
	for len(shapes) < 160 {
		shapes = append(shapes, [3]int{1 + rng.IntN(200), 1 + rng.IntN(300), 1 + rng.IntN(700)})
	}
	alphas := []float32{1, 0.75, -1.5}
	betas := []float32{0, 1, 0.5, -2}
	for i, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		tA, tB := blas.Transpose(blas.NoTrans), blas.Transpose(blas.NoTrans)
		if i&1 != 0 {
			tA = blas.Trans
		}
		if i&2 != 0 {
			tB = blas.Trans
		}
		alpha, beta := alphas[i%len(alphas)], betas[(i/3)%len(betas)]
		lda, ldb, ldc := k+i%3, n+i%5, n+i%4
		rowsA, rowsB := m, k
		if tA != blas.NoTrans {
			lda, rowsA = m+i%3, k
		}
		if tB != blas.NoTrans {
			ldb, rowsB = k+i%5, n
		}
		a, b, c := randVec(rng, rowsA*lda), randVec(rng, rowsB*ldb), randVec(rng, m*ldc)
		want, got := append([]float32(nil), c...), append([]float32(nil), c...)
		sgemm(k2, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc)
		sgemm(k512, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, got, ldc)
		name := fmt.Sprintf("%dx%dx%d/%c%c/a%g,b%g", m, n, k, tA, tB, alpha, beta)
		sameBits32(t, name, got, want)

		// The convolution's way in: A prepacked, B from a source, C
		// accumulated (overwrite false), on one worker and on two.
		for _, workers := range []int{1, 2} {
			packed := prepackA(nil, a, lda, tA != blas.NoTrans, m, k)
			srcB := func(buf []float32, p0, kb, pj0, pj1 int) {
				packB(buf[pj0*kb*nr:], b, ldb, tB != blas.NoTrans, p0, kb, pj0*nr, min(n, pj1*nr)-pj0*nr)
			}
			want, got := append([]float32(nil), c...), append([]float32(nil), c...)
			gemmPanels(k2, m, n, k, alpha, prepackedSource(packed, m), srcB, want, ldc, false, workers)
			gemmPanels(k512, m, n, k, alpha, prepackedSource(packed, m), srcB, got, ldc, false, workers)
			sameBits32(t, fmt.Sprintf("%s/panels,%d workers", name, workers), got, want)
		}
	}
}

func sameBits32(t *testing.T, name string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d = %v (%#x), want %v (%#x)", name, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}
