package serve

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/practica-ml/practica/inference"
)

// job is one request's examples, waiting for the worker of its model
// version.
type job struct {
	// x holds n raw examples, row-major.
	x []float32
	n int
	// done receives the request's predictions, one per example, or the
	// error that stopped its batch; it has room for the one answer.
	done chan jobResult
}

type jobResult struct {
	preds []inference.Prediction
	err   error
}

// Errors of batcher.submit.
var (
	errQueueFull = errors.New("queue full")
	errStopped   = errors.New("version stopped")
)

// batcher is the one goroutine that owns a model version's Predictor
// (a model is not safe for concurrent use) and the bounded queue of jobs
// it runs. Jobs that arrive within window of the first are run as one
// call of up to maxBatch examples; a job larger than maxBatch runs alone,
// in calls of maxBatch. Rows are independent in the evaluation graph, so
// a request's predictions do not depend on what it was batched with.
type batcher struct {
	predictor *inference.Predictor
	window    time.Duration
	maxBatch  int
	queue     chan *job
	// observe records the examples of each call to the model.
	observe func(examples int)
	log     *slog.Logger

	// mu orders submit (read) against stop (write), so that no job is
	// sent on a closed queue.
	mu      sync.RWMutex
	stopped bool
	// done is closed when the worker has answered every queued job and
	// returned.
	done chan struct{}
}

func newBatcher(p *inference.Predictor, window time.Duration, maxBatch, queue int, observe func(int), log *slog.Logger) *batcher {
	b := &batcher{predictor: p, window: window, maxBatch: maxBatch, queue: make(chan *job, queue),
		observe: observe, log: log, done: make(chan struct{})}
	go b.run()
	return b
}

// submit queues j without waiting: errQueueFull when the queue is full,
// errStopped once the version has been stopped.
func (b *batcher) submit(j *job) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.stopped {
		return errStopped
	}
	select {
	case b.queue <- j:
		return nil
	default:
		return errQueueFull
	}
}

// stop refuses new jobs; the worker answers those queued and returns
// (done is then closed).
func (b *batcher) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.stopped {
		b.stopped = true
		close(b.queue)
	}
}

func (b *batcher) run() {
	defer close(b.done)
	var next *job
	for {
		first := next
		next = nil
		if first == nil {
			j, ok := <-b.queue
			if !ok {
				return
			}
			first = j
		}
		batch, n := []*job{first}, first.n
		if b.window > 0 && n < b.maxBatch {
			timer := time.NewTimer(b.window)
		collect:
			for n < b.maxBatch {
				select {
				case j, ok := <-b.queue:
					if !ok {
						break collect
					}
					if n+j.n > b.maxBatch {
						next = j // the first of the next batch
						break collect
					}
					batch, n = append(batch, j), n+j.n
				case <-timer.C:
					break collect
				}
			}
			timer.Stop()
		}
		b.runBatch(batch, n)
	}
}

// runBatch predicts the n examples of batch's jobs in calls of at most
// maxBatch and hands each job its share.
func (b *batcher) runBatch(batch []*job, n int) {
	x := batch[0].x
	if len(batch) > 1 {
		x = make([]float32, 0, len(x)/batch[0].n*n)
		for _, j := range batch {
			x = append(x, j.x...)
		}
	}
	width := len(x) / n
	preds := make([]inference.Prediction, 0, n)
	var err error
	for start := 0; start < n && err == nil; start += b.maxBatch {
		end := min(n, start+b.maxBatch)
		var p []inference.Prediction
		p, err = b.predict(x[start*width : end*width])
		if err == nil && len(p) != end-start {
			err = fmt.Errorf("the model gave %d predictions for %d examples", len(p), end-start)
		}
		preds = append(preds, p...)
		b.observe(end - start)
	}
	off := 0
	for _, j := range batch {
		if err != nil {
			j.done <- jobResult{err: err}
			continue
		}
		j.done <- jobResult{preds: preds[off : off+j.n : off+j.n]}
		off += j.n
	}
}

// predict runs the model, turning a panic inside it into an error: the
// worker, and the other requests of the batch, survive it.
func (b *batcher) predict(x []float32) (preds []inference.Prediction, err error) {
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("the model panicked", "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("the model panicked: %v", r)
		}
	}()
	return b.predictor.Predict(inference.Input{X: x})
}
