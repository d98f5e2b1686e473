package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/practica-ml/practica/inference"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/rundir"
)

// Defaults of Options.
const (
	DefaultMaxBody      = 32 << 20
	DefaultBatchWindow  = 2 * time.Millisecond
	DefaultMaxBatch     = 64
	DefaultQueue        = 256
	DefaultDrainTimeout = 30 * time.Second
	// DefaultMaxImagePixels bounds width×height of an image a request
	// sends, read from its header before it is decoded: 4096², a 67 MB
	// decoded copy at most, where a file predict reads may have Pillow's
	// 179 million pixels. A request's few compressed bytes (a blank PNG
	// compresses a thousandfold) must not cost the server gigabytes.
	DefaultMaxImagePixels = 4096 * 4096
)

// The http.Server's timeouts: generous for a body of DefaultMaxBody on a
// slow link, short enough that a stalled client cannot hold a
// connection for ever.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = time.Minute
	writeTimeout      = 2 * time.Minute
	idleTimeout       = 2 * time.Minute
)

// InputLogger records the inputs a model was asked about and what it
// answered, for later checks of drift. The server calls it after each
// successful inference request, from the request's goroutine (so
// concurrently); an error is logged and never fails the request.
type InputLogger interface {
	// LogInputs gets one request's raw examples x (row-major, as the
	// model's input schema in describes them), the predicted class index
	// of each, and the probability of that class.
	LogInputs(model string, version int, in model.InputSchema, classes []string, at time.Time, x []float32, predicted []int, confidence []float64) error
}

// Options tune a Server. A field left 0 takes its default, except
// BatchWindow: 0 runs each request alone.
type Options struct {
	// MaxBody bounds a request's body, in bytes (413 beyond).
	MaxBody int64
	// BatchWindow is how long a model's worker waits for more requests
	// to run with the first one, as one batch.
	BatchWindow time.Duration
	// MaxBatch bounds the examples run through a model in one call.
	MaxBatch int
	// Queue bounds the requests waiting for each model version (503
	// beyond).
	Queue int
	// DrainTimeout bounds how long Serve waits, once its context is done,
	// for the requests in flight.
	DrainTimeout time.Duration
	// Logger gets the server's log (nil: none).
	Logger *slog.Logger
	// InputLogger, when set, gets the inputs of every answered inference
	// request.
	InputLogger InputLogger
	// MaxImagePixels bounds each image a request sends (0:
	// DefaultMaxImagePixels); a model whose Predictor.Limits set a lower
	// bound keeps it.
	MaxImagePixels int64
}

// Server answers the Open Inference Protocol's REST requests for a set
// of models, each version with one worker goroutine that owns its
// Predictor and batches the requests queued for it.
type Server struct {
	load    Loader
	opt     Options
	log     *slog.Logger
	metrics *metrics
	handler http.Handler
	models  atomic.Pointer[modelSet]
	// decoders holds a token for each image being decoded: at most
	// GOMAXPROCS at once (decoding is CPU-bound), so that concurrent
	// requests cannot hold more decoded images than there are cores.
	decoders chan struct{}
	// draining is set once Serve's context is done: new requests get 503.
	draining atomic.Bool
	// swap serializes Reload and Close; closed is set by Close.
	swap   sync.Mutex
	closed bool
}

