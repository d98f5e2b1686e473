package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
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

// TestBiasReLUBits: the vector pass gives the plain loop's bits, NaN,
// infinities, -0 and rows of every width's tail included.
func TestBiasReLUBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Copysign(0, -1)), 0}
	for _, width := range []int{1, 7, 8, 10, 31, 128, 256} {
		for _, relu := range []bool{false, true} {
			rows := 130
			y := make([]float32, rows*width)
			b := make([]float32, width)
			for i := range y {
				y[i] = float32(rng.NormFloat64())
				if rng.IntN(10) == 0 {
					y[i] = special[rng.IntN(len(special))]
				}
			}
			for j := range b {
				b[j] = float32(rng.NormFloat64())
				if rng.IntN(5) == 0 {
					b[j] = special[rng.IntN(len(special))]
				}
			}
			want := append([]float32(nil), y...)
			for i := range want {
				v := want[i] + b[i%width]
				if relu {
					v = max(v, 0)
				}
				want[i] = v
			}
			BiasReLU(y, b, relu)
			for i := range y {
				if math.Float32bits(y[i]) != math.Float32bits(want[i]) && !(y[i] != y[i] && want[i] != want[i]) {
					t.Fatalf("width %d relu %v: y[%d] = %v, want %v", width, relu, i, y[i], want[i])
				}
			}
		}
	}
}

// col2imRef folds the unfolded gradient back value by value.
func col2imRef(col, x []float32, c, h, w int) {
	hw := h * w
	clear(x[:c*hw])
	for ch := 0; ch < c; ch++ {
		for ki := 0; ki < 3; ki++ {
			for kj := 0; kj < 3; kj++ {
				row := col[(ch*9+ki*3+kj)*hw:]
				for i := 0; i < h; i++ {
					for j := 0; j < w; j++ {
						si, sj := i+ki-1, j+kj-1
						if si >= 0 && si < h && sj >= 0 && sj < w {
							x[ch*hw+si*w+sj] += row[i*w+j]
						}
					}
				}
			}
		}
	}
}

// specialFloat32 draws a value that stresses a pass's exactness: ties
// (small integers), both zeros, infinities and NaNs of either sign with
// random payloads.
func specialFloat32(rng *rand.Rand) float32 {
	switch rng.IntN(8) {
	case 0:
		return math.Float32frombits(0x7fc00000 | rng.Uint32()&0x803fffff) // quiet NaN, any sign and payload
	case 1:
		return float32(math.Copysign(0, -1))
	case 2:
		return 0
	case 3:
		return float32(math.Inf(1 - 2*rng.IntN(2)))
	case 4, 5:
		return float32(rng.IntN(5) - 2)
	default:
		return float32(rng.NormFloat64())
	}
}

func TestCol2imBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	shapes := []struct{ c, h, w int }{{1, 1, 1}, {2, 3, 5}, {3, 9, 17}, {32, 14, 14}, {1, 28, 28}, {2, 2, 16}, {2, 4, 15}, {1, 3, 32}, {1, 5, 33}, {3, 7, 7}}
	for _, c := range shapes {
		for _, special := range []bool{false, true} {
			col := make([]float32, c.c*9*c.h*c.w)
			for i := range col {
				col[i] = float32(rng.NormFloat64())
				if special && rng.IntN(4) == 0 {
					col[i] = specialFloat32(rng)
				}
			}
			got, want := make([]float32, c.c*c.h*c.w), make([]float32, c.c*c.h*c.w)
			for i := range got {
				got[i] = float32(i) // overwritten, not added to
			}
			col2im(col, got, c.c, c.h, c.w)
			col2imRef(col, want, c.c, c.h, c.w)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%+v special %v: x[%d] = %v (%#x), reference %v (%#x)", c, special, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
				}
			}
		}
	}
}

