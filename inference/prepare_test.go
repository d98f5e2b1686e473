package inference

import (
	"math"
	"strings"
	"testing"

	"github.com/practica-ml/practica/model"
)

// TestPrepareRejectsNonFinite: without imputation a NaN or an infinity is
// refused naming its example and feature, and every finite value passes,
// the extremes of float32 included.
func TestPrepareRejectsNonFinite(t *testing.T) {
	shape := []int{1, 8, 8}
	p := benchPredictor(t, model.Spec{Arch: model.CNN}.WithDefaults(shape), shape, []string{"a", "b"}, 16)
	finite := []float32{0, float32(math.Copysign(0, -1)), math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, 1e-38, 16}
	for _, v := range finite {
		raw := make([]float32, 2*64)
		raw[64+5] = v
		if _, err := p.prepare(raw); err != nil {
			t.Errorf("%v: %v", v, err)
		}
	}
	for _, v := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		raw := make([]float32, 2*64)
		raw[64+5] = v
		_, err := p.prepare(raw)
		if err == nil || !strings.Contains(err.Error(), "example 1, feature 5 is") {
			t.Errorf("%v: got %v, want example 1, feature 5 named", v, err)
		}
	}
}
