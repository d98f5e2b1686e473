//go:build !amd64

package kernels

func gatherVector(panel, padded []float32, rows, cols []int32, maxRow int32) bool { return false }
