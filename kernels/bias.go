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

// addInto adds src into dst value by value (dst[j] += src[j]), float32
// rows with AVX: the same additions, each rounded as the loop rounds it.
func addInto[T float32 | float64](dst, src []T) {
	src = src[:len(dst)]
	done := 0
	if d, ok := any(dst).([]float32); ok {
		done = addVector(d, any(src).([]float32))
	}
	for j := done; j < len(dst); j++ {
		dst[j] += src[j]
	}
}

// addConst adds v to every value of dst (dst[j] += v), with AVX where
// the CPU has it: the same additions, each rounded as the loop rounds it.
func addConst(dst []float32, v float32) {
	for j := addConstVector(dst, v); j < len(dst); j++ {
		dst[j] += v
	}
}
