package kernels

// BiasReLU adds the bias b to every row of y (rows of len(b) values) and,
// with relu, keeps the positive part: y = max(y+b, 0), the values of
// gorgonia's broadcast add followed by the ReLU op (NaN stays NaN, -0
// becomes +0, as Go's max has it), in one pass. The rows are split
// between two goroutines when there are enough of them.
func BiasReLU(y, b []float32, relu bool) {
	width := len(b)
	if width == 0 {
		return
	}
	rows := len(y) / width
	split(rows, len(y), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			biasReLURow(y[r*width:(r+1)*width], b, relu)
		}
	})
}

func biasReLURow(y, b []float32, relu bool) {
	done := biasReLUVector(y, b, relu)
	y, b = y[done:], b[done:len(y)]
	for j := range y {
		v := y[j] + b[j]
		if relu {
			v = max(v, 0)
		}
		y[j] = v
	}
}
