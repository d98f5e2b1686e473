package drift

import (
	"fmt"
	"math/rand/v2"
)

// Sample returns up to k indices of n examples, drawn without replacement
// with seed and sorted by draw order; all of them, in order, when n <= k.
func Sample(n, k int, seed uint64) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if n <= k {
		return idx
	}
	rng := rand.New(rand.NewPCG(seed, 0x73616d70))
	rng.Shuffle(n, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	return idx[:k]
}

// Channels returns the per-channel mean and standard deviation of the
// pixels of images of shape C×H×W, row-major: the brightness and the
// contrast.
func Channels(x []float32, shape []int) (mean, std []float64, err error) {
	if len(shape) != 3 {
		return nil, nil, fmt.Errorf("images have shape %v, not C×H×W", shape)
	}
	c, hw := shape[0], shape[1]*shape[2]
	if len(x) == 0 || len(x)%(c*hw) != 0 {
		return nil, nil, fmt.Errorf("%d values are not whole images of shape %v", len(x), shape)
	}
	n := len(x) / (c * hw)
	mean, std = make([]float64, c), make([]float64, c)
	for ch := range c {
		var s, sq float64
		for i := range n {
			for _, v := range x[(i*c+ch)*hw : (i*c+ch+1)*hw] {
				s += float64(v)
				sq += float64(v) * float64(v)
			}
		}
		cnt := float64(n * hw)
		mean[ch] = s / cnt
		std[ch] = sqrtPos(sq/cnt - mean[ch]*mean[ch])
	}
	return mean, std, nil
}
