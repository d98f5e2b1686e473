//go:build !amd64

package kernels

func rowBlock(w, k int, a, b, c []float32, ldb int, alpha float32, overwrite bool) {
	panic("kernels: no row kernel on this architecture")
}

const haveRowKernel = false
