package stats

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkFitPCA fits a PCA on the naive-embedding probe's largest input:
// 5,000 rows of 784 pixels (Fashion-MNIST's shape), keeping up to 50
// components.
func BenchmarkFitPCA(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, 5000*784)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	for b.Loop() {
		if _, err := FitPCA(x, 784, 0.95, 50); err != nil {
			b.Fatal(err)
		}
	}
}
