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
	s.packedW = prepackA(s.packedW, w, c*9, true, c*9, o)
	srcWT := prepackedSource(s.packedW, c*9)
	halves(n, func(part, lo, hi int) {
		s.col[part] = grow(s.col[part], c*9*hw)
		col := s.col[part]
		for img := lo; img < hi; img++ {
			gemmPanels(fastKernel, c*9, hw, o, 1, srcWT, matrixSource(dy[img*o*hw:(img+1)*o*hw], hw, hw), col, hw, true, 1)
			col2im(col, dx[img*c*hw:(img+1)*c*hw], c, h, wd)
		}
	})
}

func convBackwardFilter32(x, dy, dw []float32, n, c, h, wd, o int, s *convScratch) {
	g := newGeometry(c, h, wd)
	s.partial = grow(s.partial, len(dw))
	partial := [2][]float32{dw, s.partial}
	halves(n, func(part, lo, hi int) {
		s.padded[part] = grow(s.padded[part], c*g.plane)
		padded := s.padded[part]
		acc := partial[part]
		for img := lo; img < hi; img++ {
			g.pad(x[img*c*g.hw:(img+1)*c*g.hw], padded)
			gemmPanels(fastKernel, o, c*9, g.hw, 1, matrixASource(dy[img*o*g.hw:(img+1)*o*g.hw], g.hw), g.colTSource(padded), acc, c*9, img == lo, 1)
		}
	})
	if n >= 2 {
		for i := range dw {
			dw[i] += s.partial[i]
		}
	}
}
