package kernels

import "unsafe"

// sgemmKernel6x16AVX2 computes a 6×16 block over k steps with AVX2 FMA
// (sgemm_amd64.s): C[0:6, 0:16] += alpha · (A panel (k×6) · B panel (k×16)),
// or = with overwrite, C's rows ldc elements apart.
//
//go:noescape
func sgemmKernel6x16AVX2(k int, a, b, c unsafe.Pointer, ldc int, alpha float32, overwrite bool)

func kernelAVX2(k int, a, b, c []float32, ldc int, alpha float32, overwrite bool) {
	_ = a[k*mr-1]
	_ = b[k*nr-1]
	_ = c[(mr-1)*ldc+nr-1]
	sgemmKernel6x16AVX2(k, unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0]), unsafe.Pointer(&c[0]), ldc, alpha, overwrite)
}

// fmaLoop runs n iterations of 12 independent 8-lane FMAs (sgemm_amd64.s),
// for measuring the core's peak rate.
//
//go:noescape
func fmaLoop(n int)
