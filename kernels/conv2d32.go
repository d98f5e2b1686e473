package kernels

// The float32 path of Conv2D packs its operands for the micro-kernel
// straight from the images, as Conv3x3's does (conv32.go), with offset
// tables for any square kernel, stride and padding: the value of unfolded
// row q = ch·K·K+ki·K+kj at output position p = i·Wo+j is
// src[rowOff[q] + posOff[p]], where src is the image copied into
// zero-bordered (H+2·pad)×(W+2·pad) planes, or, with no padding, the
// image itself.

// convGeom is one convolution's geometry and offset tables.
type convGeom struct {
	c, h, w, k, stride, pad int
	ho, wo, hwo             int
	wp, plane               int     // padded row length and plane size
	rowOff                  []int32 // per unfolded row: ch·plane + ki·wp + kj
	posOff                  []int32 // per output position: i·stride·wp + j·stride
}

func newConvGeom(c, h, w, k, stride, pad int) *convGeom {
	g := &convGeom{c: c, h: h, w: w, k: k, stride: stride, pad: pad,
		ho: convOut(h, k, stride, pad), wo: convOut(w, k, stride, pad),
		wp: w + 2*pad, plane: (h + 2*pad) * (w + 2*pad)}
	g.hwo = g.ho * g.wo
	g.rowOff = make([]int32, 0, c*k*k)
	for ch := 0; ch < c; ch++ {
		for ki := 0; ki < k; ki++ {
			for kj := 0; kj < k; kj++ {
				g.rowOff = append(g.rowOff, int32(ch*g.plane+ki*g.wp+kj))
			}
		}
	}
	g.posOff = make([]int32, 0, g.hwo)
	for i := 0; i < g.ho; i++ {
		for j := 0; j < g.wo; j++ {
			g.posOff = append(g.posOff, int32(i*stride*g.wp+j*stride))
		}
	}
	return g
}

// pointwise: a 1×1 convolution with stride 1 and no padding, whose
// unfolded image is the image itself, C×(H·W).
func (g *convGeom) pointwise() bool { return g.k == 1 && g.stride == 1 && g.pad == 0 }

// geomCache keeps an op's geometry from one run to the next.
type geomCache struct{ g *convGeom }

func (gc *geomCache) get(c, h, w, k, stride, pad int) *convGeom {
	if g := gc.g; g == nil || g.c != c || g.h != h || g.w != w || g.k != k || g.stride != stride || g.pad != pad {
		gc.g = newConvGeom(c, h, w, k, stride, pad)
	}
	return gc.g
}

// source returns the planes one C×H×W image is gathered from: the image
// itself without padding, else its copy into *buf's zero-bordered planes.
func (g *convGeom) source(x []float32, buf *[]float32) []float32 {
	if g.pad == 0 {
		return x
	}
	*buf = grow(*buf, g.c*g.plane)
	dst := *buf
	clear(dst)
	for ch := 0; ch < g.c; ch++ {
		for i := 0; i < g.h; i++ {
			o := ch*g.plane + (i+g.pad)*g.wp + g.pad
			copy(dst[o:o+g.w], x[(ch*g.h+i)*g.w:(ch*g.h+i+1)*g.w])
		}
	}
	return dst
}

// colSource packs the unfolded image (C·K·K)×(Ho·Wo) as op(B) of the
// forward product W·col.
func (g *convGeom) colSource(src []float32) bSource {
	if g.pointwise() {
		return matrixSource(src, g.hwo, g.hwo)
	}
	return func(buf []float32, p0, kb, pj0, pj1 int) {
		gatherPanels(buf, src, g.rowOff, g.posOff, p0, kb, pj0, pj1)
	}
}

// colTSource packs the transposed unfolding (Ho·Wo)×(C·K·K) as op(B) of
// the filter gradient dY·colᵀ.
func (g *convGeom) colTSource(src []float32) bSource {
	if g.pointwise() {
		n := g.c
		return func(buf []float32, p0, kb, pj0, pj1 int) {
			packB(buf[pj0*kb*nr:], src, g.hwo, true, p0, kb, pj0*nr, min(n, pj1*nr)-pj0*nr)
		}
	}
	return func(buf []float32, p0, kb, pj0, pj1 int) {
		gatherPanels(buf, src, g.posOff, g.rowOff, p0, kb, pj0, pj1)
	}
}

