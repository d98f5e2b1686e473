package kernels

import "unsafe"

// adamAVX runs n (a multiple of 8) elements of AdamUpdate (adam_amd64.s).
//
//go:noescape
func adamAVX(n int, w, grad, m, v unsafe.Pointer, b1, b2, c1, c2, stepSize, invSqrtBC2, eps float32)

// adamVector updates the leading multiple of 8 elements with AVX when the
// CPU has it and returns how many it did.
func adamVector(w, g, m, v []float32, b1, b2, stepSize, invSqrtBC2, eps float32) int {
	n := len(w) &^ 7
	if n == 0 || !hasAVX2() {
		return 0
	}
	_, _, _ = g[n-1], m[n-1], v[n-1]
	adamAVX(n, unsafe.Pointer(&w[0]), unsafe.Pointer(&g[0]), unsafe.Pointer(&m[0]), unsafe.Pointer(&v[0]), b1, b2, 1-b1, 1-b2, stepSize, invSqrtBC2, eps)
	return n
}
