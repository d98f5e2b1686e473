package kernels

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
)

// Blocking of the packed matrix multiply. A micro-kernel computes an
// mr×nr block of C from a kc-long packed panel of A (mr rows) and of B
// (nr columns); every element of C is accumulated in the same order
// whatever its row or column, and K is never split between threads, so
// results are bit-for-bit reproducible.
const (
	mr = 6
	nr = 16
	kc = 256
	mc = 16 * mr
	// parallelFlops is the size under which a multiply stays on one
	// goroutine: starting a second costs more than it saves. Waking the
	// other core's thread takes tens of microseconds, while one core
	// multiplies 8 Mflop (the MLP's 128×128×256 products) in about 50
	// with the AVX-512 kernel and in half the time of two workers.
	parallelFlops = 1 << 24
)

// microKernel adds alpha·(Apanel·Bpanel), an mr×nr block computed over
// k ≥ 1 steps, to the block of C that starts at c[0] (rows ldc apart), or
// with overwrite stores it there without reading C.
type microKernel func(k int, a, b, c []float32, ldc int, alpha float32, overwrite bool)

// rowKernel does what a microKernel does for one A panel against a run of
// B's panels at once (b holds them one after the other, k·nr values
// each), for the first rows ≤ mr rows and cols columns of C only: a
// kernel with more registers keeps several panels' accumulators at once
// and stores partial tiles itself.
type rowKernel func(k int, a, b []float32, cols int, c []float32, ldc, rows int, alpha float32, overwrite bool)

// kernel is a multiply's innermost step: tile, an mr×nr micro-kernel
// (partial tiles go through a scratch tile), or, if set, row. Both must
// compute every element of C in the same order of operations: per K
// block, a chain of multiply-adds over k in order from zero, then one
// combination with C.
type kernel struct {
	tile microKernel
	row  rowKernel
}

// packB copies B[p0:p0+k, j0:j0+n] into panels of nr columns (zero-padded),
// each panel k rows of nr values. Both layouts are read along their rows
// (a transposed B sixteen rows at a time, four values of each, turned
// into four rows of the panel), so the reads stream.
func packB(dst []float32, b []float32, ldb int, transB bool, p0, k, j0, n int) {
	panels := (n + nr - 1) / nr
	for pj := 0; pj < panels; pj++ {
		panel := dst[pj*k*nr : (pj+1)*k*nr]
		cols := min(nr, n-pj*nr)
		jb := j0 + pj*nr
		switch {
		case !transB && cols == nr:
			packCopy(panel, b[p0*ldb+jb:], ldb, k, nr)
		case !transB:
			for kk := 0; kk < k; kk++ {
				row := panel[kk*nr : (kk+1)*nr]
				copy(row[:cols], b[(p0+kk)*ldb+jb:(p0+kk)*ldb+jb+cols])
				clear(row[cols:])
			}
		case cols == nr:
			packTranspose(panel, b[jb*ldb+p0:], ldb, k, nr)
		default:
			interleave(panel, b, ldb, jb, cols, p0, k, nr)
		}
	}
}

// packA copies A[i0:i0+m, p0:p0+k] into panels of mr rows (zero-padded),
// each panel k columns of mr values, reading A along its rows.
func packA(dst []float32, a []float32, lda int, transA bool, i0, m, p0, k int) {
	panels := (m + mr - 1) / mr
	for pi := 0; pi < panels; pi++ {
		panel := dst[pi*k*mr : (pi+1)*k*mr]
		rows := min(mr, m-pi*mr)
		ib := i0 + pi*mr
		if transA && rows == mr {
			packCopy(panel, a[p0*lda+ib:], lda, k, mr)
			continue
		}
		if transA {
			for kk := 0; kk < k; kk++ {
				col := panel[kk*mr : (kk+1)*mr]
				copy(col[:rows], a[(p0+kk)*lda+ib:(p0+kk)*lda+ib+rows])
				clear(col[rows:])
			}
			continue
		}
		if rows == mr {
			packTranspose(panel, a[ib*lda+p0:], lda, k, mr)
			continue
		}
		interleave(panel, a, lda, ib, rows, p0, k, mr)
	}
}

// interleave packs count ≤ width rows of src (ld apart, from row first,
// k values from column p0 each) into a panel of k groups of width values,
// row r at position r of every group, zero-padding the groups: the last,
// partial panels of a row-major A and of a transposed B (packTranspose
// does the full ones).
func interleave(panel, src []float32, ld, first, count, p0, k, width int) {
	for r := 0; r < count; r++ {
		row := src[(first+r)*ld+p0 : (first+r)*ld+p0+k]
		for kk, v := range row {
			panel[kk*width+r] = v
		}
	}
	if count < width {
		for kk := 0; kk < k; kk++ {
			clear(panel[kk*width+count : (kk+1)*width])
		}
	}
}

