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

//go:noescape
func addAVX(n int, dst, src unsafe.Pointer)

// addVector adds the leading multiple of 8 values of src into dst with
// AVX and returns how many it did.
func addVector(dst, src []float32) int {
	n := len(dst) &^ 7
	if n == 0 || !hasAVX2() {
		return 0
	}
	_ = src[n-1]
	addAVX(n, unsafe.Pointer(&dst[0]), unsafe.Pointer(&src[0]))
	return n
}

//go:noescape
func addConstAVX(n int, dst unsafe.Pointer, v float32)

// addConstVector adds v to the leading multiple of 8 values of dst with
// AVX and returns how many it did.
func addConstVector(dst []float32, v float32) int {
	n := len(dst) &^ 7
	if n == 0 || !hasAVX2() {
		return 0
	}
	addConstAVX(n, unsafe.Pointer(&dst[0]), v)
	return n
}
