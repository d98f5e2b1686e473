package kernels

import "unsafe"

//go:noescape
func poolForwardAVX512(in, out, arg unsafe.Pointer, oh, w, ow int, relu bool)

//go:noescape
func poolBackwardAVX512(dy, dx, arg unsafe.Pointer, oh, w, ow int)

//go:noescape
func col2imAVX512(col, x unsafe.Pointer, c, h, w int)

// poolForwardVector pools planes [lo, hi) with AVX-512 when the CPU has it
// and reports whether it did.
func poolForwardVector(x, y []float32, arg []uint8, lo, hi, h, w int, relu bool) bool {
	oh, ow := h/2, w/2
	if !usePoolVector || lo >= hi || oh == 0 || ow == 0 {
		return false
	}
	_ = x[hi*h*w-1]
	_ = y[hi*oh*ow-1]
	_ = arg[hi*oh*ow-1]
	for p := lo; p < hi; p++ {
		poolForwardAVX512(unsafe.Pointer(&x[p*h*w]), unsafe.Pointer(&y[p*oh*ow]), unsafe.Pointer(&arg[p*oh*ow]), oh, w, ow, relu)
	}
	return true
}

// poolBackwardVector writes the input gradient of planes [lo, hi) with
// AVX-512 when the CPU has it and reports whether it did.
func poolBackwardVector(dy, dx []float32, arg []uint8, lo, hi, h, w int) bool {
	oh, ow := h/2, w/2
	if !usePoolVector || lo >= hi || oh == 0 || ow == 0 {
		return false
	}
	_ = dx[hi*h*w-1]
	_ = dy[hi*oh*ow-1]
	_ = arg[hi*oh*ow-1]
	if h%2 == 1 || w%2 == 1 {
		// the row and column no window covers
		clear(dx[lo*h*w : hi*h*w])
	}
	for p := lo; p < hi; p++ {
		poolBackwardAVX512(unsafe.Pointer(&dy[p*oh*ow]), unsafe.Pointer(&dx[p*h*w]), unsafe.Pointer(&arg[p*oh*ow]), oh, w, ow)
	}
	return true
}

// col2imVector does col2im for float32 with AVX-512 when the CPU has it
// and reports whether it did.
func col2imVector(col, x []float32, c, h, w int) bool {
	if !usePoolVector || c == 0 || h == 0 || w == 0 {
		return false
	}
	_ = col[c*9*h*w-1]
	_ = x[c*h*w-1]
	col2imAVX512(unsafe.Pointer(&col[0]), unsafe.Pointer(&x[0]), c, h, w)
	return true
}

//go:noescape
func poolTermsAVX512(dy, arg, terms unsafe.Pointer, oh, ow int)

// poolTermsVector does poolTerms with AVX-512 when the CPU has it and
// reports whether it did.
func poolTermsVector(dy []float32, arg []uint8, terms []float32, planes, oh, ow int) bool {
	if !usePoolVector || planes == 0 || oh == 0 || ow == 0 {
		return false
	}
	n := planes * oh * ow
	_ = dy[n-1]
	_ = arg[n-1]
	_ = terms[n-1]
	poolTermsAVX512(unsafe.Pointer(&dy[0]), unsafe.Pointer(&arg[0]), unsafe.Pointer(&terms[0]), planes*oh, ow)
	return true
}
