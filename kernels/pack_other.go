//go:build !amd64

package kernels

// packCopy copies k rows of width values, ld apart in src, to dst one
// after the other.
func packCopy(dst, src []float32, ld, k, width int) {
	for kk := 0; kk < k; kk++ {
		copy(dst[kk*width:(kk+1)*width], src[kk*ld:kk*ld+width])
	}
}

// packTranspose writes k values of each of width rows of src, ld apart,
// into dst as k groups of width: dst[kk·width+r] = src[r·ld+kk].
func packTranspose(dst, src []float32, ld, k, width int) {
	for r := 0; r < width; r++ {
		for kk, v := range src[r*ld : r*ld+k] {
			dst[kk*width+r] = v
		}
	}
}