// fold adds the unfolded gradient col, (C·K·K)×(Ho·Wo), back into the
// image dx, row by row and position by position (a fixed order): into dx
// itself without padding, else into *buf's zero-bordered planes, whose
// inside is then copied to dx.
func (g *convGeom) fold(col, dx []float32, buf *[]float32) {
	dst := dx[:g.c*g.h*g.w]
	if g.pad > 0 {
		*buf = grow(*buf, g.c*g.plane)
		dst = *buf
	}
	clear(dst)
	for q, base := range g.rowOff {
		foldRow(dst[base:], col[q*g.hwo:(q+1)*g.hwo], g.ho, g.wo, g.stride, g.stride*g.wp)
	}
	if g.pad == 0 {
		return
	}
	for ch := 0; ch < g.c; ch++ {
		for i := 0; i < g.h; i++ {
			o := ch*g.plane + (i+g.pad)*g.wp + g.pad
			copy(dx[(ch*g.h+i)*g.w:(ch*g.h+i+1)*g.w], dst[o:o+g.w])
		}
	}
}

// foldRow adds one unfolded row, ho×wo positions, into dst: position
// (i, j) to dst[i·rowStep + j·stride].
func foldRow(dst, row []float32, ho, wo, stride, rowStep int) {
	span := (wo-1)*stride + 1
	for i := 0; i < ho; i++ {
		src := row[i*wo : (i+1)*wo]
		d := dst[i*rowStep : i*rowStep+span]
		if stride == 1 {
			d = d[:len(src)]
			for j, v := range src {
				d[j] += v
			}
			continue
		}
		for j, v := range src {
			d[j*stride] += v
		}
	}
}

func conv2dForward32(x, w, bias, out []float32, n, o int, g *convGeom, s *convScratch) {
	ckk, chw := g.c*g.k*g.k, g.c*g.h*g.w
	s.packedW = prepackA(s.packedW, w, ckk, false, o, ckk)
	srcW := prepackedSource(s.packedW, o)
	halves(n, func(part, lo, hi int) {
		for img := lo; img < hi; img++ {
			src := g.source(x[img*chw:(img+1)*chw], &s.padded[part])
			y := out[img*o*g.hwo : (img+1)*o*g.hwo]
			gemmPanels(fastKernel, o, g.hwo, ckk, 1, srcW, g.colSource(src), y, g.hwo, true, 1)
			addBias(y, bias, o, g.hwo)
		}
	})
}

func conv2dBackwardInput32(w, dy, dx []float32, n, o int, g *convGeom, s *convScratch) {
	ckk, chw := g.c*g.k*g.k, g.c*g.h*g.w
	s.packedW = prepackA(s.packedW, w, ckk, true, ckk, o)
	srcWT := prepackedSource(s.packedW, ckk)
	halves(n, func(part, lo, hi int) {
		for img := lo; img < hi; img++ {
			dyi := matrixSource(dy[img*o*g.hwo:(img+1)*o*g.hwo], g.hwo, g.hwo)
			dxi := dx[img*chw : (img+1)*chw]
			if g.pointwise() {
				gemmPanels(fastKernel, ckk, g.hwo, o, 1, srcWT, dyi, dxi, g.hwo, true, 1)
				continue
			}
			s.col[part] = grow(s.col[part], ckk*g.hwo)
			gemmPanels(fastKernel, ckk, g.hwo, o, 1, srcWT, dyi, s.col[part], g.hwo, true, 1)
			g.fold(s.col[part], dxi, &s.padded[part])
		}
	})
}

func conv2dBackwardFilter32(x, dy, dw []float32, n, o int, g *convGeom, s *convScratch) {
	ckk, chw := g.c*g.k*g.k, g.c*g.h*g.w
	s.partial = grow(s.partial, len(dw))
	partial := [2][]float32{dw, s.partial}
	halves(n, func(part, lo, hi int) {
		acc := partial[part]
		for img := lo; img < hi; img++ {
			src := g.source(x[img*chw:(img+1)*chw], &s.padded[part])
			gemmPanels(fastKernel, o, ckk, g.hwo, 1, matrixASource(dy[img*o*g.hwo:(img+1)*o*g.hwo], g.hwo), g.colTSource(src), acc, ckk, img == lo, 1)
		}
	})
	if n >= 2 {
		for i := range dw {
			dw[i] += s.partial[i]
		}
	}
}
