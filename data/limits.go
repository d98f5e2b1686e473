package data

// Limits bound what one input file may cost, checked from what its header
// announces before the body is read, so that a small crafted file cannot
// make a loader allocate or work far beyond what it holds. A field left 0
// takes its default; the zero Limits is the defaults.
type Limits struct {
	// MaxImagePixels bounds width×height of a PNG or JPEG file, read from
	// its header before it is decoded: 0 means DefaultMaxImagePixels.
	MaxImagePixels int64
	// MaxIDXValues bounds the values an IDX header may announce (a byte
	// each in the file, a float32 pixel or an int label in memory),
	// checked before the body is read: 0 means DefaultMaxIDXValues.
	MaxIDXValues int64
}

const (
	// DefaultMaxImagePixels is Pillow's decompression-bomb threshold, twice
	// its MAX_IMAGE_PIXELS of 89,478,485: an image Pillow refuses is
	// refused here too, and one it opens opens here. At that size the one
	// decoded copy an image costs (see ReadImageFile) is 179 MB for grey,
	// 716 MB for 8-bit RGBA, 1.4 GB for 16-bit RGBA.
	DefaultMaxImagePixels = 2 * 89_478_485
	// DefaultMaxIDXValues is 2^30 values: 4 GiB once converted to float32,
	// room for EMNIST's largest split (0.55 billion pixels), twenty times
	// Fashion-MNIST's training images.
	DefaultMaxIDXValues = 1 << 30
	// MaxImageSide bounds each side of an image file: JPEG's own maximum,
	// 65,535. Wider or taller PNGs would make the per-row and per-column
	// buffers of resizing as large as the image.
	MaxImageSide = 1<<16 - 1
)

// maxImagePixels is MaxImagePixels with its default applied.
func (l Limits) maxImagePixels() int64 {
	if l.MaxImagePixels > 0 {
		return l.MaxImagePixels
	}
	return DefaultMaxImagePixels
}

// maxIDXValues is MaxIDXValues with its default applied.
func (l Limits) maxIDXValues() int64 {
	if l.MaxIDXValues > 0 {
		return l.MaxIDXValues
	}
	return DefaultMaxIDXValues
}
