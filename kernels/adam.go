package kernels

import "math"

// AdamUpdate applies one Adam step to the weights w from their gradient g,
// moving the moments m and v, and zeroes g for the next step:
//
//	m ← b1·m + (1−b1)·g
//	v ← b2·v + (1−b2)·g·g
//	w ← w − stepSize·m / (√v·invSqrtBC2 + eps)
//
// (stepSize = lr/(1−b1ᵗ) and invSqrtBC2 = 1/√(1−b2ᵗ) carry the bias
// corrections, as PyTorch computes them.) On AVX CPUs eight weights go at a
// time; every path rounds each operation the same way, so the result is
// bit-identical to adamGo's. A large tensor is updated in two halves at
// once: each weight's update reads only its own values, so the split
// changes nothing.
func AdamUpdate(w, g, m, v []float32, b1, b2, stepSize, invSqrtBC2, eps float32) {
	n := len(w)
	g, m, v = g[:n], m[:n], v[:n]
	split(n, n, func(lo, hi int) {
		w, g, m, v := w[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi]
		done := adamVector(w, g, m, v, b1, b2, stepSize, invSqrtBC2, eps)
		adamGo(w[done:], g[done:], m[done:], v[done:], b1, b2, stepSize, invSqrtBC2, eps)
	})
}

// adamGo is the portable loop (Go does not fuse multiply-adds on amd64).
func adamGo(w, g, m, v []float32, b1, b2, stepSize, invSqrtBC2, eps float32) {
	n := len(w)
	g, m, v = g[:n], m[:n], v[:n]
	c1, c2 := 1-b1, 1-b2
	for k := range w {
		gk := g[k]
		mk := b1*m[k] + c1*gk
		vk := b2*v[k] + c2*gk*gk
		m[k], v[k] = mk, vk
		// A float64 square root rounded to float32 is the correctly
		// rounded float32 square root, as VSQRTPS computes it.
		w[k] -= stepSize * mk / (float32(math.Sqrt(float64(vk)))*invSqrtBC2 + eps)
		g[k] = 0
	}
}
