package figures

import (
	"bytes"
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/practica-ml/practica/internal/atomicfile"
)

// SaveGridPNG renders plots in a grid of rows (every row as long as the
// first; nil leaves a cell empty), their axes aligned by row and column,
// into one width×height PNG written atomically to path.
func SaveGridPNG(grid [][]*plot.Plot, width, height vg.Length, path string) error {
	if len(grid) == 0 || len(grid[0]) == 0 {
		return fmt.Errorf("rendering %s: an empty grid", path)
	}
	cols := len(grid[0])
	for i, row := range grid {
		if len(row) != cols {
			return fmt.Errorf("rendering %s: row %d has %d plots, row 0 has %d", path, i, len(row), cols)
		}
	}
	img := vgimg.New(width, height)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(grid), Cols: cols, PadTop: vg.Points(4), PadBottom: vg.Points(4),
		PadLeft: vg.Points(4), PadRight: vg.Points(4), PadX: vg.Points(12), PadY: vg.Points(10)}
	canvases := plot.Align(grid, tiles, dc)
	for i, row := range grid {
		for j, p := range row {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return fmt.Errorf("rendering %s: %w", path, err)
	}
	return atomicfile.Write(path, buf.Bytes())
}
