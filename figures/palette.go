package figures

import "image/color"

// tab10 is the Tableau 10 palette: ten colours that stay distinct side by
// side, for series and classes. It is unexported so that no importer can
// recolour every figure by assigning to it; Tab10 hands out copies.
var tab10 = [...]color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255},
	{140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255}, {188, 189, 34, 255}, {23, 190, 207, 255},
}

// Tab10 returns the Tableau 10 palette (a copy: an array value).
func Tab10() [10]color.RGBA { return tab10 }

// Series returns the i-th colour of Tab10, cycling.
func Series(i int) color.RGBA { return tab10[i%len(tab10)] }

// Blue is Tab10's first colour.
func Blue() color.RGBA { return tab10[0] }

// Orange is Tab10's second colour.
func Orange() color.RGBA { return tab10[1] }

// Green is Tab10's third colour.
func Green() color.RGBA { return tab10[2] }

// Red is Tab10's fourth colour.
func Red() color.RGBA { return tab10[3] }

// Grey is a neutral grey for markers and reference lines.
func Grey() color.RGBA { return color.RGBA{R: 120, G: 120, B: 120, A: 255} }