// New loads the models and starts their workers. A loader that fails
// entirely is an error; one that fails for some models is logged, and the
// rest are served. Close (or Serve's return) stops the workers.
func New(load Loader, opt Options) (*Server, error) {
	if load == nil {
		return nil, errors.New("serve.New: no loader")
	}
	for _, f := range []struct {
		name string
		v    int64
	}{{"MaxBody", opt.MaxBody}, {"MaxImagePixels", opt.MaxImagePixels}, {"BatchWindow", int64(opt.BatchWindow)}, {"MaxBatch", int64(opt.MaxBatch)}, {"Queue", int64(opt.Queue)}, {"DrainTimeout", int64(opt.DrainTimeout)}} {
		if f.v < 0 {
			return nil, fmt.Errorf("serve.Options.%s is %d: want a positive value, or 0 for the default", f.name, f.v)
		}
	}
	opt.MaxBody = orDefault(opt.MaxBody, DefaultMaxBody)
	opt.MaxBatch = orDefault(opt.MaxBatch, DefaultMaxBatch)
	opt.Queue = orDefault(opt.Queue, DefaultQueue)
	opt.DrainTimeout = orDefault(opt.DrainTimeout, DefaultDrainTimeout)
	opt.MaxImagePixels = orDefault(opt.MaxImagePixels, DefaultMaxImagePixels)
	s := &Server{load: load, opt: opt, log: opt.Logger, decoders: make(chan struct{}, runtime.GOMAXPROCS(0))}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if s.metrics, err = newMetrics(); err != nil {
		return nil, err
	}
	s.handler = s.routes()
	models, err := load()
	s.limitImages(models)
	if len(models) == 0 && err != nil {
		return nil, err
	}
	set, bad := newModelSet(models)
	if set == nil {
		return nil, bad
	}
	s.start(set)
	s.models.Store(set)
	s.logLoaded(set, errors.Join(err, bad))
	return s, nil
}

// limitImages bounds the images each model decodes for a request by
// Options.MaxImagePixels, unless its Predictor has a lower bound.
func (s *Server) limitImages(models []*Model) {
	for _, m := range models {
		if m != nil && m.Predictor != nil {
			if l := &m.Predictor.Limits; l.MaxImagePixels == 0 || l.MaxImagePixels > s.opt.MaxImagePixels {
				l.MaxImagePixels = s.opt.MaxImagePixels
			}
		}
	}
}

// orDefault is v, or def when v is 0.
func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

func (s *Server) start(set *modelSet) {
	for _, v := range set.versions() {
		v.metrics = s.metrics.forVersion(v.model.Name, v.model.Version, v.classes)
		v.batcher = newBatcher(v.model.Predictor, s.opt.BatchWindow, s.opt.MaxBatch, s.opt.Queue,
			func(n int) { v.metrics.batchSize.Observe(float64(n)) }, s.log.With("model", v.model.Name, "version", v.model.Version))
	}
}

func (s *Server) logLoaded(set *modelSet, err error) {
	for _, v := range set.versions() {
		s.log.Info("serving model", "model", v.model.Name, "version", v.model.Version, "input", v.takes(), "classes", len(v.classes))
	}
	if len(set.names) == 0 {
		s.log.Warn("no model to serve: ready answers 503")
	}
	if err != nil {
		s.log.Error("some models were not loaded", "err", err)
	}
}

// Reload calls the loader and swaps its models in for the served ones at
// once: requests already queued on a version finish on it, a version the
// loader no longer returns stops, later requests see the new set. When
// the loader fails entirely the served models stay, and the error is
// returned; when it fails for some, the rest are served and the error is
// logged and returned.
func (s *Server) Reload() error {
	s.swap.Lock()
	defer s.swap.Unlock()
	if s.closed {
		return errors.New("reload: the server is closed")
	}
	models, err := s.load()
	s.limitImages(models)
	if len(models) == 0 && err != nil {
		s.log.Error("reload failed: still serving the previous models", "err", err)
		return fmt.Errorf("reload: %w (still serving the previous models)", err)
	}
	set, bad := newModelSet(models)
	if set == nil {
		s.log.Error("reload failed: still serving the previous models", "err", bad)
		return fmt.Errorf("reload: %w (still serving the previous models)", bad)
	}
	s.start(set)
	old := s.models.Swap(set)
	kept := map[[2]string]bool{}
	for _, v := range set.versions() {
		kept[[2]string{v.model.Name, v.label}] = true
	}
	for _, v := range old.versions() {
		v.batcher.stop()
		if !kept[[2]string{v.model.Name, v.label}] {
			// A version no longer served stops being reported, as a
			// scraped target that went away does.
			s.metrics.forget(v.model.Name, v.label)
		}
	}
	err = errors.Join(err, bad)
	s.logLoaded(set, err)
	return err
}

