package data

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Augmentation perturbs training images batch by batch. The zero value
// does nothing.
type Augmentation struct {
	// Shift is the largest random translation, in pixels, in each
	// direction; uncovered pixels are filled with 0 (the channel mean once
	// normalized).
	Shift int `json:"shift" yaml:"shift"`
	// Flip mirrors an image left-right with probability 0.5.
	Flip bool `json:"flip" yaml:"flip"`
	// Noise is the standard deviation of additive gaussian noise.
	Noise float32 `json:"noise" yaml:"noise"`
}

// Enabled reports whether a does anything.
func (a Augmentation) Enabled() bool {
	return a.Shift > 0 || a.Flip || a.Noise > 0
}

// Validate checks that the shift and the noise are not negative and that
// the noise is finite.
func (a Augmentation) Validate() error {
	if a.Shift < 0 {
		return fmt.Errorf("augmentation shift %d; want 0 or more pixels", a.Shift)
	}
	if !(a.Noise >= 0) || math.IsInf(float64(a.Noise), 0) {
		return fmt.Errorf("augmentation noise %v; want a finite standard deviation ≥ 0", a.Noise)
	}
	return nil
}

// Apply augments, in place, the whole C×H×W examples held in x, drawing
// from rng in a fixed order (shift, then flip, then noise, example by
// example) so that a seeded generator gives reproducible batches. It does
// nothing for tabular shapes (len(shape) != 3) or when a is not Enabled;
// a trailing partial example is left alone.
func (a Augmentation) Apply(x []float32, shape []int, rng *rand.Rand) {
	if len(shape) != 3 || !a.Enabled() || rng == nil {
		return
	}
	c, h, w := shape[0], shape[1], shape[2]
	size := c * h * w
	if size <= 0 {
		return
	}
	var scratch []float32
	if a.Shift > 0 {
		scratch = make([]float32, size)
	}
	for off := 0; off+size <= len(x); off += size {
		ex := x[off : off+size]
		if a.Shift > 0 {
			dy := rng.IntN(2*a.Shift+1) - a.Shift
			dx := rng.IntN(2*a.Shift+1) - a.Shift
			shift(ex, scratch, c, h, w, dy, dx)
		}
		if a.Flip && rng.IntN(2) == 0 {
			flip(ex, c, h, w)
		}
		if a.Noise > 0 {
			for i := range ex {
				ex[i] += a.Noise * float32(rng.NormFloat64())
			}
		}
	}
}

// shift translates each channel of ex by dy rows and dx columns (pixel
// (r, q) moves to (r+dy, q+dx)), filling with zeros; scratch holds c*h*w
// values.
func shift(ex, scratch []float32, c, h, w, dy, dx int) {
	if dy == 0 && dx == 0 {
		return
	}
	clear(scratch)
	for ch := 0; ch < c; ch++ {
		base := ch * h * w
		for r := max(0, dy); r < min(h, h+dy); r++ {
			src := base + (r-dy)*w
			dst := base + r*w
			lo, hi := max(0, dx), min(w, w+dx)
			if lo < hi {
				copy(scratch[dst+lo:dst+hi], ex[src+lo-dx:src+hi-dx])
			}
		}
	}
	copy(ex, scratch)
}

// flip mirrors each row of each channel of ex.
func flip(ex []float32, c, h, w int) {
	for r := 0; r < c*h; r++ {
		row := ex[r*w : (r+1)*w]
		for i, j := 0, w-1; i < j; i, j = i+1, j-1 {
			row[i], row[j] = row[j], row[i]
		}
	}
}
