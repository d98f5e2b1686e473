package figures

import (
	"bytes"
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/practica-ml/practica/internal/atomicfile"
)

// New returns a plot with a title, axis labels and font sizes that stay
// readable at the sizes Practica saves.
func New(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Title.TextStyle.Font.Size = font.Length(14)
	p.X.Label.TextStyle.Font.Size = font.Length(12)
	p.Y.Label.TextStyle.Font.Size = font.Length(12)
	p.X.Tick.Label.Font.Size = font.Length(10)
	p.Y.Tick.Label.Font.Size = font.Length(10)
	p.Legend.TextStyle.Font.Size = font.Length(10)
	p.Legend.Top = true
	return p
}

// SavePNG renders p at width×height (in inches, at 96 dpi) and writes it to
// path atomically.
func SavePNG(p *plot.Plot, width, height vg.Length, path string) error {
	w, err := p.WriterTo(width, height, "png")
	if err != nil {
		return fmt.Errorf("rendering %s: %w", path, err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return fmt.Errorf("rendering %s: %w", path, err)
	}
	return atomicfile.Write(path, buf.Bytes())
}

// SaveStackPNG renders plots stacked vertically, their x axes aligned, into
// one width×height PNG written atomically to path.
func SaveStackPNG(stack []*plot.Plot, width, height vg.Length, path string) error {
	img := vgimg.New(width, height)
	dc := draw.New(img)
	grid := make([][]*plot.Plot, len(stack))
	for i, p := range stack {
		grid[i] = []*plot.Plot{p}
	}
	tiles := draw.Tiles{Rows: len(stack), Cols: 1, PadTop: vg.Points(4), PadBottom: vg.Points(4), PadX: vg.Points(4), PadY: vg.Points(8)}
	canvases := plot.Align(grid, tiles, dc)
	for i, p := range stack {
		p.Draw(canvases[i][0])
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return fmt.Errorf("rendering %s: %w", path, err)
	}
	return atomicfile.Write(path, buf.Bytes())
}

// finite tells whether v can be drawn: neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