// Close stops every worker once it has answered the requests queued for
// it, and waits for them. Requests after Close get 404 (no model).
func (s *Server) Close() {
	s.swap.Lock()
	defer s.swap.Unlock()
	s.closed = true
	old := s.models.Swap(&modelSet{byName: map[string][]*version{}})
	for _, v := range old.versions() {
		v.batcher.stop()
	}
	for _, v := range old.versions() {
		<-v.batcher.done
	}
}

// Serve answers requests on ln until ctx is done, then drains: it stops
// accepting connections, answers 503 to new requests on open ones,
// finishes those in flight (for at most Options.DrainTimeout), stops the
// workers and returns nil.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.log.Info("listening", "url", "http://"+ln.Addr().String()+"/v2")
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		s.Close()
		return err
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.log.Info("draining: finishing the requests in flight")
	drain, cancel := context.WithTimeout(context.Background(), s.opt.DrainTimeout)
	defer cancel()
	err := srv.Shutdown(drain)
	<-served
	s.Close()
	if err != nil {
		return fmt.Errorf("draining: requests still in flight after %v: %w", s.opt.DrainTimeout, err)
	}
	s.log.Info("stopped")
	return nil
}

// Handler is the server's HTTP handler: the protocol's routes and
// /metrics.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern string, h http.HandlerFunc) {
		method, path, _ := strings.Cut(pattern, " ")
		allow := method
		if method == http.MethodGet {
			allow = "GET, HEAD"
		}
		mux.Handle(pattern, h)
		// The same path by another method: 405, in JSON, saying which.
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s: method not allowed; use %s", r.Method, r.URL.Path, allow))
		})
	}
	route("GET /v2", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"name": "practica", "version": rundir.Version, "extensions": []string{}})
	})
	route("GET /v2/health/live", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]bool{"live": true})
	})
	route("GET /v2/health/ready", s.handleReady)
	route("GET /v2/models/{name}", s.handleMetadata)
	route("GET /v2/models/{name}/versions/{version}", s.handleMetadata)
	route("GET /v2/models/{name}/ready", s.handleModelReady)
	route("GET /v2/models/{name}/versions/{version}/ready", s.handleModelReady)
	route("POST /v2/models/{name}/infer", s.handleInfer)
	route("POST /v2/models/{name}/versions/{version}/infer", s.handleInfer)
	route("GET /metrics", s.metrics.handler().ServeHTTP)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such endpoint: %s %s (see GET /v2 and /v2/models/{name})", r.Method, r.URL.Path))
	})
	return s.guard(mux)
}

// guard answers 503 while draining (but to liveness, readiness and
// metrics), and 500 for a panic, logged, instead of a dropped connection.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if rec := recover(); rec != nil {
				if rec == http.ErrAbortHandler {
					panic(rec)
				}
				s.log.Error("panic answering a request", "method", r.Method, "path", r.URL.Path, "panic", rec, "stack", string(debug.Stack()))
				writeError(w, http.StatusInternalServerError, "internal error: see the server's log")
			}
		}()
		switch r.URL.Path {
		case "/v2/health/live", "/v2/health/ready", "/metrics":
		default:
			if s.draining.Load() {
				writeError(w, http.StatusServiceUnavailable, "the server is shutting down")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	ready := !s.draining.Load() && len(s.models.Load().names) > 0
	status := http.StatusOK
	if !ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, map[string]bool{"ready": ready})
}

