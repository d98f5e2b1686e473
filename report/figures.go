package report

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/practica-ml/practica/figures"
)

// Blues is a white-to-dark-blue palette for heat maps (a confusion
// matrix, pixel statistics).
type Blues struct{}

// Colors are 256 steps from white to dark blue.
func (Blues) Colors() []color.Color {
	from, to := [3]float64{247, 251, 255}, [3]float64{8, 48, 107}
	out := make([]color.Color, 256)
	for i := range out {
		t := float64(i) / 255
		var c [3]uint8
		for k := range c {
			c[k] = uint8(math.Round(from[k] + t*(to[k]-from[k])))
		}
		out[i] = color.RGBA{R: c[0], G: c[1], B: c[2], A: 255}
	}
	return out
}

// Shorten cuts s to n runes, the last one an ellipsis, for tick labels
// and captions.
func Shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// ImageGridPNG draws images (raw C×H×W values up to rawMax) in a grid of
// cols columns, each under its caption, in cells of cell×1.2·cell.
func ImageGridPNG(path string, x []float32, shape []int, rawMax float32, idx []int, captions []string, cols int, cell vg.Length) error {
	size := shape[0] * shape[1] * shape[2]
	imgs := make([]image.Image, len(idx))
	for k, i := range idx {
		imgs[k] = toImage(x[i*size:(i+1)*size], shape, rawMax)
	}
	return PicturesGridPNG(path, imgs, captions, cols, cell)
}

// PicturesGridPNG draws pictures in a grid of cols columns, each under
// its caption, in cells of cell×1.2·cell.
func PicturesGridPNG(path string, imgs []image.Image, captions []string, cols int, cell vg.Length) error {
	if len(imgs) == 0 {
		return fmt.Errorf("%s: no images to draw", path)
	}
	rows := (len(imgs) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
	}
	for k, img := range imgs {
		p := plot.New()
		p.Title.Text = captions[k]
		p.Title.TextStyle.Font.Size = font.Length(10)
		p.HideAxes()
		p.Add(plotter.NewImage(img, 0, 0, 1, 1))
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
		grid[k/cols][k%cols] = p
	}
	return figures.SaveGridPNG(grid, vg.Length(cols)*cell, vg.Length(rows)*cell*1.2, path)
}

// toImage turns one C×H×W example into an image enlarged to about 128
// pixels a side (nearest neighbour: every pixel stays a crisp square).
func toImage(x []float32, shape []int, rawMax float32) image.Image {
	ch, h, w := shape[0], shape[1], shape[2]
	scale := max(1, 128/max(h, w))
	img := image.NewRGBA(image.Rect(0, 0, w*scale, h*scale))
	if rawMax <= 0 {
		// A source on no fixed scale (float32 IDX, as served inputs are
		// logged) is drawn on the example's own range.
		rawMax = 0
		for _, f := range x[:ch*h*w] {
			rawMax = max(rawMax, f)
		}
		if rawMax <= 0 {
			rawMax = 1
		}
	}
	v := func(c, y, x0 int) uint8 {
		f := x[c*h*w+y*w+x0] / rawMax
		return uint8(math.Round(float64(min(max(f, 0), 1)) * 255))
	}
	for y := range h {
		for x0 := range w {
			var col color.RGBA
			if ch >= 3 {
				col = color.RGBA{R: v(0, y, x0), G: v(1, y, x0), B: v(2, y, x0), A: 255}
			} else {
				// Ink dark on white paper, as digits are drawn.
				g := 255 - v(0, y, x0)
				col = color.RGBA{R: g, G: g, B: g, A: 255}
			}
			for dy := range scale {
				for dx := range scale {
					img.SetRGBA(x0*scale+dx, y*scale+dy, col)
				}
			}
		}
	}
	return img
}

// ExampleImage is one C×H×W example drawn as ImageGridPNG draws it, for
// figures that place images among plots.
func ExampleImage(x []float32, shape []int, rawMax float32) image.Image {
	return toImage(x, shape, rawMax)
}
