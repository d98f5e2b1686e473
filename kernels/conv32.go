package kernels

// The float32 convolution packs its operands for the micro-kernel straight
// from the images: no (C·9)×(H·W) unfolding is written and then packed
// again, and the transposed unfolding of the filter gradient is gathered
// along rows rather than read down columns. Each image is first copied
// into a zero-bordered (H+2)×(W+2) plane per channel, so that the value of
// unfolded row q = ch·9+ki·3+kj at position p = i·W+j is simply
// padded[rowOff[q] + posOff[p]], with no bounds tests.

// geometry holds a 3×3 same-padding convolution's offset tables.
type geometry struct {
	c, h, w, hw, plane int
	rowOff             []int32 // per unfolded row: ch·plane + ki·(W+2) + kj
	posOff             []int32 // per output position: i·(W+2) + j
}

func newGeometry(c, h, w int) geometry {
	g := geometry{c: c, h: h, w: w, hw: h * w, plane: (h + 2) * (w + 2)}
	g.rowOff = make([]int32, c*9)
	for ch := 0; ch < c; ch++ {
		for t := 0; t < 9; t++ {
			g.rowOff[ch*9+t] = int32(ch*g.plane + t/3*(w+2) + t%3)
		}
	}
	g.posOff = make([]int32, g.hw)
	for i := 0; i < h; i++ {
		for j := 0; j < w; j++ {
			g.posOff[i*w+j] = int32(i*(w+2) + j)
		}
	}
	return g
}

// pad copies one C×H×W image into dst's zero-bordered planes.
func (g *geometry) pad(x, dst []float32) {
	clear(dst[:g.c*g.plane])
	for ch := 0; ch < g.c; ch++ {
		for i := 0; i < g.h; i++ {
			o := ch*g.plane + (i+1)*(g.w+2) + 1
			copy(dst[o:o+g.w], x[(ch*g.h+i)*g.w:(ch*g.h+i+1)*g.w])
		}
	}
}

// colSource packs the unfolded image (C·9)×(H·W) as op(B) of the forward
// product W·col: rows are unfolded rows, columns positions.
func (g *geometry) colSource(padded []float32) bSource {
	return func(buf []float32, p0, kb, pj0, pj1 int) {
		gatherPanels(buf, padded, g.rowOff, g.posOff, p0, kb, pj0, pj1)
	}
}

// colTSource packs the transposed unfolding (H·W)×(C·9) as op(B) of the
// filter gradient dY·colᵀ: rows are positions, columns unfolded rows.
func (g *geometry) colTSource(padded []float32) bSource {
	return func(buf []float32, p0, kb, pj0, pj1 int) {
		gatherPanels(buf, padded, g.posOff, g.rowOff, p0, kb, pj0, pj1)
	}
}

// gatherPanels packs B panels [pj0, pj1) for rows [p0, p0+kb) where
// B[p][j] = padded[rowOff[p] + colOff[j]].
func gatherPanels(buf, padded []float32, rowOff, colOff []int32, p0, kb, pj0, pj1 int) {
	rows := rowOff[p0 : p0+kb]
	maxRow := int32(0)
	for _, r := range rows {
		maxRow = max(maxRow, r)
	}
	for pj := pj0; pj < pj1; pj++ {
		j0 := pj * nr
		gatherPanel(buf[pj*kb*nr:(pj+1)*kb*nr], padded, rows, colOff[j0:min(j0+nr, len(colOff))], maxRow)
	}
}

// gatherPanel fills one panel: row kk is padded[rows[kk] + cols[j]],
// zero-padded to nr; maxRow is the largest of rows. It is a function of
// its own, kept out of line, so that its loop keeps its variables in
// registers (inlined into gatherPanels, they spilled to the stack: a 2×
// slower gather).
//
//go:noinline
func gatherPanel(panel, padded []float32, rows, cols []int32, maxRow int32) {
	if gatherVector(panel, padded, rows, cols, maxRow) {
		return
	}
	for kk, base := range rows {
		row := panel[kk*nr : (kk+1)*nr]
		src := padded[base:]
		dst := row[:len(cols)]
		for j, o := range cols {
			dst[j] = src[o]
		}
		clear(row[len(cols):])
	}
}

// matrixSource packs a plain row-major k×n matrix as op(B).
func matrixSource(b []float32, ldb, n int) bSource {
	return func(buf []float32, p0, kb, pj0, pj1 int) {
		packB(buf[pj0*kb*nr:], b, ldb, false, p0, kb, pj0*nr, min(n, pj1*nr)-pj0*nr)
	}
}

// matrixASource packs a plain row-major m×k matrix as op(A).
func matrixASource(a []float32, lda int) aSource {
	return func(buf []float32, i0, mb, p0, kb int) []float32 {
		packA(buf, a, lda, false, i0, mb, p0, kb)
		return buf
	}
}

// convScratch is a convolution op's memory kept across steps: the packed
// filters and, per half of the batch, a padded image and an unfolded
// gradient (or, for a forward pass pooled image by image, one image's
// output).
type convScratch struct {
	packedW []float32
	padded  [2][]float32
	col     [2][]float32
	partial []float32
	terms   []float32 // a pooled convolution's bias terms (poolTerms)
}

func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

