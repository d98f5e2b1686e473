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
// else 3 (RGB); pixels are raw 0..255 values (RawMax 255). Each file is
// checked against the default Limits before it is decoded.
func ReadImageFolder(root string, size int) (*Dataset, error) {
	return Limits{}.ReadImageFolder(root, size)
}

// ReadImageFolder is ReadImageFolder within l.
func (l Limits) ReadImageFolder(root string, size int) (*Dataset, error) {
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
			img, err := l.decodeFile(path, size, size, false)
			if err != nil {
				return nil, err
			}
			allGrey = allGrey && img.grey
			for c := 0; c < 3; c++ {
				rgb = append(rgb, img.p[c]...)
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
// 0..255 to 0..rawMax, the scale of the training data. The file is checked
// against the default Limits before it is decoded.
func ReadImageFile(path string, shape []int, rawMax float32) ([]float32, error) {
	return Limits{}.ReadImageFile(path, shape, rawMax)
}

// ReadImageFile is ReadImageFile within l. The decoded image is the one
// full-size copy it holds: it is resized row by row, as it is converted.
func (l Limits) ReadImageFile(path string, shape []int, rawMax float32) ([]float32, error) {
	return l.readImage(path, shape, rawMax, func() (io.ReadCloser, error) { return os.Open(path) })
}

// DecodeImage is ReadImageFile on the bytes of a PNG or JPEG file held in
// memory (an image sent to a server); name stands for it in messages. The
// bytes go through the same checks, conversion and resizing as a file's,
// so the example is the same, bit for bit, as ReadImageFile's on a file
// holding them.
func (l Limits) DecodeImage(name string, b []byte, shape []int, rawMax float32) ([]float32, error) {
	return l.readImage(name, shape, rawMax, func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
}

// readImage is ReadImageFile and DecodeImage: the shape and scale are
// checked before open is called, so that a bad request costs no I/O.
func (l Limits) readImage(name string, shape []int, rawMax float32, open func() (io.ReadCloser, error)) ([]float32, error) {
	if len(shape) != 3 || (shape[0] != 1 && shape[0] != 3) || shape[1] < 1 || shape[2] < 1 || shape[1] > MaxImageSize || shape[2] > MaxImageSize {
		return nil, fmt.Errorf("%s: cannot read an image into shape %v; want [C H W] with C 1 or 3 and sides 1..%d", name, shape, MaxImageSize)
	}
	if !(rawMax > 0) || math.IsInf(float64(rawMax), 0) {
		return nil, fmt.Errorf("%s: raw maximum %v; want a positive finite value", name, rawMax)
	}
	r, err := open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	img, err := l.decode(r, name, shape[1], shape[2], shape[0] == 1)
	if err != nil {
		return nil, err
	}
	return img.sample(shape[0], rawMax), nil
}

// sample turns p into one example of c channels (1 or 3, checked by the
// caller) scaled to 0..rawMax, as ReadImageFile describes; p must have
// been resized with luma when c is 1.
func (p *resized) sample(c int, rawMax float32) []float32 {
	var x []float32
	if c == 1 {
		if p.grey {
			x = p.p[0]
		} else {
			x = p.luma
		}
	} else {
		for ch := 0; ch < 3; ch++ {
			x = append(x, p.p[ch]...)
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

// resized is a decoded image resized to h×w by area averaging: its three
// channels, and the BT.601 luma when asked for, as 0..255 values.
type resized struct {
	p    [3][]float32
	luma []float32
	h, w int
	// grey tells whether every pixel of the source has R=G=B.
	grey bool
}

// decodeFile decodes a PNG or JPEG file and resizes it (see decode).
func (l Limits) decodeFile(path string, h, w int, luma bool) (*resized, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return l.decode(f, path, h, w, luma)
}

// decode decodes the bytes of a PNG or JPEG file and resizes each channel
// (and the luma when asked) to h×w by area averaging; name is used in
// messages. The image's dimensions are read from its header and checked
// against l first: the decoders allocate the whole image from them before
// reading any pixel data, so a file of a few hundred bytes declaring
// 65535×65535 pixels would make them allocate gigabytes, or exhaust
// memory, before failing on the missing data. The decoded image is then
// the only full-size copy: each source row is converted to 0..255 values,
// resized horizontally, and added into the output rows it overlaps, in
// the order (source rows ascending) that resizing whole planes first
// would add them, so the values are the same bit for bit.
func (l Limits) decode(r io.Reader, name string, h, w int, luma bool) (*resized, error) {
	// Check the dimensions before decoding, keeping the bytes the header
	// took to decode the image from them and the rest of r.
	var head bytes.Buffer
	cfg, _, err := image.DecodeConfig(io.TeeReader(r, &head))
	if err != nil {
		return nil, fmt.Errorf("%s: cannot decode image: %w", name, err)
	}
	if cfg.Width > MaxImageSide || cfg.Height > MaxImageSide {
		return nil, fmt.Errorf("%s: image of %d×%d pixels, a side longer than the %d this reader accepts; shrink it first", name, cfg.Width, cfg.Height, MaxImageSide)
	}
	if n, limit := int64(cfg.Width)*int64(cfg.Height), l.maxImagePixels(); n > limit {
		return nil, fmt.Errorf("%s: image of %d×%d pixels, more than the %d this reader accepts (data.Limits.MaxImagePixels); shrink it first", name, cfg.Width, cfg.Height, limit)
	}
	img, _, err := image.Decode(io.MultiReader(&head, r))
	if err != nil {
		return nil, fmt.Errorf("%s: cannot decode image: %w", name, err)
	}
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if sw < 1 || sh < 1 {
		return nil, fmt.Errorf("%s: empty image (%d×%d)", name, sw, sh)
	}
	out := &resized{h: h, w: w, grey: true}
	for c := range out.p {
		out.p[c] = make([]float32, h*w)
	}
	if luma {
		out.luma = make([]float32, h*w)
	}
	// Source row i adds into the output rows of its taps (ascending).
	type rowTap struct {
		o int
		w float32
	}
	into := make([][]rowTap, sh)
	for o, taps := range areaTaps(sh, h) {
		for _, t := range taps {
			into[t.i] = append(into[t.i], rowTap{o, t.w})
		}
	}
	xt := areaTaps(sw, w)
	hrow := make([]float32, w)
	// add resizes one source row horizontally and adds it into dst.
	add := func(dst, row []float32, i int) {
		for xx, taps := range xt {
			var s float32
			for _, t := range taps {
				s += t.w * row[t.i]
			}
			hrow[xx] = s
		}
		for _, t := range into[i] {
			d := dst[t.o*w : (t.o+1)*w]
			for xx := range d {
				d[xx] += t.w * hrow[xx]
			}
		}
	}
	var rows [3][]float32
	for c := range rows {
		rows[c] = make([]float32, sw)
	}
	if g, ok := img.(*image.Gray); ok {
		// Grey: the three channels are the same values, resized alike.
		for yy := 0; yy < sh; yy++ {
			for xx, v := range g.Pix[yy*g.Stride : yy*g.Stride+sw] {
				rows[0][xx] = float32(v)
			}
			add(out.p[0], rows[0], yy)
		}
		copy(out.p[1], out.p[0])
		copy(out.p[2], out.p[0])
		return out, nil // grey: sample takes channel 0, not the luma
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
	var lrow []float32
	if luma {
		lrow = make([]float32, sw)
	}
	for yy := 0; yy < sh; yy++ {
		for xx := 0; xx < sw; xx++ {
			r, g, bl, _ := pixel(b.Min.X+xx, b.Min.Y+yy)
			if r != g || g != bl {
				out.grey = false
			}
			rows[0][xx], rows[1][xx], rows[2][xx] = float32(r)/257, float32(g)/257, float32(bl)/257
		}
		for c := range rows {
			add(out.p[c], rows[c], yy)
		}
		if luma {
			for i := range lrow {
				lrow[i] = float32(0.299*float64(rows[0][i]) + 0.587*float64(rows[1][i]) + 0.114*float64(rows[2][i]))
			}
			add(out.luma, lrow, yy)
		}
	}
	return out, nil
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
