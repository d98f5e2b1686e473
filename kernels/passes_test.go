package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The passes rewritten for speed are checked bit for bit against the
// plain loops they replaced, kept here as references.

// biasGradRef sums each channel in one float64 chain.
func biasGradRef(dy, db []float32, n, o, hw int) {
	for ch := 0; ch < o; ch++ {
		var s float64
		for img := 0; img < n; img++ {
			for _, v := range dy[(img*o+ch)*hw : (img*o+ch+1)*hw] {
				s += float64(v)
			}
		}
		db[ch] = float32(s)
	}
}

func TestBiasGradBits(t *testing.T) {
	cases := []struct{ n, o, hw int }{{1, 1, 5}, {3, 7, 9}, {4, 8, 16}, {5, 19, 12}, {128, 32, 784}}
	rng := rand.New(rand.NewPCG(2, 2))
	for _, c := range cases {
		dy := make([]float32, c.n*c.o*c.hw)
		for i := range dy {
			dy[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(6))-3))
		}
		got, want := make([]float32, c.o), make([]float32, c.o)
		biasGrad(dy, got, c.n, c.o, c.hw)
		biasGradRef(dy, want, c.n, c.o, c.hw)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%+v: db[%d] = %v, reference %v", c, i, got[i], want[i])
			}
		}
	}
}