// convForward32 writes the convolution of each image into out; with
// then != nil, it writes each image's output into its half's scratch
// instead (out is not written) and hands it to then(img, y) at once,
// while it is still in cache.
func convForward32(x, w, bias, out []float32, n, c, h, wd, o int, s *convScratch, then func(img int, y []float32)) {
	g := newGeometry(c, h, wd)
	s.packedW = prepackA(s.packedW, w, c*9, false, o, c*9)
	srcW := prepackedSource(s.packedW, o)
	halves(n, func(part, lo, hi int) {
		s.padded[part] = grow(s.padded[part], c*g.plane)
		padded := s.padded[part]
		for img := lo; img < hi; img++ {
			g.pad(x[img*c*g.hw:(img+1)*c*g.hw], padded)
			var y []float32
			if then != nil {
				s.col[part] = grow(s.col[part], o*g.hw)
				y = s.col[part]
			} else {
				y = out[img*o*g.hw : (img+1)*o*g.hw]
			}
			gemmPanels(fastKernel, o, g.hw, c*9, 1, srcW, g.colSource(padded), y, g.hw, true, 1)
			addBias(y, bias, o, g.hw)
			if then != nil {
				then(img, y)
			}
		}
	})
}

func convBackwardInput32(w, dy, dx []float32, n, c, o, h, wd int, s *convScratch) {
	hw := h * wd
	srcWT := s.transposedFilters(w, c, o)
	halves(n, func(part, lo, hi int) {
		s.col[part] = grow(s.col[part], c*9*hw)
		for img := lo; img < hi; img++ {
			inputGradImage(srcWT, dy[img*o*hw:(img+1)*o*hw], dx[img*c*hw:(img+1)*c*hw], s.col[part], c, o, h, wd)
		}
	})
}

// transposedFilters packs the o×(c·9) filters transposed, the left
// operand of the input gradient.
func (s *convScratch) transposedFilters(w []float32, c, o int) aSource {
	s.packedW = prepackA(s.packedW, w, c*9, true, c*9, o)
	return prepackedSource(s.packedW, c*9)
}

// inputGradImage writes one image's input gradient dx (c×h×w) from its
// output gradient dy (o×h·w): col = Wᵀ·dy, folded back by col2im.
func inputGradImage(srcWT aSource, dy, dx, col []float32, c, o, h, wd int) {
	hw := h * wd
	gemmPanels(fastKernel, c*9, hw, o, 1, srcWT, matrixSource(dy, hw, hw), col, hw, true, 1)
	col2im(col, dx, c, h, wd)
}

// filterGradImage adds one image's part of the filter gradient,
// dy·colᵀ, into acc (o×c·9), or stores it there when first.
func filterGradImage(g *geometry, x, dy, padded, acc []float32, o int, first bool) {
	g.pad(x, padded)
	gemmPanels(fastKernel, o, g.c*9, g.hw, 1, matrixASource(dy, g.hw), g.colTSource(padded), acc, g.c*9, first, 1)
}

func convBackwardFilter32(x, dy, dw []float32, n, c, h, wd, o int, s *convScratch) {
	g := newGeometry(c, h, wd)
	partial := s.partials(dw)
	halves(n, func(part, lo, hi int) {
		s.padded[part] = grow(s.padded[part], c*g.plane)
		for img := lo; img < hi; img++ {
			filterGradImage(&g, x[img*c*g.hw:(img+1)*c*g.hw], dy[img*o*g.hw:(img+1)*o*g.hw], s.padded[part], partial[part], o, img == lo)
		}
	})
	s.sumPartials(dw, n)
}

// partials returns the filter gradient's two halves' sums: dw itself for
// the first half of the batch, the scratch's for the second.
func (s *convScratch) partials(dw []float32) [2][]float32 {
	s.partial = grow(s.partial, len(dw))
	return [2][]float32{dw, s.partial}
}

// sumPartials adds the second half's sum into dw, when there was one.
func (s *convScratch) sumPartials(dw []float32, n int) {
	if n >= 2 {
		for i := range dw {
			dw[i] += s.partial[i]
		}
	}
}

// convBackwardPooled32 is the backward pass of a 3×3 convolution whose
// output went through a 2×2 max-pool (winners in arg), from the pool's
// output gradient dyPool: image by image, the pool's backward pass writes
// the image's output gradient into scratch, and the input gradient (when
// dx is not nil) and the filter gradient use it while it is in cache; the
// bias gradient (when db is not nil) sums the pool's terms (poolTerms).
// Every value is the one of the separate passes.
func convBackwardPooled32(x, w, dyPool []float32, arg []uint8, dx, dw, db []float32, n, c, h, wd, o int, in, filt *convScratch) {
	g := newGeometry(c, h, wd)
	oh, ow := h/2, wd/2
	per := o * oh * ow
	var srcWT aSource
	if dx != nil {
		srcWT = in.transposedFilters(w, c, o)
	}
	partial := filt.partials(dw)
	if db != nil {
		filt.terms = grow(filt.terms, n*per)
	}
	halves(n, func(part, lo, hi int) {
		filt.padded[part] = grow(filt.padded[part], c*g.plane)
		filt.col[part] = grow(filt.col[part], o*g.hw)
		dy := filt.col[part]
		if dx != nil {
			in.col[part] = grow(in.col[part], c*9*g.hw)
		}
		for img := lo; img < hi; img++ {
			dyp, a := dyPool[img*per:(img+1)*per], arg[img*per:(img+1)*per]
			poolBackwardPlanes(dyp, dy, a, 0, o, h, wd)
			if db != nil {
				poolTerms(dyp, a, filt.terms[img*per:(img+1)*per], o, oh, ow)
			}
			if dx != nil {
				inputGradImage(srcWT, dy, dx[img*c*g.hw:(img+1)*c*g.hw], in.col[part], c, o, h, wd)
			}
			filterGradImage(&g, x[img*c*g.hw:(img+1)*c*g.hw], dy, filt.padded[part], partial[part], o, img == lo)
		}
	})
	filt.sumPartials(dw, n)
	if db != nil {
		biasGrad(filt.terms, db, n, o, oh*ow)
	}
}
