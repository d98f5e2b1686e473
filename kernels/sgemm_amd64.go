package kernels

import "unsafe"

// sgemmKernel6x16AVX2 computes a 6×16 block over k steps with AVX2 FMA
// (sgemm_amd64.s): acc = A panel (k×6) · B panel (k×16).
//
//go:noescape
func sgemmKernel6x16AVX2(k int, a, b, acc unsafe.Pointer)

func kernelAVX2(k int, a, b, acc []float32) {
	if k == 0 {
		clear(acc[:mr*nr])
		return
	}
	_ = a[k*mr-1]
	_ = b[k*nr-1]
	_ = acc[mr*nr-1]
	sgemmKernel6x16AVX2(k, unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0]), unsafe.Pointer(&acc[0]))
}
