package kernels

import "unsafe"

//go:noescape
func biasReLUAVX(n int, y, b unsafe.Pointer, relu bool)

// biasReLUVector does the leading multiple of 8 values of a row with AVX
// and returns how many it did.
func biasReLUVector(y, b []float32, relu bool) int {
	n := len(y) &^ 7
	if n == 0 || !hasAVX2() {
		return 0
	}
	_ = b[n-1]
	biasReLUAVX(n, unsafe.Pointer(&y[0]), unsafe.Pointer(&b[0]), relu)
	return n
}
