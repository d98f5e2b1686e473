package kernels

import "unsafe"

//go:noescape
func rowKernel64AVX2(k int, a, b, c unsafe.Pointer, ldb int, alpha float32, overwrite bool)

//go:noescape
func rowKernel8AVX2(k int, a, b, c unsafe.Pointer, ldb int, alpha float32, overwrite bool)

// rowBlock computes columns [j0, j0+w) of one row of C from a's k values
// and B's rows ldb apart (w 64 or 8), C = alpha·acc with overwrite, else
// C += alpha·acc.
func rowBlock(w, k int, a, b, c []float32, ldb int, alpha float32, overwrite bool) {
	_ = a[k-1]
	_ = b[(k-1)*ldb+w-1]
	_ = c[w-1]
	if w == 64 {
		rowKernel64AVX2(k, unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0]), unsafe.Pointer(&c[0]), ldb, alpha, overwrite)
		return
	}
	rowKernel8AVX2(k, unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0]), unsafe.Pointer(&c[0]), ldb, alpha, overwrite)
}

const haveRowKernel = true
