package serve

import (
	"errors"
	"log/slog"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/inference"
)

// newJob is a job of the n examples of x starting at example from.
func newJob(x []float32, width, from, n int) *job {
	return &job{x: x[from*width : (from+n)*width], n: n, done: make(chan jobResult, 1)}
}

// samePredictions compares predictions bit for bit: logits and float64
// probabilities.
func samePredictions(a, b []inference.Prediction) bool {
	return slices.EqualFunc(a, b, func(p, q inference.Prediction) bool {
		return p.Predicted == q.Predicted && sameBits(p.Logits, q.Logits) &&
			slices.EqualFunc(p.Probabilities, q.Probabilities, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
	})
}

// TestBatchedEqualsAlone: a request's predictions are the same bits when
// it runs alone and when it runs in a batch with others, or cut into
// calls of maxBatch, for a CNN and an MLP; the calls made are recorded.
func TestBatchedEqualsAlone(t *testing.T) {
	for name, loadPredictor := range map[string]func(testing.TB) *inference.Predictor{
		"digits": func(tb testing.TB) *inference.Predictor { return load(tb, digitsRun(tb)) },
		"cancer": func(tb testing.TB) *inference.Predictor { return load(tb, cancerRun(tb)) },
	} {
		t.Run(name, func(t *testing.T) {
			p := loadPredictor(t)
			width := data.ShapeSize(p.Checkpoint.Input.Shape)
			x := make([]float32, 12*width)
			for i := range x {
				// Deterministic values within the digits' 0..16 and
				// around the cancer features' scale.
				x[i] = float32((i*7919)%17) * (1 + float32(i%3))
			}
			var calls []int
			b := &batcher{predictor: p, maxBatch: 4, observe: func(n int) { calls = append(calls, n) }, log: slog.New(slog.DiscardHandler)}
			alone := func(from, n int) []inference.Prediction {
				j := newJob(x, width, from, n)
				b.maxBatch = 64
				b.runBatch([]*job{j}, n)
				b.maxBatch = 4
				r := <-j.done
				if r.err != nil {
					t.Fatal(r.err)
				}
				return r.preds
			}
			cases := []struct {
				name      string
				jobs      [][2]int // first example, count
				wantCalls []int
			}{
				{"three requests in one call", [][2]int{{0, 1}, {5, 2}, {9, 1}}, []int{4}},
				{"a large request in calls of 4", [][2]int{{0, 10}}, []int{4, 4, 2}},
				{"the same example twice", [][2]int{{3, 1}, {3, 1}}, []int{2}},
			}
			for _, tc := range cases {
				var jobs []*job
				n := 0
				for _, jb := range tc.jobs {
					jobs = append(jobs, newJob(x, width, jb[0], jb[1]))
					n += jb[1]
				}
				calls = nil
				b.runBatch(jobs, n)
				if !slices.Equal(calls, tc.wantCalls) {
					t.Errorf("%s: calls of %v examples, want %v", tc.name, calls, tc.wantCalls)
				}
				for i, j := range jobs {
					r := <-j.done
					want := alone(tc.jobs[i][0], tc.jobs[i][1])
					if r.err != nil || len(r.preds) != tc.jobs[i][1] || !samePredictions(r.preds, want) {
						t.Fatalf("%s: request %d: %d predictions (%v) differ from the request alone", tc.name, i, len(r.preds), r.err)
					}
				}
			}
		})
	}
}

// TestWorkerBatches: the worker gathers queued requests up to maxBatch
// examples; one that would overflow a batch starts the next; stop answers
// what is queued and ends the worker. The window is an hour, so every
// batch here is closed by its size or by stop, never by the clock.
func TestWorkerBatches(t *testing.T) {
	dir := cancerRun(t)
	p, x := load(t, dir), testSplit(t, dir).X
	calls := make(chan int, 16)
	b := newBatcher(p, time.Hour, 4, 16, func(n int) { calls <- n }, slog.New(slog.DiscardHandler))
	var jobs []*job
	for i, n := range []int{1, 2, 1, 3, 2} {
		j := newJob(x, 30, i, n)
		if err := b.submit(j); err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, j)
	}
	for _, want := range []int{4, 3} {
		if got := <-calls; got != want {
			t.Fatalf("a call of %d examples, want %d", got, want)
		}
	}
	b.stop()
	<-b.done
	if got := <-calls; got != 2 {
		t.Fatalf("the last call: %d examples, want 2", got)
	}
	for i, j := range jobs {
		if r := <-j.done; r.err != nil || len(r.preds) != j.n {
			t.Fatalf("request %d: %d predictions, %v", i, len(r.preds), r.err)
		}
	}
	if err := b.submit(newJob(x, 30, 0, 1)); !errors.Is(err, errStopped) {
		t.Errorf("submit after stop: %v, want errStopped", err)
	}
}

// TestSubmitQueueFull: a full queue refuses a request at once.
func TestSubmitQueueFull(t *testing.T) {
	b := &batcher{queue: make(chan *job, 2), done: make(chan struct{})} // no worker: the queue only fills
	x := make([]float32, 30)
	for i, want := range []error{nil, nil, errQueueFull} {
		if err := b.submit(newJob(x, 30, 0, 1)); !errors.Is(err, want) && err != want {
			t.Fatalf("submit %d: %v, want %v", i, err, want)
		}
	}
}
