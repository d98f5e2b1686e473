package kernels

import "unsafe"

//go:noescape
func gatherRows16AVX512(panel, padded, rows unsafe.Pointer, n int, cols unsafe.Pointer, mask uint16)

//go:noescape
func loadRows6RunsAVX512(panel, padded, rows unsafe.Pointer, n int, runs unsafe.Pointer)

//go:noescape
func loadRowsRunsAVX512(panel, padded, rows unsafe.Pointer, n int, runs unsafe.Pointer, nruns int)

// laneRun is a run of a panel's lanes whose offsets are consecutive:
// lane l of the run reads offset + l (the offset is the first lane's
// minus its lane number), for the lanes set in mask.
type laneRun struct {
	offset int32
	mask   uint32
}

// maxLaneRuns bounds the runs a panel is loaded in: beyond it, AVX-512's
// gather is the faster (one masked load a run and row against a gather
// of sixteen a row, which costs about as much as four to eight loads).
const maxLaneRuns = 6

// gatherVector fills a panel (rows of nr = 16 values) with AVX-512
// gathers when the CPU has them, and reports whether it did. maxRow is
// the largest of rows, which the caller knows for all its panels.
func gatherVector(panel, padded []float32, rows, cols []int32, maxRow int32) bool {
	if !useGather || len(rows) == 0 || len(cols) == 0 {
		return false
	}
	// Columns along an image's row are consecutive offsets: a row of
	// the forward pass's panel is two or three runs of plain loads.
	var runs [maxLaneRuns]laneRun
	n := 0
	for l := 0; l < len(cols); l++ {
		off := cols[l] - int32(l)
		if n > 0 && runs[n-1].offset == off {
			runs[n-1].mask |= 1 << l
			continue
		}
		if n == maxLaneRuns {
			n = -1
			break
		}
		runs[n] = laneRun{offset: off, mask: 1 << l}
		n++
	}
	var c [nr]int32
	copy(c[:], cols)
	// Bounds: the largest offset read is within padded.
	maxCol := int32(0)
	for _, o := range cols {
		maxCol = max(maxCol, o)
	}
	_ = padded[int(maxRow)+int(maxCol)]
	_ = panel[len(rows)*nr-1]
	if n > 2 {
		// row by row, the six runs' loads merged in a register (1.7x
		// faster than run by run for the filter gradient's six runs)
		loadRows6RunsAVX512(unsafe.Pointer(&panel[0]), unsafe.Pointer(&padded[0]), unsafe.Pointer(&rows[0]), len(rows), unsafe.Pointer(&runs[0]))
		return true
	}
	if n > 0 {
		loadRowsRunsAVX512(unsafe.Pointer(&panel[0]), unsafe.Pointer(&padded[0]), unsafe.Pointer(&rows[0]), len(rows), unsafe.Pointer(&runs[0]), n)
		return true
	}
	gatherRows16AVX512(unsafe.Pointer(&panel[0]), unsafe.Pointer(&padded[0]), unsafe.Pointer(&rows[0]), len(rows), unsafe.Pointer(&c[0]), uint16(1)<<len(cols)-1)
	return true
}
