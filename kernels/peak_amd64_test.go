package kernels

import (
	"sync"
	"testing"
)

// BenchmarkPeakFMA measures the machine's float32 peak, the ceiling for
// BenchmarkSgemm: register-only AVX2 FMAs, on one goroutine and on two.
func BenchmarkPeakFMA(b *testing.B) {
	if !hasAVX2() {
		b.Skip("no AVX2/FMA")
	}
	const iters = 1 << 20 // 192 Mflop per call
	for _, workers := range []int{1, 2} {
		b.Run(map[int]string{1: "1-core", 2: "2-cores"}[workers], func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var wg sync.WaitGroup
				for w := 0; w < workers; w++ {
					wg.Add(1)
					go func() { defer wg.Done(); fmaLoop(iters) }()
				}
				wg.Wait()
			}
			b.ReportMetric(float64(workers)*192*iters*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