func (s *Server) handleMetadata(w http.ResponseWriter, r *http.Request) {
	v, err := s.lookup(r.PathValue("name"), r.PathValue("version"))
	if err != nil {
		s.writeErr(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(append(v.metadata, '\n'))
}

func (s *Server) handleModelReady(w http.ResponseWriter, r *http.Request) {
	v, err := s.lookup(r.PathValue("name"), r.PathValue("version"))
	if err != nil {
		s.writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": v.model.Name, "version": v.label, "ready": true})
}

// lookup finds a model version: the highest when versionText is empty.
// Both come from the URL and are only compared with the served names.
func (s *Server) lookup(name, versionText string) (*version, error) {
	set := s.models.Load()
	vs := set.byName[name]
	if len(vs) == 0 {
		return nil, &RequestError{http.StatusNotFound, fmt.Sprintf("unknown model %q: this server serves %s", name, quoted(set.names))}
	}
	if versionText == "" {
		return vs[len(vs)-1], nil
	}
	if n, err := strconv.Atoi(versionText); err == nil {
		for _, v := range vs {
			if v.model.Version == n {
				return v, nil
			}
		}
	}
	labels := make([]string, len(vs))
	for i, v := range vs {
		labels[i] = v.label
	}
	return nil, &RequestError{http.StatusNotFound, fmt.Sprintf("model %q has no version %q: its versions are %s", name, versionText, strings.Join(labels, ", "))}
}

// quoted lists names for a message, the first ten of them.
func quoted(names []string) string {
	if len(names) == 0 {
		return "no model"
	}
	var q []string
	for i, n := range names {
		if i == 10 {
			q = append(q, fmt.Sprintf("and %d more", len(names)-10))
			break
		}
		q = append(q, strconv.Quote(n))
	}
	return strings.Join(q, ", ")
}

// answer is a successful inference: the response and what the input
// logger gets.
type answer struct {
	response inferResponse
	x        []float32
	preds    []inference.Prediction
}

func (s *Server) handleInfer(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	s.metrics.inFlight.Inc()
	defer s.metrics.inFlight.Dec()
	v, ans, err := s.infer(w, r)
	var vm *versionMetrics
	if v != nil {
		vm = v.metrics
	}
	if err != nil {
		s.metrics.answered(vm, s.writeErr(w, err), at)
		return
	}
	writeJSON(w, http.StatusOK, ans.response)
	s.metrics.answered(vm, http.StatusOK, at)
	predicted, confidence := make([]int, len(ans.preds)), make([]float64, len(ans.preds))
	for i, p := range ans.preds {
		predicted[i], confidence[i] = p.Predicted, p.Probabilities[p.Predicted]
		vm.predicted[p.Predicted].Inc()
		vm.confidence.Observe(confidence[i])
	}
	if s.opt.InputLogger != nil {
		ckpt := v.model.Predictor.Checkpoint
		if err := s.opt.InputLogger.LogInputs(v.model.Name, v.model.Version, ckpt.Input, ckpt.Classes, at, ans.x, predicted, confidence); err != nil {
			s.log.Error("logging a request's inputs", "model", v.model.Name, "version", v.model.Version, "err", err)
		}
	}
}

// infer answers an inference request, or says why not; the version is
// returned once the URL named one.
func (s *Server) infer(w http.ResponseWriter, r *http.Request) (*version, *answer, error) {
	name, versionText := r.PathValue("name"), r.PathValue("version")
	v, err := s.lookup(name, versionText)
	if err != nil {
		return nil, nil, err
	}
	if r.Header.Get("Inference-Header-Content-Length") != "" {
		return v, nil, badRequest("the binary tensor data extension is not supported: send the tensors' data in the JSON body")
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return v, nil, err
	}
	req, err := DecodeInferRequest(body)
	if err != nil {
		return v, nil, err
	}
	outputs, err := selectOutputs(req.Outputs)
	if err != nil {
		return v, nil, err
	}
	for {
		s.decoders <- struct{}{}
		x, n, err := v.examples(req)
		<-s.decoders
		if err != nil {
			return v, nil, err
		}
		j := &job{x: x, n: n, done: make(chan jobResult, 1)}
		switch err := v.batcher.submit(j); {
		case errors.Is(err, errQueueFull):
			w.Header().Set("Retry-After", "1")
			return v, nil, &RequestError{http.StatusServiceUnavailable, fmt.Sprintf("model %q version %d is busy: its queue of %d requests is full; retry later", v.model.Name, v.model.Version, s.opt.Queue)}
		case errors.Is(err, errStopped):
			// A reload replaced the version while the request was read:
			// ask the current set.
			if v, err = s.lookup(name, versionText); err != nil {
				return nil, nil, err
			}
			continue
		}
		res := <-j.done
		if res.err != nil {
			return v, nil, res.err
		}
		return v, &answer{response: v.response(req.ID, outputs, res.preds), x: x, preds: res.preds}, nil
	}
}

// readBody reads a request's body within Options.MaxBody.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	tooLarge := &RequestError{http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is over this server's limit of %d bytes", s.opt.MaxBody)}
	if r.ContentLength > s.opt.MaxBody {
		return nil, tooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opt.MaxBody))
	var maxBytes *http.MaxBytesError
	switch {
	case errors.As(err, &maxBytes):
		return nil, tooLarge
	case err != nil:
		return nil, badRequest("reading the request body: %v", err)
	}
	return body, nil
}

type inferResponse struct {
	ModelName    string         `json:"model_name"`
	ModelVersion string         `json:"model_version"`
	ID           string         `json:"id,omitempty"`
	Outputs      []outputTensor `json:"outputs"`
}

type outputTensor struct {
	Name     string `json:"name"`
	Shape    []int  `json:"shape"`
	Datatype string `json:"datatype"`
	Data     any    `json:"data"`
}

// response is the answer of outputs for preds: the probabilities are the
// float64 ones predict prints, rounded to float32.
func (v *version) response(id string, outputs []string, preds []inference.Prediction) inferResponse {
	n, k := len(preds), len(v.classes)
	res := inferResponse{ModelName: v.model.Name, ModelVersion: v.label, ID: id}
	for _, name := range outputs {
		t := outputTensor{Name: name}
		switch name {
		case outProbabilities, outLogits:
			x := make(float32s, 0, n*k)
			for _, p := range preds {
				if name == outLogits {
					x = append(x, p.Logits...)
					continue
				}
				for _, q := range p.Probabilities {
					x = append(x, float32(q))
				}
			}
			t.Shape, t.Datatype, t.Data = []int{n, k}, FP32, x
		case outPredicted:
			x := make([]int64, n)
			for i, p := range preds {
				x[i] = int64(p.Predicted)
			}
			t.Shape, t.Datatype, t.Data = []int{n}, INT64, x
		case outClass:
			x := make([]string, n)
			for i, p := range preds {
				x[i] = p.Class
			}
			t.Shape, t.Datatype, t.Data = []int{n}, BYTES, x
		}
		res.Outputs = append(res.Outputs, t)
	}
	return res
}

// float32s encode each value in the fewest digits that parse back, as
// float32, to the same bits; a value JSON cannot hold (NaN or an
// infinity, from a model whose weights diverged) is null.
type float32s []float32

func (x float32s) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+len(x)*12)
	b = append(b, '[')
	for i, v := range x {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			b = append(b, "null"...)
			continue
		}
		b = strconv.AppendFloat(b, float64(v), 'g', -1, 32)
	}
	return append(b, ']'), nil
}

// writeErr answers err: its status when it is a *RequestError, else 500
// (the server's fault), logged, with a message that does not leak it.
// It returns the status.
func (s *Server) writeErr(w http.ResponseWriter, err error) int {
	var re *RequestError
	if errors.As(err, &re) {
		writeError(w, re.Status, re.Msg)
		return re.Status
	}
	s.log.Error("answering a request", "err", err)
	writeError(w, http.StatusInternalServerError, "internal error: see the server's log")
	return http.StatusInternalServerError
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal error: the answer could not be encoded"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
