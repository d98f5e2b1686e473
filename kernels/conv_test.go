package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// directConv is the textbook 3×3 same-padding convolution in float64.
func directConv(x, w, b []float32, n, c, h, wd, o int) []float64 {
	out := make([]float64, n*o*h*wd)
	for img := 0; img < n; img++ {
		for oc := 0; oc < o; oc++ {
			for i := 0; i < h; i++ {
				for j := 0; j < wd; j++ {
					s := float64(b[oc])
					for ic := 0; ic < c; ic++ {
						for ki := 0; ki < 3; ki++ {
							for kj := 0; kj < 3; kj++ {
								si, sj := i+ki-1, j+kj-1
								if si < 0 || si >= h || sj < 0 || sj >= wd {
									continue
								}
								s += float64(x[((img*c+ic)*h+si)*wd+sj]) * float64(w[((oc*c+ic)*3+ki)*3+kj])
							}
						}
					}
					out[((img*o+oc)*h+i)*wd+j] = s
				}
			}
		}
	}
	return out
}

// TestConvForwardAndGradients checks the float32 convolution against a
// direct one, and its three gradients against the float64 path's (whose
// correctness the model's finite-difference check establishes), on odd
// sizes and an odd number of images (uneven halves).
func TestConvForwardAndGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, s := range [][5]int{{1, 1, 3, 3, 2}, {3, 2, 5, 7, 4}, {4, 3, 8, 8, 8}, {3, 30, 17, 17, 7}, {2, 1, 28, 28, 13}} {
		n, c, h, wd, o := s[0], s[1], s[2], s[3], s[4]
		x, w, b := randVec(rng, n*c*h*wd), randVec(rng, o*c*9), randVec(rng, o)
		out := make([]float32, n*o*h*wd)
		convForward32(x, w, b, out, n, c, h, wd, o, &convScratch{}, nil)
		for i, want := range directConv(x, w, b, n, c, h, wd, o) {
			if math.Abs(float64(out[i])-want) > 1e-4 {
				t.Fatalf("%v: y[%d] = %v, want %v", s, i, out[i], want)
			}
		}
		dy := randVec(rng, n*o*h*wd)
		x64, w64, dy64 := to64(x), to64(w), to64(dy)
		dx, dx64 := make([]float32, len(x)), make([]float64, len(x))
		convBackwardInput32(w, dy, dx, n, c, o, h, wd, &convScratch{})
		convBackwardInput(w64, dy64, dx64, n, c, o, h, wd, gemm64)
		dw, dw64 := make([]float32, len(w)), make([]float64, len(w))
		convBackwardFilter32(x, dy, dw, n, c, h, wd, o, &convScratch{})
		convBackwardFilter(x64, dy64, dw64, tensor.Shape{n, c, h, wd}, o, gemm64)
		db := make([]float32, o)
		biasGrad(dy, db, n, o, h*wd)
		for name, pair := range map[string][2]any{"dx": {dx, dx64}, "dw": {dw, dw64}} {
			got, want := pair[0].([]float32), pair[1].([]float64)
			for i := range want {
				if math.Abs(float64(got[i])-want[i]) > 1e-3 {
					t.Fatalf("%v: %s[%d] = %v, want %v", s, name, i, got[i], want[i])
				}
			}
		}
		for oc := 0; oc < o; oc++ {
			var want float64
			for img := 0; img < n; img++ {
				for k := 0; k < h*wd; k++ {
					want += float64(dy[(img*o+oc)*h*wd+k])
				}
			}
			if math.Abs(float64(db[oc])-want) > 1e-4 {
				t.Fatalf("%v: db[%d] = %v, want %v", s, oc, db[oc], want)
			}
		}
	}
}

func to64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
