package figures

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/practica-ml/practica/train"
)

func TestCurvesPNG(t *testing.T) {
	var h []train.EpochMetrics
	for i := 1; i <= 12; i++ {
		h = append(h, train.EpochMetrics{Epoch: i, TrainEvalLoss: 2 / float64(i*i), ValLoss: 2/float64(i) + 0.01*float64(i), ValAccuracy: 1 - 0.5/float64(i)})
	}
	path := filepath.Join(t.TempDir(), "curves.png")
	if err := CurvesPNG(path, h, 6, "patience"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if r := img.Bounds(); r.Dx() != 768 || r.Dy() != 672 {
		t.Fatalf("image is %v, want 768×672 (8×7 in at 96 dpi)", r)
	}
	if os.Getenv("PRACTICA_KEEP_PLOTS") != "" {
		os.WriteFile(filepath.Join(os.Getenv("PRACTICA_KEEP_PLOTS"), "curves.png"), b, 0o644)
	}
}