type workspace struct {
	a []float32
	// edge holds a partial tile of C so that edge tiles go through the
	// same kernel, in the same order of operations, as full ones.
	edge []float32
}

var (
	bPool = sync.Pool{New: func() any { return new([]float32) }}
	wPool = sync.Pool{New: func() any {
		return &workspace{a: make([]float32, mc*kc), edge: make([]float32, mr*nr)}
	}}
)

// sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices
// with the given micro-kernel, on two goroutines when the product is large
// enough (see gemmPanels for the split).
func sgemm(kern kernel, tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if beta == 0 && k > 0 && alpha != 0 {
		// C is overwritten by the first K block: no need to clear it.
	} else {
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			switch beta {
			case 0:
				clear(row)
			case 1:
			default:
				for j := range row {
					row[j] *= beta
				}
			}
		}
		if k == 0 || alpha == 0 {
			return
		}
	}
	transA, transB := tA != blas.NoTrans, tB != blas.NoTrans
	srcA := func(buf []float32, i0, mb, p0, kb int) []float32 {
		packA(buf, a, lda, transA, i0, mb, p0, kb)
		return buf
	}
	srcB := func(buf []float32, p0, kb, pj0, pj1 int) {
		packB(buf[pj0*kb*nr:], b, ldb, transB, p0, kb, pj0*nr, min(n, pj1*nr)-pj0*nr)
	}
	workers := 1
	if 2*m*n*k >= parallelFlops && runtime.GOMAXPROCS(0) > 1 {
		workers = 2
	}
	gemmPanels(kern, m, n, k, alpha, srcA, srcB, c, ldc, beta == 0, workers)
}

// aSource returns rows [i0, i0+mb) and columns [p0, p0+kb) of op(A) in
// mr-row panels (the layout of packA): packed into buf, or packed before.
type aSource func(buf []float32, i0, mb, p0, kb int) []float32

// bSource packs rows [p0, p0+kb) of op(B), columns of the nr-column
// panels [pj0, pj1), into buf in the layout of packB (panel pj at
// pj·kb·nr). A source may pack straight from another layout (a
// convolution's image).
type bSource func(buf []float32, p0, kb, pj0, pj1 int)

// share is one worker's part of C: rows [i0, i1) × column panels [pj0, pj1).
type share struct{ i0, i1, pj0, pj1 int }

// splitShares cuts C (m×n, panelsN column panels) in two shares. Each
// worker packs what its share needs on its own, so that the workers never
// wait for each other before the end (waking a waiting goroutine's thread
// costs tens of microseconds here, as much as a small product): a column
// split packs all of A twice, a row split all of B, so the cut is across
// the larger of m and n. Rows are cut at a multiple of mr and columns at a
// multiple of four panels where there are enough, keeping whole tiles of
// the wider kernels. One share when C is too small to cut.
func splitShares(m, n, panelsN int) []share {
	rowsOK, colsOK := m >= 8*mr, panelsN >= 2
	if colsOK && (n >= m || !rowsOK) {
		mid := panelsN / 2
		if panelsN >= 8 {
			mid = (panelsN/2 + 2) / 4 * 4
		}
		return []share{{0, m, 0, mid}, {0, m, mid, panelsN}}
	}
	if rowsOK {
		mid := (m/2 + mr - 1) / mr * mr
		return []share{{0, mid, 0, panelsN}, {mid, m, 0, panelsN}}
	}
	return []share{{0, m, 0, panelsN}}
}

// gemmPanels adds alpha·op(A)·op(B) to C (m×n, rows ldc apart), or with
// overwrite stores it there (C's content ignored), taking the operands
// panel by panel from srcA and srcB, over K blocks of kc in order.
// With two workers each takes a part of C (see splitShares) and runs its
// K blocks on its own. Every element of C is computed the same way
// whatever the split.
func gemmPanels(kern kernel, m, n, k int, alpha float32, srcA aSource, srcB bSource, c []float32, ldc int, overwrite bool, workers int) {
	panelsN := (n + nr - 1) / nr
	run := func(s share) {
		bp := bPool.Get().(*[]float32)
		defer bPool.Put(bp)
		// srcB writes panel pj at pj·kb·nr: the buffer covers the panels
		// before the share's too, unused.
		if cap(*bp) < s.pj1*nr*kc {
			*bp = make([]float32, s.pj1*nr*kc)
		}
		for p0 := 0; p0 < k; p0 += kc {
			kb := min(kc, k-p0)
			bPacked := (*bp)[:s.pj1*nr*kb]
			srcB(bPacked, p0, kb, s.pj0, s.pj1)
			multiplyShare(kern, s, n, kb, p0, alpha, srcA, bPacked, c, ldc, overwrite && p0 == 0)
		}
	}
	shares := []share{{0, m, 0, panelsN}}
	if workers == 2 {
		shares = splitShares(m, n, panelsN)
	}
	if len(shares) == 1 {
		run(shares[0])
		return
	}
	Both(func() { run(shares[0]) }, func() { run(shares[1]) })
}

