package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// minParallel is the number of elements below which an elementwise op
// stays on one goroutine: starting a second costs more than it saves.
const minParallel = 1 << 15

// Both runs f0 and f1, at the same time when the process's helper (below)
// is free, else one after the other; it returns when both have. f0 runs
// on the calling goroutine. Callers split work so that the result does
// not depend on which goroutine runs which part, nor on whether they run
// at once.
func Both(f0, f1 func()) { theHelper.both(f0, f1) }

// halves runs f on the items [0, n/2) and [n/2, n), at the same time when
// it can (Both); f gets its half's index (0 or 1) and range.
func halves(n int, f func(part, lo, hi int)) {
	if n < 2 {
		f(0, 0, n)
		return
	}
	Both(func() { f(0, 0, n/2) }, func() { f(1, n/2, n) })
}

// split runs f over [0, n) in two halves at once when the work is large
// enough (elements ≥ minParallel), else in one call. Each item is
// computed by one goroutine, so results do not depend on the split.
func split(n, elements int, f func(lo, hi int)) {
	if elements < minParallel || n < 2 {
		f(0, n)
		return
	}
	halves(n, func(_, lo, hi int) { f(lo, hi) })
}

// helper is one goroutine that takes the second half of every two-way
// split, the process's one worker besides the caller (the machines this
// runs on have two cores; with more, more helpers would pay).
//
// Why not a goroutine per split: on the virtual machines measured, a
// goroutine handed to an idle core started tens to hundreds of
// microseconds later (the idle virtual CPU has to be woken), so splits
// of a millisecond's work ran no faster than one goroutine and the
// training step used about 1.2 of its 2 cores. The helper instead spins,
// yielding to the scheduler, for spinWindow after its last task before
// it parks, as OpenMP's worker threads do: within a training step, where
// splits come every few tens of microseconds, it is always awake.
//
// A split whose second half the helper has not started by the time the
// caller finishes the first is taken back and run by the caller, so a
// parked or busy helper costs a split nothing but its own half's time.
// One split at a time uses the helper; a split inside a task, or from
// another goroutine while the helper is taken, runs on its caller.
type helper struct {
	start sync.Once
	owner atomic.Bool // a split holds the helper
	// state of the posted task: idle, posted, taken (by the helper or
	// back by the caller), done.
	state    atomic.Int32
	task     func()
	sleeping atomic.Bool
	wake     chan struct{}
}

const (
	taskIdle int32 = iota
	taskPosted
	taskTaken
	taskDone
)

// spinWindow is how long the helper stays awake after a task.
const spinWindow = 2 * time.Millisecond

// theHelper is the process's helper: a worker pool of one, shared by
// every kernel as a thread pool is, and started on the first split.
var theHelper = &helper{wake: make(chan struct{}, 1)}

func (h *helper) both(f0, f1 func()) {
	if runtime.GOMAXPROCS(0) < 2 || !h.owner.CompareAndSwap(false, true) {
		f0()
		f1()
		return
	}
	defer h.owner.Store(false)
	h.start.Do(func() { go h.loop() })
	h.task = f1
	h.state.Store(taskPosted)
	if h.sleeping.Load() {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
	f0()
	if h.state.CompareAndSwap(taskPosted, taskTaken) {
		// not started: ours
		f1()
	} else {
		for h.state.Load() != taskDone {
			runtime.Gosched()
		}
	}
	h.task = nil
	h.state.Store(taskIdle)
}

func (h *helper) loop() {
	last := time.Now()
	for spins := 0; ; spins++ {
		if h.state.Load() == taskPosted && h.state.CompareAndSwap(taskPosted, taskTaken) {
			h.task()
			h.state.Store(taskDone)
			last = time.Now()
			spins = 0
			continue
		}
		if spins%64 == 63 && time.Since(last) > spinWindow {
			h.sleeping.Store(true)
			if h.state.Load() != taskPosted {
				<-h.wake
			}
			h.sleeping.Store(false)
			last = time.Now()
			continue
		}
		runtime.Gosched()
	}
}
