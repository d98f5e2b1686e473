package data

import (
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"io"
)

// This file keeps the previous image path, which decoded a whole image into
// three float32 planes before resizing each, as the reference the
// streaming decoder must match bit for bit: training and predict outputs
// must not change with the memory they take.

// planes is a decoded image as three w×h planes of 0..255 values.
type planes struct {
	p    [3][]float32
	w, h int
	// grey tells whether every pixel has R=G=B.
	grey bool
}

// decodePlanes decodes the bytes of a PNG or JPEG file into planes,
// unbounded (callers check the size first); name is used in messages.
func decodePlanes(r io.Reader, name string) (*planes, error) {
	img, _, err := image.Decode(r)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot decode image: %w", name, err)
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < 1 || h < 1 {
		return nil, fmt.Errorf("%s: empty image (%d×%d)", name, w, h)
	}
	out := &planes{w: w, h: h, grey: true}
	for c := range out.p {
		out.p[c] = make([]float32, w*h)
	}
	if g, ok := img.(*image.Gray); ok {
		for yy := 0; yy < h; yy++ {
			row := g.Pix[yy*g.Stride : yy*g.Stride+w]
			for xx, v := range row {
				f := float32(v)
				out.p[0][yy*w+xx], out.p[1][yy*w+xx], out.p[2][yy*w+xx] = f, f, f
			}
		}
		return out, nil
	}
	// pixel returns 16-bit premultiplied RGB; the common concrete types
	// avoid boxing every pixel in a color.Color.
	pixel := func(x, y int) (r, g, b, a uint32) { return img.At(x, y).RGBA() }
	switch m := img.(type) {
	case *image.YCbCr:
		pixel = func(x, y int) (r, g, b, a uint32) { return m.YCbCrAt(x, y).RGBA() }
	case *image.RGBA:
		pixel = func(x, y int) (r, g, b, a uint32) { return m.RGBAAt(x, y).RGBA() }
	case *image.NRGBA:
		pixel = func(x, y int) (r, g, b, a uint32) { return m.NRGBAAt(x, y).RGBA() }
	}
	for yy := 0; yy < h; yy++ {
		for xx := 0; xx < w; xx++ {
			r, g, bl, _ := pixel(b.Min.X+xx, b.Min.Y+yy)
			if r != g || g != bl {
				out.grey = false
			}
			i := yy*w + xx
			out.p[0][i], out.p[1][i], out.p[2][i] = float32(r)/257, float32(g)/257, float32(bl)/257
		}
	}
	return out, nil
}

// toGrey replaces plane 0 by the BT.601 luma of the three planes.
func (p *planes) toGrey() {
	if p.grey {
		return
	}
	for i := range p.p[0] {
		p.p[0][i] = float32(0.299*float64(p.p[0][i]) + 0.587*float64(p.p[1][i]) + 0.114*float64(p.p[2][i]))
	}
}

// resize returns plane c resized to h×w by area averaging.
func (p *planes) resize(c, h, w int) []float32 {
	src := p.p[c]
	if h == p.h && w == p.w {
		return append([]float32(nil), src...)
	}
	xt, yt := areaTaps(p.w, w), areaTaps(p.h, h)
	tmp := make([]float32, p.h*w) // rows resized horizontally
	for yy := 0; yy < p.h; yy++ {
		row := src[yy*p.w : (yy+1)*p.w]
		for xx, taps := range xt {
			var s float32
			for _, t := range taps {
				s += t.w * row[t.i]
			}
			tmp[yy*w+xx] = s
		}
	}
	out := make([]float32, h*w)
	for yy, taps := range yt {
		dst := out[yy*w : (yy+1)*w]
		for _, t := range taps {
			srow := tmp[t.i*w : (t.i+1)*w]
			for xx := range dst {
				dst[xx] += t.w * srow[xx]
			}
		}
	}
	return out
}

// sample is the reference of resized.sample: p's planes converted to c
// channels at h×w and scaled to 0..rawMax. It changes p when c is 1.
func (p *planes) sample(shape []int, rawMax float32) []float32 {
	c, h, w := shape[0], shape[1], shape[2]
	var x []float32
	if c == 1 {
		p.toGrey()
		x = p.resize(0, h, w)
	} else {
		for ch := 0; ch < 3; ch++ {
			x = append(x, p.resize(ch, h, w)...)
		}
	}
	scale := rawMax / 255
	for i := range x {
		x[i] *= scale
	}
	return x
}
