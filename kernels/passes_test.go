package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The passes rewritten for speed are checked bit for bit against the
// plain loops they replace, kept here as references.

// poolBackwardRef clears dx and scatters each window's gradient to its
// maximum.
func poolBackwardRef(dy, dx []float32, arg []uint8, planes, h, w int) {
	oh, ow := h/2, w/2
	clear(dx[:planes*h*w])
	for p := 0; p < planes; p++ {
		g, out, am := dy[p*oh*ow:(p+1)*oh*ow], dx[p*h*w:(p+1)*h*w], arg[p*oh*ow:(p+1)*oh*ow]
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				k := int(am[i*ow+j])
				out[(2*i+k>>1&1)*w+2*j+k&1] = g[i*ow+j] * float32(k>>2)
			}
		}
	}
}

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

func TestPoolBackwardBits(t *testing.T) {
	cases := []struct {
		planes, h, w int
		relu         bool
	}{
		{3, 4, 4, false}, {3, 4, 4, true}, {5, 7, 6, true}, {2, 6, 9, false}, {4, 5, 5, true}, {64, 14, 14, true},
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for _, c := range cases {
		x := make([]float32, c.planes*c.h*c.w)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
			if i%7 == 0 {
				x[i] = 0 // ties and relu-stopped windows
			}
		}
		oh, ow := c.h/2, c.w/2
		y, arg := make([]float32, c.planes*oh*ow), make([]uint8, c.planes*oh*ow)
		poolForward32(x, y, arg, c.planes, c.h, c.w, c.relu)
		dy := make([]float32, len(y))
		for i := range dy {
			dy[i] = float32(rng.NormFloat64())
		}
		got, want := make([]float32, len(x)), make([]float32, len(x))
		for i := range got {
			got[i] = float32(math.NaN()) // every value must be written
		}
		poolBackward32(dy, got, arg, c.planes, c.h, c.w)
		poolBackwardRef(dy, want, arg, c.planes, c.h, c.w)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%+v: dx[%d] = %v (bits %x), reference %v (bits %x)", c, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
		}
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
