package figures

import (
	"image/png"
	"math"
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

// synthetic draws logits of n examples of c classes, each labelled with
// its top class, except that a label is replaced by a random class with a
// probability that falls as the top logit's margin grows: confident rows
// are mostly right, unsure ones often wrong, as a trained model's are. The
// drawing only needs reports with such a spread; t0 scales the logits.
func synthetic(n, c int, t0 float64, seed uint64) ([]float32, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	logits := make([]float32, n*c)
	labels := make([]int, n)
	for i := range labels {
		row := logits[i*c : (i+1)*c]
		top, second := 0, -1
		for k := range row {
			row[k] = float32(3 * t0 * rng.NormFloat64())
			if row[k] > row[top] {
				top = k
			}
		}
		for k := range row {
			if k != top && (second < 0 || row[k] > row[second]) {
				second = k
			}
		}
		labels[i] = top
		if margin := float64(row[top]-row[second]) / t0; rng.Float64() < math.Exp(-margin) {
			labels[i] = rng.IntN(c)
		}
	}
	return logits, labels
}
