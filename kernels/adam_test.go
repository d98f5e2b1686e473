package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestAdamUpdateMatchesPortableLoop: the vector path gives adamGo's bits,
// over several steps and lengths that leave a scalar tail, and zeroes g.
func TestAdamUpdateMatchesPortableLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{0, 1, 7, 8, 9, 64, 1003} {
		w, m, v := randVec(rng, n), make([]float32, n), make([]float32, n)
		w2, m2, v2 := slices.Clone(w), slices.Clone(m), slices.Clone(v)
		for step := 1; step <= 5; step++ {
			g := randVec(rng, n)
			if n > 3 {
				g[3] = 0 // v stays 0 there at step 1: eps alone in the denominator
			}
			g2 := slices.Clone(g)
			bc1, bc2 := 1-math.Pow(0.9, float64(step)), 1-math.Pow(0.999, float64(step))
			step32, inv := float32(1e-3/bc1), float32(1/math.Sqrt(bc2))
			AdamUpdate(w, g, m, v, 0.9, 0.999, step32, inv, 1e-8)
			adamGo(w2, g2, m2, v2, 0.9, 0.999, step32, inv, 1e-8)
			for k := range w {
				if math.Float32bits(w[k]) != math.Float32bits(w2[k]) || m[k] != m2[k] || v[k] != v2[k] || g[k] != 0 {
					t.Fatalf("n=%d step %d element %d: w %v m %v v %v g %v; portable w %v m %v v %v", n, step, k, w[k], m[k], v[k], g[k], w2[k], m2[k], v2[k])
				}
			}
		}
	}
}

// TestAdamFirstStep: Adam's first step moves each weight by lr·sign(g)
// (m/√v = g/|g| after bias correction), the textbook value.
func TestAdamFirstStep(t *testing.T) {
	w := []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}
	g := []float32{0.5, -2, 3, -0.01, 100, -7, 0.25, 1, -1}
	m, v := make([]float32, 9), make([]float32, 9)
	AdamUpdate(w, g, m, v, 0.9, 0.999, float32(0.1/0.1), float32(1/math.Sqrt(0.001)), 1e-8)
	want := []float64{0.9, 1.1, 0.9, 1.1, 0.9, 1.1, 0.9, 0.9, 1.1}
	for k := range w {
		if math.Abs(float64(w[k])-want[k]) > 1e-5 {
			t.Errorf("w[%d] = %v, want %v", k, w[k], want[k])
		}
	}
}

// BenchmarkAdamUpdate: one Adam step over the MLP's largest tensor
// (784×256 weights), the gradient's copy included; -cpu 1,2 shows what
// the two halves gain.
func BenchmarkAdamUpdate(b *testing.B) {
	n := 784 * 256
	w, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range w {
		w[i], g[i] = 0.01*float32(i%97), 0.001*float32(i%13)
	}
	g0 := append([]float32(nil), g...)
	b.SetBytes(int64(n) * 4 * 7)
	for i := 0; i < b.N; i++ {
		// a fresh gradient each step, as training has: with the zeroed
		// one the moments decay into subnormal numbers, which are slow
		copy(g, g0)
		AdamUpdate(w, g, m, v, 0.9, 0.999, 1e-3, 1, 1e-8)
	}
}
