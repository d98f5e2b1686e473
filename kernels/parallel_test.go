package kernels

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestBothRunsEachOnce: every half runs exactly once whether the helper
// takes it, the caller takes it back, the helper is held by another split
// (nested splits, and splits from several goroutines at once), or the
// helper has parked.
func TestBothRunsEachOnce(t *testing.T) {
	cases := []struct {
		name       string
		goroutines int
		depth      int
	}{
		{"one split", 1, 1},
		{"nested splits", 1, 4},
		{"splits from eight goroutines", 8, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			leaves := 1 << c.depth
			counts := make([]atomic.Int32, c.goroutines*leaves)
			var tree func(base, depth int)
			tree = func(base, depth int) {
				if depth == 0 {
					counts[base].Add(1)
					return
				}
				half := 1 << (depth - 1)
				Both(func() { tree(base, depth-1) }, func() { tree(base+half, depth-1) })
			}
			for round := 0; round < 200; round++ {
				var wg sync.WaitGroup
				for g := 0; g < c.goroutines; g++ {
					wg.Add(1)
					go func() { defer wg.Done(); tree(g*leaves, c.depth) }()
				}
				wg.Wait()
			}
			for i := range counts {
				if n := counts[i].Load(); n != 200 {
					t.Fatalf("leaf %d ran %d times in 200 rounds", i, n)
				}
			}
		})
	}
}
