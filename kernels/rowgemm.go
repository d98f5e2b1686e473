package kernels

import (
	"runtime"

	"gonum.org/v1/gonum/blas"
)

// maxRows is the most rows of A SgemmRows takes: past a few rows the
// packed multiply, which reuses each packed panel of B for six rows at a
// time, is faster.
const maxRows = 4

// SgemmRows computes C = alpha·A·B (row-major, no transposes) for at most
// maxRows rows of A without packing B: each 8 or 64 columns of a row of C
// accumulate a[kk]·B[kk, j] straight from B's rows. One example through a
// dense layer is such a product, and packing the layer's whole weight
// matrix for it costs more than the multiply.
//
// Every element gets the packed multiply's operations in its order: per
// block of kc values of k, in order, a chain of fused multiply-adds from
// zero, then C = alpha·acc for the first block and C += alpha·acc (fused)
// for the others. So its results are the same bits as Sgemm's with beta
// 0, whatever the number of rows (TestSgemmRowsBits). It reports false,
// computing nothing, when it does not apply: more rows, a transpose, beta
// not 0, or a CPU without the AVX2 kernel.
func (bl *BLAS) SgemmRows(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) bool {
	if !haveRowKernel || bl.gonumSgemm || tA != blas.NoTrans || tB != blas.NoTrans || beta != 0 || m > maxRows || k == 0 || alpha == 0 {
		return false
	}
	groups := n / 64
	if groups >= 2 && 2*m*n*k >= 1<<18 && runtime.GOMAXPROCS(0) > 1 {
		// halves of the 64-column groups; the rest of the columns go with
		// the second half
		halves(2, func(part, _, _ int) {
			j0, j1 := 0, groups/2*64
			if part == 1 {
				j0, j1 = j1, n
			}
			rowsRange(m, j0, j1, k, alpha, a, lda, b, ldb, c, ldc)
		})
		return true
	}
	rowsRange(m, 0, n, k, alpha, a, lda, b, ldb, c, ldc)
	return true
}

// rowsRange computes columns [j0, j1) of the m rows of C.
func rowsRange(m, j0, j1, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	var tailB [kc * 8]float32
	var tailC [8]float32
	for i := 0; i < m; i++ {
		crow := c[i*ldc : i*ldc+j1]
		for p0 := 0; p0 < k; p0 += kc {
			kb := min(kc, k-p0)
			arow := a[i*lda+p0 : i*lda+p0+kb]
			first := p0 == 0
			j := j0
			for ; j+64 <= j1; j += 64 {
				rowBlock(64, kb, arow, b[p0*ldb+j:], crow[j:], ldb, alpha, first)
			}
			for ; j+8 <= j1; j += 8 {
				rowBlock(8, kb, arow, b[p0*ldb+j:], crow[j:], ldb, alpha, first)
			}
			if rest := j1 - j; rest > 0 {
				// the last columns through a zero-padded copy, so that
				// they too get the kernel's fused operations
				for kk := 0; kk < kb; kk++ {
					row := tailB[kk*8 : kk*8+8]
					copy(row[:rest], b[(p0+kk)*ldb+j:(p0+kk)*ldb+j+rest])
					clear(row[rest:])
				}
				copy(tailC[:rest], crow[j:j1])
				rowBlock(8, kb, arow, tailB[:kb*8], tailC[:], 8, alpha, first)
				copy(crow[j:j1], tailC[:rest])
			}
		}
	}
}
