//go:build !amd64

package kernels

func kernelAVX2(k int, a, b, c []float32, ldc int, alpha float32, overwrite bool) {
	kernelGo(k, a, b, c, ldc, alpha, overwrite)
}
