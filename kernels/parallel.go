package kernels

import "sync"

// minParallel is the number of elements below which an elementwise op
// stays on one goroutine: starting a second costs more than it saves.
const minParallel = 1 << 15

// halves runs f on the items [0, n/2) and [n/2, n) concurrently; f gets
// its half's index (0 or 1) and range.
func halves(n int, f func(part, lo, hi int)) {
	if n < 2 {
		f(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); f(1, n/2, n) }()
	f(0, 0, n/2)
	wg.Wait()
}

// split runs f over [0, n) in two concurrent halves when the work is
// large enough (elements ≥ minParallel), else in one call. Each item is
// computed by one goroutine, so results do not depend on the split.
func split(n, elements int, f func(lo, hi int)) {
	if elements < minParallel || n < 2 {
		f(0, n)
		return
	}
	halves(n, func(_, lo, hi int) { f(lo, hi) })
}