// TestPoolVectorBits: the max-pool's vector passes give the plain loops'
// outputs, winners and gradients bit for bit (NaN payloads, both zeros,
// ties and planes of odd sides and of more than 16 windows a row
// included), with and without the fused relu.
func TestPoolVectorBits(t *testing.T) {
	if !usePoolVector {
		t.Skip("no AVX-512 here: the plain loops run, with nothing to compare them to")
	}
	rng := rand.New(rand.NewPCG(6, 6))
	shapes := []struct{ planes, h, w int }{{1, 2, 2}, {3, 3, 5}, {2, 4, 30}, {2, 6, 33}, {5, 28, 28}, {7, 14, 14}, {4, 7, 7}, {1, 2, 64}, {2, 5, 66}, {1, 1, 4}}
	for _, c := range shapes {
		for _, relu := range []bool{false, true} {
			x := make([]float32, c.planes*c.h*c.w)
			for i := range x {
				x[i] = specialFloat32(rng)
			}
			oh, ow := c.h/2, c.w/2
			y, yRef := make([]float32, c.planes*oh*ow), make([]float32, c.planes*oh*ow)
			arg, argRef := make([]uint8, len(y)), make([]uint8, len(y))
			poolForwardPlanes(x, y, arg, 0, c.planes, c.h, c.w, relu)
			poolForwardLoop(x, yRef, argRef, 0, c.planes, c.h, c.w, relu)
			for i := range y {
				if math.Float32bits(y[i]) != math.Float32bits(yRef[i]) || arg[i] != argRef[i] {
					t.Fatalf("%+v relu %v: window %d gives %v (%#x) code %d, loop %v (%#x) code %d", c, relu, i, y[i], math.Float32bits(y[i]), arg[i], yRef[i], math.Float32bits(yRef[i]), argRef[i])
				}
			}
			dy := make([]float32, len(y))
			for i := range dy {
				dy[i] = specialFloat32(rng)
			}
			dx, dxRef := make([]float32, len(x)), make([]float32, len(x))
			for i := range dx {
				dx[i], dxRef[i] = 7, 7 // overwritten everywhere
			}
			poolBackwardPlanes(dy, dx, arg, 0, c.planes, c.h, c.w)
			poolBackwardLoop(dy, dxRef, arg, 0, c.planes, c.h, c.w)
			for i := range dx {
				if math.Float32bits(dx[i]) != math.Float32bits(dxRef[i]) {
					t.Fatalf("%+v relu %v: dx[%d] = %v (%#x), loop %v (%#x)", c, relu, i, dx[i], math.Float32bits(dx[i]), dxRef[i], math.Float32bits(dxRef[i]))
				}
			}
		}
	}
}

// TestGatherPanelBits: a panel packed by the vector paths (runs of
// consecutive offsets loaded plainly, other columns gathered) holds the
// plain loop's values, the lanes past the last column zero.
func TestGatherPanelBits(t *testing.T) {
	if !useGather {
		t.Skip("no AVX-512 here: the plain loop runs, with nothing to compare it to")
	}
	rng := rand.New(rand.NewPCG(7, 7))
	padded := make([]float32, 4096)
	for i := range padded {
		padded[i] = float32(rng.NormFloat64())
	}
	fwd := newGeometry(3, 14, 14) // columns: positions along image rows
	wide := newGeometry(2, 7, 40)
	scattered := make([]int32, nr)
	for j := range scattered {
		scattered[j] = int32(rng.IntN(1000))
	}
	cases := []struct {
		name       string
		rows, cols []int32
	}{
		{"forward, two runs", fwd.rowOff, fwd.posOff[0:16]},
		{"forward, mid-image", fwd.rowOff[5:20], fwd.posOff[80:96]},
		{"forward, last partial panel", fwd.rowOff, fwd.posOff[192:196]},
		{"forward, one run", wide.rowOff, wide.posOff[3:19]},
		{"filter gradient, runs of three", fwd.posOff[:40], fwd.rowOff[0:16]},
		{"filter gradient, partial", fwd.posOff[100:140], fwd.rowOff[16:27]},
		{"scattered: gathered", fwd.rowOff[:9], scattered},
		{"one column", fwd.rowOff[:4], fwd.posOff[7:8]},
	}
	for _, c := range cases {
		got, want := make([]float32, len(c.rows)*nr), make([]float32, len(c.rows)*nr)
		for i := range got {
			got[i], want[i] = -1, -1
		}
		if !gatherVector(got, padded, c.rows, c.cols, slices.Max(c.rows)) {
			t.Fatalf("%s: the vector path did not run", c.name)
		}
		for kk, base := range c.rows {
			for j, o := range c.cols {
				want[kk*nr+j] = padded[base+o]
			}
			clear(want[kk*nr+len(c.cols) : (kk+1)*nr])
		}
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s: panel[%d] = %v, want %v", c.name, i, got[i], want[i])
			}
		}
	}
}

