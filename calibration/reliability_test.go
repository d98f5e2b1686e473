package calibration

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestReliabilityPNG(t *testing.T) {
	logits, labels := synthetic(3000, 4, 2, 3)
	T, err := FitTemperature(logits, labels, 4)
	if err != nil {
		t.Fatal(err)
	}
	before := WithInterval(Evaluate(Softmax(logits, 4, 1), labels, 4, 15), Softmax(logits, 4, 1), labels, 4, 15, 50, 1)
	after := Evaluate(Softmax(logits, 4, T), labels, 4, 15)
	dir := t.TempDir()
	for name, r := range map[string][2]Report{"fitted.png": {before, after}, "empty.png": {Evaluate(nil, nil, 4, 15), Evaluate(nil, nil, 4, 15)}} {
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
