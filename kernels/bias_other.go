//go:build !amd64

package kernels

func biasReLUVector(y, b []float32, relu bool) int { return 0 }

func addVector(dst, src []float32) int { return 0 }

func addConstVector(dst []float32, v float32) int { return 0 }
