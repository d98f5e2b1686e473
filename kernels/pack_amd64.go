package kernels

import "unsafe"

// The packing loops in assembly (pack_amd64.s): Go compiles a row copy to
// a memmove call, and its scalar interleaving moves one value at a time.
// Each wrapper checks the bounds the assembly relies on.

//go:noescape
func copyRows16(dst, src unsafe.Pointer, ld, k int)

//go:noescape
func copyRows6(dst, src unsafe.Pointer, ld, k int)

//go:noescape
func transpose16(dst, src unsafe.Pointer, ld, k4 int)

//go:noescape
func transpose6(dst, src unsafe.Pointer, ld, k4 int)

// packCopy copies k rows of width (mr or nr) values, ld apart in src, to
// dst one after the other.
func packCopy(dst, src []float32, ld, k, width int) {
	if k == 0 {
		return
	}
	_ = dst[k*width-1]
	_ = src[(k-1)*ld+width-1]
	if width == nr {
		copyRows16(unsafe.Pointer(&dst[0]), unsafe.Pointer(&src[0]), ld, k)
		return
	}
	copyRows6(unsafe.Pointer(&dst[0]), unsafe.Pointer(&src[0]), ld, k)
}

// packTranspose writes k values of each of width (mr or nr) rows of src,
// ld apart, into dst as k groups of width: dst[kk·width+r] = src[r·ld+kk].
func packTranspose(dst, src []float32, ld, k, width int) {
	k4 := k / 4
	if k4 > 0 {
		_ = dst[k4*4*width-1]
		_ = src[(width-1)*ld+k4*4-1]
		if width == nr {
			transpose16(unsafe.Pointer(&dst[0]), unsafe.Pointer(&src[0]), ld, k4)
		} else {
			transpose6(unsafe.Pointer(&dst[0]), unsafe.Pointer(&src[0]), ld, k4)
		}
	}
	for kk := k4 * 4; kk < k; kk++ {
		for r := 0; r < width; r++ {
			dst[kk*width+r] = src[r*ld+kk]
		}
	}
}
