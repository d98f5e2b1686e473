//go:build !amd64

package kernels

func kernelAVX2(k int, a, b, acc []float32) { kernelGo(k, a, b, acc) }