// TestAddConstBits: the vector pass adds a constant as the loop does, NaN
// payloads (either side's), infinities, both zeros and every tail length
// included.
func TestAddConstBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for n := 0; n <= 40; n++ {
		for trial := 0; trial < 20; trial++ {
			v := specialFloat32(rng)
			got := make([]float32, n)
			for i := range got {
				got[i] = specialFloat32(rng)
			}
			want := append([]float32(nil), got...)
			for i := range want {
				want[i] += v
			}
			addConst(got, v)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("n %d: %v + %v = %#x, loop %#x", n, got[i], v, math.Float32bits(got[i]), math.Float32bits(want[i]))
				}
			}
		}
	}
}

// TestPoolTermsBits: the bias gradient summed over the pool's terms is the
// one summed over the input gradient the pool's backward pass scatters,
// bit for bit (both zeros, infinities and NaNs among the gradients, ties
// and windows that do not pass among the winners), by the vector pass and
// the plain loop alike.
func TestPoolTermsBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	shapes := []struct{ n, o, h, w int }{{1, 1, 2, 2}, {3, 5, 7, 9}, {4, 8, 28, 28}, {2, 3, 14, 14}, {2, 2, 6, 66}, {5, 9, 5, 3}}
	for _, c := range shapes {
		for trial := 0; trial < 4; trial++ {
			relu, special := trial%2 == 1, trial >= 2
			planes, oh, ow := c.n*c.o, c.h/2, c.w/2
			x := make([]float32, planes*c.h*c.w)
			for i := range x {
				x[i] = specialFloat32(rng)
			}
			y, arg := make([]float32, planes*oh*ow), make([]uint8, planes*oh*ow)
			poolForwardLoop(x, y, arg, 0, planes, c.h, c.w, relu)
			dy := make([]float32, len(y))
			for i := range dy {
				dy[i] = float32(rng.NormFloat64())
				if rng.IntN(8) == 0 {
					// ±2⁶⁰, which cancel: what is added between them is lost, so the order shows
					dy[i] = float32(math.Ldexp(float64(1-2*rng.IntN(2)), 60))
				}
				if special && rng.IntN(40) == 0 {
					dy[i] = specialFloat32(rng)
				}
			}
			dx := make([]float32, len(x))
			poolBackwardLoop(dy, dx, arg, 0, planes, c.h, c.w)
			want := make([]float32, c.o)
			biasGrad(dx, want, c.n, c.o, c.h*c.w)
			for _, vector := range []bool{false, true} {
				terms := make([]float32, len(y))
				if vector {
					poolTerms(dy, arg, terms, planes, oh, ow)
				} else {
					poolTermsLoop(dy, arg, terms, planes, oh, ow)
				}
				got := make([]float32, c.o)
				biasGrad(terms, got, c.n, c.o, oh*ow)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%+v relu %v special %v vector %v: db[%d] = %v (%#x), from the scattered gradient %v (%#x)", c, relu, special, vector, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
					}
				}
			}
		}
	}
}
