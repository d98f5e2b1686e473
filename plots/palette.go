package plots

import "image/color"

// Tab10 is the Tableau 10 palette: ten colours that stay distinct side by
// side, for series and classes.
var Tab10 = [...]color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255},
	{140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255}, {188, 189, 34, 255}, {23, 190, 207, 255},
}

// Named colours of Tab10.
var (
	Blue   = Tab10[0]
	Orange = Tab10[1]
	Green  = Tab10[2]
	Red    = Tab10[3]
	Grey   = color.RGBA{R: 120, G: 120, B: 120, A: 255}
)

// Series returns the i-th colour of Tab10, cycling.
func Series(i int) color.RGBA { return Tab10[i%len(Tab10)] }
