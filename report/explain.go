package report

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"

	"github.com/practica-ml/practica/internal/atomicfile"
)

// AttributionImage draws one C×H×W example in light grey with its attributions
// (one per input value, summed over channels) over it: red where they
// raise the explained class's score, blue where they lower it, opaque at
// the largest magnitude and fading to the grey image at zero.
func AttributionImage(x []float32, shape []int, rawMax float32, att []float32) image.Image {
	base := toImage(x, shape, rawMax)
	ch, h, w := shape[0], shape[1], shape[2]
	pix := make([]float64, h*w)
	top := 0.0
	for c := range ch {
		for k := range pix {
			pix[k] += float64(att[c*h*w+k])
		}
	}
	for _, v := range pix {
		top = math.Max(top, math.Abs(v))
	}
	b := base.Bounds()
	scale := b.Dx() / w
	out := image.NewRGBA(b)
	for y := range b.Dy() {
		for x0 := range b.Dx() {
			r, g, bl, _ := base.At(x0, y).RGBA()
			// The image is washed out to half its ink so that the colours
			// stay visible over dark strokes.
			grey := 255 - (255-float64(r+g+bl)/3/257)/2
			v := 0.0
			if top > 0 {
				v = pix[(y/scale)*w+x0/scale] / top
			}
			a := math.Min(math.Abs(v), 1)
			hot := [3]float64{220, 30, 30}
			if v < 0 {
				hot = [3]float64{30, 60, 220}
			}
			mix := func(k int) uint8 { return uint8(math.Round((1-a)*grey + a*hot[k])) }
			out.SetRGBA(x0, y, color.RGBA{R: mix(0), G: mix(1), B: mix(2), A: 255})
		}
	}
	return out
}

// WriteAttributionPNG writes AttributionImage to path atomically.
func WriteAttributionPNG(path string, x []float32, shape []int, rawMax float32, att []float32) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, AttributionImage(x, shape, rawMax, att)); err != nil {
		return err
	}
	return atomicfile.Write(path, buf.Bytes())
}
