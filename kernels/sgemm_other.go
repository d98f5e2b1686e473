//go:build !amd64

package kernels

func kernelAVX2(k int, a, b, c []float32, ldc int, alpha float32, overwrite bool) {
	kernelGo(k, a, b, c, ldc, alpha, overwrite)
}

// rowAVX512 is never chosen off amd64 (hasAVX512 is false there).
var rowAVX512 rowKernel
