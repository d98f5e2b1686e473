package kernels

import (
	"sync"
	"testing"
)

// BenchmarkPeakFMA measures the machine's float32 peak, the ceiling for
// BenchmarkSgemm: register-only FMAs, on one goroutine and on two, with
// 8-lane AVX2 registers and, where the CPU has AVX-512, 16-lane ones
// (whether they double the rate depends on the core's FMA units).
func BenchmarkPeakFMA(b *testing.B) {
	if !hasAVX2() {
		b.Skip("no AVX2/FMA")
	}
	const iters = 1 << 20
	loops := []struct {
		name  string
		flops float64 // per iteration
		run   func(int)
	}{{"avx2", 192, fmaLoop}}
	if hasAVX512() {
		loops = append(loops, struct {
			name  string
			flops float64
			run   func(int)
		}{"avx512", 384, fmaLoop512})
	}
	for _, l := range loops {
		for _, workers := range []int{1, 2} {
			b.Run(l.name+"/"+map[int]string{1: "1-core", 2: "2-cores"}[workers], func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					var wg sync.WaitGroup
					for w := 0; w < workers; w++ {
						wg.Add(1)
						go func() { defer wg.Done(); l.run(iters) }()
					}
					wg.Wait()
				}
				b.ReportMetric(float64(workers)*l.flops*iters*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