// multiplyShare adds (or with overwrite stores) one K block's product to a
// worker's share of C, in row blocks of at most mc.
func multiplyShare(kern kernel, s share, n, kb, p0 int, alpha float32, srcA aSource, bPacked, c []float32, ldc int, overwrite bool) {
	w := wPool.Get().(*workspace)
	defer wPool.Put(w)
	for i0 := s.i0; i0 < s.i1; i0 += mc {
		mb := min(mc, s.i1-i0)
		aPacked := srcA(w.a[:((mb+mr-1)/mr)*mr*kb], i0, mb, p0, kb)
		for pi := 0; pi*mr < mb; pi++ {
			ap := aPacked[pi*kb*mr : (pi+1)*kb*mr]
			rows := min(mr, mb-pi*mr)
			if kern.row != nil {
				ci := (i0+pi*mr)*ldc + s.pj0*nr
				cols := min(n, s.pj1*nr) - s.pj0*nr
				kern.row(kb, ap, bPacked[s.pj0*kb*nr:s.pj1*kb*nr], cols, c[ci:], ldc, rows, alpha, overwrite)
				continue
			}
			for pj := s.pj0; pj < s.pj1; pj++ {
				cols := min(nr, n-pj*nr)
				bpanel := bPacked[pj*kb*nr : (pj+1)*kb*nr]
				ci := (i0+pi*mr)*ldc + pj*nr
				if rows == mr && cols == nr {
					kern.tile(kb, ap, bpanel, c[ci:], ldc, alpha, overwrite)
					continue
				}
				if !overwrite {
					clear(w.edge)
					for r := 0; r < rows; r++ {
						copy(w.edge[r*nr:r*nr+cols], c[ci+r*ldc:ci+r*ldc+cols])
					}
				}
				kern.tile(kb, ap, bpanel, w.edge, nr, alpha, overwrite)
				for r := 0; r < rows; r++ {
					copy(c[ci+r*ldc:ci+r*ldc+cols], w.edge[r*nr:r*nr+cols])
				}
			}
		}
	}
}

// prepackA packs all of op(A) (m×k) once, for products that reuse it (a
// convolution's filters, once per image); source hands out its panels.
func prepackA(dst []float32, a []float32, lda int, transA bool, m, k int) []float32 {
	mPad := (m + mr - 1) / mr * mr
	if cap(dst) < mPad*k {
		dst = make([]float32, mPad*k)
	}
	dst = dst[:mPad*k]
	for p0 := 0; p0 < k; p0 += kc {
		kb := min(kc, k-p0)
		for i0 := 0; i0 < m; i0 += mc {
			mb := min(mc, m-i0)
			packA(dst[mPad*p0+i0*kb:], a, lda, transA, i0, mb, p0, kb)
		}
	}
	return dst
}

// prepackedSource serves the panels of a prepackA result for an m-row A.
func prepackedSource(packed []float32, m int) aSource {
	mPad := (m + mr - 1) / mr * mr
	return func(_ []float32, i0, mb, p0, kb int) []float32 {
		off := mPad*p0 + i0*kb
		return packed[off : off+(mb+mr-1)/mr*mr*kb]
	}
}

// kernelGo is the portable micro-kernel, in the same order of operations
// as the assembly one's lanes (one multiply-add per k step per element,
// then C += alpha·acc or C = alpha·acc), except that Go does not fuse the
// multiply and the add.
func kernelGo(k int, a, b, c []float32, ldc int, alpha float32, overwrite bool) {
	var t [mr * nr]float32
	for kk := 0; kk < k; kk++ {
		bs := b[kk*nr : (kk+1)*nr]
		as := a[kk*mr : (kk+1)*mr]
		for r := 0; r < mr; r++ {
			ar := as[r]
			row := t[r*nr : (r+1)*nr]
			for j := range row {
				row[j] += ar * bs[j]
			}
		}
	}
	for r := 0; r < mr; r++ {
		crow := c[r*ldc : r*ldc+nr]
		if overwrite {
			for j := range crow {
				crow[j] = alpha * t[r*nr+j]
			}
			continue
		}
		for j := range crow {
			crow[j] += alpha * t[r*nr+j]
		}
	}
}
