package data

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // register the JPEG decoder
	_ "image/png"  // register the PNG decoder
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// DefaultImageSize is the side an image folder is resized to by default.
const DefaultImageSize = 28

// MaxImageSize bounds the side of resized images.
const MaxImageSize = 1024

// imageExts are the accepted image file extensions (compared lower-case).
var imageExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true}

// ReadImageFolder reads an image folder: one subdirectory per class (class
// names are the sorted subdirectory names; hidden entries are skipped),
// each holding .png, .jpg or .jpeg files (other files are ignored). Every
// image is resized to size×size by area averaging (each output pixel is
// the mean of the source pixels its footprint covers, weighted by overlap:
// a true box filter when shrinking, close to nearest-neighbour when
// enlarging). Alpha is dropped (transparent pixels become black). The
// dataset has 1 channel when every pixel of every image is grey (R=G=B),
// else 3 (RGB); pixels are raw 0..255 values (RawMax 255).
func ReadImageFolder(root string, size int) (*Dataset, error) {
	if size < 1 || size > MaxImageSize {
		return nil, fmt.Errorf("%s: image size %d; want 1..%d", root, size, MaxImageSize)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var classes []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			classes = append(classes, e.Name())
		}
	}
	if len(classes) == 0 {
		return nil, fmt.Errorf("%s: empty image folder: no class subdirectories; want one subdirectory of .png/.jpg/.jpeg images per class", root)
	}
	plane := size * size
	var rgb []float32
	var y []int
	allGrey := true
	for k, class := range classes {
		dir := filepath.Join(root, class)
		files, err := imageFiles(dir)
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("%s: class folder has no .png, .jpg or .jpeg images", dir)
		}
		for _, path := range files {
			img, err := decodeImage(path)
			if err != nil {
				return nil, err
			}
			allGrey = allGrey && img.grey
			for c := 0; c < 3; c++ {
				rgb = append(rgb, img.resize(c, size, size)...)
			}
			y = append(y, k)
		}
	}
	channels := 3
	x := rgb
	if allGrey {
		channels = 1
		x = make([]float32, len(y)*plane)
		for i := range y {
			copy(x[i*plane:(i+1)*plane], rgb[i*3*plane:])
		}
	}
	d := &Dataset{
		Source:  root,
		Kind:    Image,
		Shape:   []int{channels, size, size},
		X:       x,
		Y:       y,
		Classes: classes,
		RawMax:  255,
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// ReadImageFile decodes a PNG or JPEG file into one example of shape
// [C H W] (C 1 or 3): converted to grey (ITU-R BT.601 luma) or RGB,
// resized to H×W by the area averaging of ReadImageFolder and scaled from
// 0..255 to 0..rawMax, the scale of the training data.
func ReadImageFile(path string, shape []int, rawMax float32) ([]float32, error) {
	if len(shape) != 3 || (shape[0] != 1 && shape[0] != 3) || shape[1] < 1 || shape[2] < 1 || shape[1] > MaxImageSize || shape[2] > MaxImageSize {
		return nil, fmt.Errorf("%s: cannot read an image into shape %v; want [C H W] with C 1 or 3 and sides 1..%d", path, shape, MaxImageSize)
	}
	if !(rawMax > 0) || math.IsInf(float64(rawMax), 0) {
		return nil, fmt.Errorf("%s: raw maximum %v; want a positive finite value", path, rawMax)
	}
	img, err := decodeImage(path)
	if err != nil {
		return nil, err
	}
	return img.sample(shape, rawMax), nil
}

// sample converts p into one example of shape [C H W] (C 1 or 3, checked
// by the caller) scaled to 0..rawMax, as ReadImageFile describes. It
// changes p when C is 1.
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

// imageFiles lists the image files of dir, sorted by name.
func imageFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if e.Type().IsRegular() && !strings.HasPrefix(name, ".") && imageExts[strings.ToLower(filepath.Ext(name))] {
			files = append(files, filepath.Join(dir, name))
		}
	}
	return files, nil
}

// planes is a decoded image as three w×h planes of 0..255 values.
type planes struct {
	p    [3][]float32
	w, h int
	// grey tells whether every pixel has R=G=B.
	grey bool
}

// maxImagePixels bounds the pixels of an image file. The decoders
// allocate the whole image from the dimensions in its header before
// reading any pixel data, so a file of a few hundred bytes declaring
// 65535×65535 pixels would make them allocate gigabytes, or exhaust
// memory, before failing on the missing data. 2^26 pixels (8192×8192)
// still admits 48-megapixel photographs.
const maxImagePixels = 1 << 26

// decodeImage decodes a PNG or JPEG file into planes.
func decodeImage(path string) (*planes, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodePlanes(f, path)
}

// decodePlanes decodes the bytes of a PNG or JPEG file into planes; name
// is used in messages.
func decodePlanes(r io.Reader, name string) (*planes, error) {
	// Check the dimensions before decoding, keeping the bytes the header
	// took to decode the image from them and the rest of r.
	var head bytes.Buffer
	cfg, _, err := image.DecodeConfig(io.TeeReader(r, &head))
	if err != nil {
		return nil, fmt.Errorf("%s: cannot decode image: %w", name, err)
	}
	if n := int64(cfg.Width) * int64(cfg.Height); n > maxImagePixels {
		return nil, fmt.Errorf("%s: image of %d×%d pixels, more than the %d (8192×8192) this reader accepts; shrink it first", name, cfg.Width, cfg.Height, maxImagePixels)
	}
	img, _, err := image.Decode(io.MultiReader(&head, r))
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

// tap is one source pixel and its weight in an output pixel.
type tap struct {
	i int
	w float32
}

// areaTaps gives, for each of dst output pixels along an axis of src
// source pixels, the source pixels its footprint overlaps and their
// overlap-weighted share (summing to 1).
func areaTaps(src, dst int) [][]tap {
	scale := float64(src) / float64(dst)
	taps := make([][]tap, dst)
	for o := range taps {
		lo, hi := float64(o)*scale, float64(o+1)*scale
		for i := int(lo); i < src && float64(i) < hi; i++ {
			if overlap := math.Min(hi, float64(i+1)) - math.Max(lo, float64(i)); overlap > 1e-9 {
				taps[o] = append(taps[o], tap{i, float32(overlap / scale)})
			}
		}
	}
	return taps
}
