package kernels

import "unsafe"

//go:noescape
func gatherRows16AVX512(panel, padded, rows unsafe.Pointer, n int, cols unsafe.Pointer, mask uint16)

// gatherVector fills a panel (rows of nr = 16 values) with AVX-512
// gathers when the CPU has them, and reports whether it did.
func gatherVector(panel, padded []float32, rows, cols []int32) bool {
	if !useGather || len(rows) == 0 || len(cols) == 0 {
		return false
	}
	var c [nr]int32
	copy(c[:], cols)
	// Bounds: the largest offset read is within padded.
	maxRow, maxCol := int32(0), int32(0)
	for _, r := range rows {
		maxRow = max(maxRow, r)
	}
	for _, o := range cols {
		maxCol = max(maxCol, o)
	}
	_ = padded[int(maxRow)+int(maxCol)]
	_ = panel[len(rows)*nr-1]
	gatherRows16AVX512(unsafe.Pointer(&panel[0]), unsafe.Pointer(&padded[0]), unsafe.Pointer(&rows[0]), len(rows), unsafe.Pointer(&c[0]), uint16(1)<<len(cols)-1)
	return true
}
