package figures

import (
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/practica-ml/practica/calibration"
)

func TestReliabilityPNG(t *testing.T) {
	logits, labels := synthetic(3000, 4, 2, 3)
	T, err := calibration.FitTemperature(logits, labels, 4)
	if err != nil {
		t.Fatal(err)
	}
	before := calibration.WithInterval(calibration.Evaluate(calibration.Softmax(logits, 4, 1), labels, 4, 15), calibration.Softmax(logits, 4, 1), labels, 4, 15, 50, 1)
	after := calibration.Evaluate(calibration.Softmax(logits, 4, T), labels, 4, 15)
	dir := t.TempDir()
	for name, r := range map[string][2]calibration.Report{"fitted.png": {before, after}, "empty.png": {calibration.Evaluate(nil, nil, 4, 15), calibration.Evaluate(nil, nil, 4, 15)}} {
		path := filepath.Join(dir, name)
		if err := ReliabilityPNG(path, "synthetic, T = 2", r[0], r[1]); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != 1152 || b.Dy() != 720 {
			t.Errorf("%s: %v", name, b)
		}
	}
	if out := os.Getenv("RELIABILITY_PNG"); out != "" {
		if err := ReliabilityPNG(out, "synthetic logits calibrated at T = 2 (N 3000)", before, after); err != nil {
			t.Fatal(err)
		}
	}
}

// synthetic draws logits of n examples of c classes and labels sampled
// from softmax(logits / t0): a model whose probabilities are calibrated
// at temperature t0 (a copy of calibration's test helper).
func synthetic(n, c int, t0 float64, seed uint64) ([]float32, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	logits := make([]float32, n*c)
	labels := make([]int, n)
	for i := range n {
		for k := range c {
			logits[i*c+k] = float32(3 * rng.NormFloat64())
		}
		p := calibration.Softmax(logits[i*c:(i+1)*c], c, t0)
		u, acc := rng.Float64(), 0.0
		labels[i] = c - 1
		for k, v := range p {
			if acc += v; u < acc {
				labels[i] = k
				break
			}
		}
	}
	return logits, labels
}
