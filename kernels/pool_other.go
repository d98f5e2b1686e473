//go:build !amd64

package kernels

func poolForwardVector(x, y []float32, arg []uint8, lo, hi, h, w int, relu bool) bool { return false }

func poolBackwardVector(dy, dx []float32, arg []uint8, lo, hi, h, w int) bool { return false }

func col2imVector(col, x []float32, c, h, w int) bool { return false }

func poolTermsVector(dy []float32, arg []uint8, terms []float32, planes, oh, ow int) bool {
	return false
}
