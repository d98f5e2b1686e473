package labeling

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/practica-ml/practica/data"
)

// Defaults of ServerOptions, and the address the label command listens on.
const (
	DefaultAddr         = "127.0.0.1:8090"
	DefaultLeaseTTL     = 10 * time.Minute
	DefaultMaxGroup     = 48
	DefaultMaxBody      = 64 << 10
	DefaultDrainTimeout = 10 * time.Second
)

// SessionHeader names the page (one browser tab) a request comes from:
// a tab keeps its lease across a reload, and undo takes back its own
// decisions.
const SessionHeader = "X-Labeling-Session"

// The http.Server's timeouts: a page's requests are small and quick.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 2 * time.Minute
)

//go:embed page
var pageFiles embed.FS

// ServerOptions tune a Server; a zero field takes its default.
type ServerOptions struct {
	// Strategy is the queue a page starts with (Cluster when empty).
	Strategy string
	// Queue builds a strategy's queue (nil: the pool's Queue). A queue
	// is built once, when first asked for.
	Queue func(strategy string) (Queue, error)
	// ShowSourceLabels shows the source's own label of each example.
	ShowSourceLabels bool
	// LeaseTTL is how long a page holds the examples it was given before
	// they return to the queues.
	LeaseTTL time.Duration
	// MaxGroup bounds the examples of one lease (a cluster's grid).
	MaxGroup int
	// MaxBody bounds a request's body, in bytes (413 beyond).
	MaxBody int64
	// DrainTimeout bounds how long Serve waits, once its context is done,
	// for the requests in flight.
	DrainTimeout time.Duration
	// Now is the clock of leases (nil: time.Now).
	Now func() time.Time
	// Logger gets the server's log (nil: none).
	Logger *slog.Logger
}

// Server is the labeling page and its JSON API over a pool and the
// journal its decisions go to.
type Server struct {
	pool    *Pool
	j       *Journal
	opt     ServerOptions
	log     *slog.Logger
	keys    []string
	index   []byte
	handler http.Handler
	// draining is set once Serve's context is done: new requests get 503.
	draining atomic.Bool
	// localOnly is set when Serve listens on the loopback interface only:
	// requests must then name a loopback host, which stops a web page
	// from reaching the server by DNS rebinding.
	localOnly atomic.Bool

	mu      sync.Mutex
	queues  map[string]Queue
	leases  map[string]*lease
	leased  map[int]*lease
	offered map[int]offer
}

// lease is a group of examples given to one page until it expires.
type lease struct {
	id, session, strategy string
	items                 []Example
	expires               time.Time
}

// offer is what a queue said of an example when it last offered it,
// shown again when a decision about it is undone.
type offer struct {
	strategy string
	example  Example
}

// NewServer serves pool's examples, recording decisions in j, and builds
// the starting strategy's queue (an error when it cannot be built).
func NewServer(pool *Pool, j *Journal, opt ServerOptions) (*Server, error) {
	if pool == nil || pool.Data == nil || j == nil {
		return nil, errors.New("labeling.NewServer: no pool or no journal")
	}
	if opt.Strategy == "" {
		opt.Strategy = Cluster
	}
	if !isStrategy(opt.Strategy) {
		return nil, fmt.Errorf("strategy %q: want %s, %s or %s", opt.Strategy, Random, Uncertain, Cluster)
	}
	if opt.Queue == nil {
		opt.Queue = pool.Queue
	}
	if opt.LeaseTTL <= 0 {
		opt.LeaseTTL = DefaultLeaseTTL
	}
	if opt.MaxGroup <= 0 {
		opt.MaxGroup = DefaultMaxGroup
	}
	if opt.MaxBody <= 0 {
		opt.MaxBody = DefaultMaxBody
	}
	if opt.DrainTimeout <= 0 {
		opt.DrainTimeout = DefaultDrainTimeout
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	s := &Server{
		pool: pool, j: j, opt: opt, log: opt.Logger, keys: ClassKeys(pool.Data.Classes),
		queues: map[string]Queue{}, leases: map[string]*lease{}, leased: map[int]*lease{}, offered: map[int]offer{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if s.index, err = pageFiles.ReadFile("page/index.html"); err != nil {
		return nil, err
	}
	if _, err := s.queue(opt.Strategy); err != nil {
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

func isStrategy(s string) bool { return s == Random || s == Uncertain || s == Cluster }

// ClassKeys are the keys that pick each class on the page: a class named
// by one digit or letter has that key, the others take the first free
// one of 0-9 then a-z, in order. S is kept for skip; a class beyond the
// 35 keys has none ("") and is picked by mouse.
func ClassKeys(classes []string) []string {
	keys := make([]string, len(classes))
	used := map[string]bool{"s": true}
	isKey := func(k string) bool { return len(k) == 1 && (k[0] >= '0' && k[0] <= '9' || k[0] >= 'a' && k[0] <= 'z') }
	for i, c := range classes {
		if k := strings.ToLower(strings.TrimSpace(c)); isKey(k) && !used[k] {
			keys[i], used[k] = k, true
		}
	}
	const all = "0123456789abcdefghijklmnopqrstuvwxyz"
	for i := range classes {
		if keys[i] != "" {
			continue
		}
		for _, r := range all {
			if k := string(r); !used[k] {
				keys[i], used[k] = k, true
				break
			}
		}
	}
	return keys
}

// Handler is the server's HTTP handler: the page and its API.
func (s *Server) Handler() http.Handler { return s.handler }

// Listen listens on addr, warning in log when the address reaches beyond
// this machine: the page has no authentication.
func Listen(addr string, log *slog.Logger) (net.Listener, error) {
	if BeyondLoopback(addr) && log != nil {
		log.Warn(fmt.Sprintf("--serve %s listens beyond this machine, and the labeling page has no authentication: anyone who can reach it can label (and see the examples); use 127.0.0.1:PORT unless that is what you want", addr))
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--serve %s: %w", addr, err)
	}
	return ln, nil
}

// BeyondLoopback tells whether addr listens on more than the loopback
// interface: an empty host (every interface), an address that is not
// loopback, or a host name other than localhost.
func BeyondLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "localhost" {
		return false // a bad address is net.Listen's to report
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// PageURL is the page's address on ln: a listener on every interface is
// shown by the loopback address, which reaches it from this machine.
func PageURL(ln net.Listener) string {
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		return "http://" + ln.Addr().String() + "/"
	}
	ip := addr.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return "http://" + net.JoinHostPort(ip.String(), strconv.Itoa(addr.Port)) + "/"
}

// Serve answers requests on ln until ctx is done, then drains: it stops
// accepting connections, answers 503 to new requests, finishes those in
// flight (for at most DrainTimeout) and closes the journal.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if a, ok := ln.Addr().(*net.TCPAddr); ok && a.IP.IsLoopback() {
		s.localOnly.Store(true)
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return errors.Join(err, s.Close())
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.log.Info("stopping: finishing the requests in flight")
	drain, cancel := context.WithTimeout(context.Background(), s.opt.DrainTimeout)
	defer cancel()
	err := srv.Shutdown(drain)
	<-served
	if err != nil {
		err = fmt.Errorf("stopping: requests still in flight after %v: %w", s.opt.DrainTimeout, err)
	}
	return errors.Join(err, s.Close())
}

// Close closes the journal: later decisions are refused.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.j.Close()
}

// requestError is an answer other than 200, with its message.
type requestError struct {
	status int
	msg    string
}

func (e *requestError) Error() string { return e.msg }

func fail(status int, format string, args ...any) error {
	return &requestError{status, fmt.Sprintf(format, args...)}
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern string, h func(w http.ResponseWriter, r *http.Request) error) {
		method, path, _ := strings.Cut(pattern, " ")
		allow := method
		if method == http.MethodGet {
			allow = "GET, HEAD"
		}
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := h(w, r); err != nil {
				s.writeErr(w, err)
			}
		})
		// The same path by another method: 405, in JSON, saying which.
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s: method not allowed; use %s", r.Method, r.URL.Path, allow))
		})
	}
	route("GET /{$}", s.handlePage)
	route("GET /static/{file}", s.handleStatic)
	route("GET /api/state", s.handleState)
	route("POST /api/next", s.handleNext)
	route("POST /api/label", s.handleLabel)
	route("POST /api/skip", s.handleSkip)
	route("POST /api/undo", s.handleUndo)
	route("GET /api/example/{file}", s.handleExample)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such page: %s %s (the page is /, the API under /api/)", r.Method, r.URL.Path))
	})
	return s.guard(mux)
}

// guard answers 503 while draining, refuses requests another web site
// makes through the browser (a foreign Origin; a foreign Host when the
// server listens on loopback only), and answers 500 for a panic, logged,
// instead of a dropped connection.
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
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-store")
		if s.draining.Load() {
			writeError(w, http.StatusServiceUnavailable, "the labeling server is shutting down")
			return
		}
		if s.localOnly.Load() && !loopbackHost(r.Host) {
			writeError(w, http.StatusForbidden, fmt.Sprintf("host %q refused: this server listens on the loopback interface only; open it as http://127.0.0.1:PORT/", r.Host))
			return
		}
		if o := r.Header.Get("Origin"); o != "" && r.Method != http.MethodGet && r.Method != http.MethodHead {
			if u, err := url.Parse(o); err != nil || u.Host != r.Host {
				writeError(w, http.StatusForbidden, fmt.Sprintf("a request from another site (Origin %q) refused", o))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether a Host header names this machine.
func loopbackHost(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = strings.Trim(host, "[]")
	}
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	w.Write(s.index)
	return nil
}

func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("file")
	b, err := pageFiles.ReadFile("page/" + name)
	if err != nil || name == "index.html" || strings.Contains(name, "/") {
		return fail(http.StatusNotFound, "no such file: %s", r.URL.Path)
	}
	switch {
	case strings.HasSuffix(name, ".js"):
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case strings.HasSuffix(name, ".css"):
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	}
	w.Write(b)
	return nil
}

// sessionPattern is what a page's session id may be.
var sessionPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// session is the request's page session ("" when none is sent).
func session(r *http.Request) (string, error) {
	id := r.Header.Get(SessionHeader)
	if id != "" && !sessionPattern.MatchString(id) {
		return "", fail(http.StatusBadRequest, "header %s %q: want 1 to 64 letters, digits, - or _", SessionHeader, id)
	}
	return id, nil
}

// classJSON is a class as the page shows it.
type classJSON struct {
	Name  string `json:"name"`
	Key   string `json:"key,omitempty"`
	Count int    `json:"count"`
}

// stateJSON is GET /api/state, and the counts every decision answers.
type stateJSON struct {
	Total            int         `json:"total"`
	Labeled          int         `json:"labeled"`
	Skipped          int         `json:"skipped"`
	Leased           int         `json:"leased"`
	Classes          []classJSON `json:"classes"`
	Strategy         string      `json:"strategy"`
	Strategies       []string    `json:"strategies"`
	Kind             string      `json:"kind"`
	ShowSourceLabels bool        `json:"show_source_labels"`
	Source           string      `json:"source"`
	LabelsFile       string      `json:"labels_file"`
	Journal          string      `json:"journal"`
	LeaseSeconds     int         `json:"lease_seconds"`
	CanUndo          bool        `json:"can_undo"`
}

// state is the labeling's counts; s.mu is held.
func (s *Server) state(session string) stateJSON {
	labeled, skipped, per := s.j.Counts()
	d := s.pool.Data
	st := stateJSON{
		Total: d.Len(), Labeled: labeled, Skipped: skipped, Leased: len(s.leased),
		Strategy: s.opt.Strategy, Strategies: []string{Cluster, Uncertain, Random}, Kind: string(d.Kind),
		ShowSourceLabels: s.opt.ShowSourceLabels, Source: s.pool.Options.Source,
		LabelsFile: s.j.LabelsPath(), Journal: s.j.Path(), LeaseSeconds: int(s.opt.LeaseTTL / time.Second),
		CanUndo: s.j.CanUndo(session),
	}
	for i, c := range d.Classes {
		st.Classes = append(st.Classes, classJSON{Name: c, Key: s.keys[i], Count: per[c]})
	}
	return st
}

func (s *Server) handleState(w http.ResponseWriter, r *http.Request) error {
	id, err := session(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire()
	writeJSON(w, http.StatusOK, s.state(id))
	return nil
}

// itemJSON is an offered example as the page shows it.
type itemJSON struct {
	Example
	// Image is the example's picture (image data).
	Image string `json:"image,omitempty"`
	// Features are the example's values (tabular data).
	Features []featureJSON `json:"features,omitempty"`
	// SourceLabel is the source's own label (with --show-source-labels).
	SourceLabel string `json:"source_label,omitempty"`
	// Was is the label an undo took back.
	Was string `json:"was,omitempty"`
}

type featureJSON struct {
	Name  string   `json:"name"`
	Value *float64 `json:"value"` // null: a missing cell
}

// groupJSON is a lease as the page gets it.
type groupJSON struct {
	Lease    string     `json:"lease,omitempty"`
	Expires  string     `json:"expires,omitempty"`
	Strategy string     `json:"strategy"`
	Items    []itemJSON `json:"items"`
	// Done says that the strategy has nothing more to offer now (leased
	// examples may come back when their leases expire).
	Done  bool      `json:"done"`
	State stateJSON `json:"state"`
}

// group is l as the page gets it; s.mu is held.
func (s *Server) group(l *lease, was map[int]string) groupJSON {
	g := groupJSON{Lease: l.id, Expires: l.expires.UTC().Format(time.RFC3339), Strategy: l.strategy, Items: []itemJSON{}, State: s.state(l.session)}
	d := s.pool.Data
	for _, e := range l.items {
		it := itemJSON{Example: e, Was: was[e.Index]}
		if d.Kind == data.Image {
			it.Image = fmt.Sprintf("/api/example/%d.png", e.Index)
		} else {
			row := d.Row(e.Index)
			for k, v := range row {
				name := fmt.Sprintf("x%d", k)
				if k < len(d.FeatureNames) {
					name = d.FeatureNames[k]
				}
				f := featureJSON{Name: name}
				if x := float64(v); !math.IsNaN(x) && !math.IsInf(x, 0) {
					f.Value = &x
				}
				it.Features = append(it.Features, f)
			}
		}
		if s.opt.ShowSourceLabels && e.Index < len(d.Y) && d.Y[e.Index] >= 0 && d.Y[e.Index] < len(d.Classes) {
			it.SourceLabel = d.Classes[d.Y[e.Index]]
		}
		g.Items = append(g.Items, it)
	}
	return g
}

// queue is a strategy's queue, built when first asked for; s.mu is held.
func (s *Server) queue(strategy string) (Queue, error) {
	if q := s.queues[strategy]; q != nil {
		return q, nil
	}
	q, err := s.opt.Queue(strategy)
	if err != nil {
		return nil, err
	}
	s.queues[strategy] = q
	return q, nil
}

// expire returns the examples of expired leases; s.mu is held.
func (s *Server) expire() {
	now := s.opt.Now()
	for _, l := range s.leases {
		if !now.Before(l.expires) {
			s.log.Debug("lease expired", "lease", l.id, "examples", len(l.items))
			s.release(l)
		}
	}
}

// release ends a lease: its examples return to the queues; s.mu is held.
func (s *Server) release(l *lease) {
	for _, e := range l.items {
		if s.leased[e.Index] == l {
			delete(s.leased, e.Index)
		}
	}
	delete(s.leases, l.id)
}

// newLease leases items to session; s.mu is held.
func (s *Server) newLease(session, strategy string, items []Example) *lease {
	var b [12]byte
	rand.Read(b[:])
	l := &lease{id: hex.EncodeToString(b[:]), session: session, strategy: strategy, items: items, expires: s.opt.Now().Add(s.opt.LeaseTTL)}
	s.leases[l.id] = l
	for _, e := range items {
		s.leased[e.Index] = l
	}
	return l
}

// sessionLeases are the leases of a page; s.mu is held.
func (s *Server) sessionLeases(session string) []*lease {
	var out []*lease
	for _, l := range s.leases {
		if session != "" && l.session == session {
			out = append(out, l)
		}
	}
	return out
}

// taken is the State a queue reads: labeled, skipped or leased examples
// are not offered. s.mu is held while a queue reads it.
type taken struct{ s *Server }

func (t taken) Taken(i int) bool {
	if _, ok := t.s.leased[i]; ok {
		return true
	}
	if _, ok := t.s.j.Label(i); ok {
		return true
	}
	return t.s.j.Skipped(i)
}

func (t taken) Label(i int) (string, bool) { return t.s.j.Label(i) }

// handleNext leases the next group of a strategy to the page. A page that
// still holds a lease of that strategy gets it again (a reload shows the
// same examples); a page that switches strategy gives its lease back.
func (s *Server) handleNext(w http.ResponseWriter, r *http.Request) error {
	id, err := session(r)
	if err != nil {
		return err
	}
	if err := s.emptyBody(w, r); err != nil {
		return err
	}
	strategy := r.URL.Query().Get("strategy")
	if strategy == "" {
		strategy = s.opt.Strategy
	}
	if !isStrategy(strategy) {
		return fail(http.StatusBadRequest, "strategy %q: want %s, %s or %s", strategy, Cluster, Uncertain, Random)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire()
	for _, l := range s.sessionLeases(id) {
		if l.strategy == strategy && len(l.items) > 0 {
			writeJSON(w, http.StatusOK, s.group(l, nil))
			return nil
		}
		s.release(l)
	}
	q, err := s.queue(strategy)
	if err != nil {
		return fail(http.StatusBadRequest, "strategy %s: %v", strategy, err)
	}
	st := taken{s}
	group, ok := q.Next(st)
	var items []Example
	seen := map[int]bool{}
	for _, e := range group {
		if e.Index < 0 || e.Index >= s.pool.Data.Len() || seen[e.Index] || st.Taken(e.Index) {
			s.log.Warn("a queue offered an example it should not have: left out", "strategy", strategy, "index", e.Index)
			continue
		}
		seen[e.Index] = true
		items = append(items, e)
		if len(items) == s.opt.MaxGroup {
			break
		}
	}
	if !ok || len(items) == 0 {
		writeJSON(w, http.StatusOK, groupJSON{Strategy: strategy, Items: []itemJSON{}, Done: true, State: s.state(id)})
		return nil
	}
	for _, e := range items {
		s.offered[e.Index] = offer{strategy, e}
	}
	writeJSON(w, http.StatusOK, s.group(s.newLease(id, strategy, items), nil))
	return nil
}

// labelRequest is POST /api/label's body.
type labelRequest struct {
	Lease string `json:"lease"`
	Items []struct {
		Index *int   `json:"index"`
		Label string `json:"label"`
	} `json:"items"`
}

// skipRequest is POST /api/skip's body.
type skipRequest struct {
	Lease string `json:"lease"`
	Index *int   `json:"index"`
}

// savedJSON answers a decision: what the journal recorded (synced), and
// the counts after it.
type savedJSON struct {
	Saved   []Decision `json:"saved"`
	Warning string     `json:"warning,omitempty"`
	State   stateJSON  `json:"state"`
}

// handleLabel labels items of a lease at once (a cluster's selected
// members); the lease's other examples are given back.
func (s *Server) handleLabel(w http.ResponseWriter, r *http.Request) error {
	id, err := session(r)
	if err != nil {
		return err
	}
	var req labelRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if req.Lease == "" {
		return fail(http.StatusBadRequest, `no lease: send {"lease": ID, "items": [{"index": N, "label": CLASS}, ...]} with the lease /api/next gave`)
	}
	if len(req.Items) == 0 {
		return fail(http.StatusBadRequest, "no items: send at least one {\"index\": N, \"label\": CLASS}")
	}
	var ds []Decision
	seen := map[int]bool{}
	for k, it := range req.Items {
		if it.Index == nil {
			return fail(http.StatusBadRequest, "items[%d]: no index", k)
		}
		i := *it.Index
		if err := s.checkIndex(i); err != nil {
			return fail(http.StatusBadRequest, "items[%d]: %v", k, err)
		}
		if !slices.Contains(s.pool.Data.Classes, it.Label) {
			return fail(http.StatusBadRequest, "items[%d]: label %q is not a class; the classes are %s", k, it.Label, strings.Join(s.pool.Data.Classes, ", "))
		}
		if seen[i] {
			return fail(http.StatusBadRequest, "items[%d]: index %d is sent twice", k, i)
		}
		seen[i] = true
		ds = append(ds, Decision{Index: i, Action: ActionLabel, Label: it.Label})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.held(req.Lease, id)
	if err != nil {
		return err
	}
	for _, d := range ds {
		if !slices.ContainsFunc(l.items, func(e Example) bool { return e.Index == d.Index }) {
			return fail(http.StatusConflict, "index %d is not in lease %s: label the examples /api/next gave", d.Index, l.id)
		}
	}
	saved, err := s.j.Record(id, l.strategy, ds)
	warning, err := s.recorded(err)
	if err != nil {
		return err
	}
	s.release(l)
	writeJSON(w, http.StatusOK, savedJSON{Saved: saved, Warning: warning, State: s.state(id)})
	return nil
}

// handleSkip skips one example of a lease; the lease keeps the others.
func (s *Server) handleSkip(w http.ResponseWriter, r *http.Request) error {
	id, err := session(r)
	if err != nil {
		return err
	}
	var req skipRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	switch {
	case req.Lease == "":
		return fail(http.StatusBadRequest, `no lease: send {"lease": ID, "index": N} with the lease /api/next gave`)
	case req.Index == nil:
		return fail(http.StatusBadRequest, `no index: send {"lease": ID, "index": N}`)
	}
	if err := s.checkIndex(*req.Index); err != nil {
		return fail(http.StatusBadRequest, "%v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.held(req.Lease, id)
	if err != nil {
		return err
	}
	k := slices.IndexFunc(l.items, func(e Example) bool { return e.Index == *req.Index })
	if k < 0 {
		return fail(http.StatusConflict, "index %d is not in lease %s: skip an example /api/next gave", *req.Index, l.id)
	}
	saved, err := s.j.Record(id, l.strategy, []Decision{{Index: *req.Index, Action: ActionSkip}})
	warning, err := s.recorded(err)
	if err != nil {
		return err
	}
	delete(s.leased, *req.Index)
	l.items = slices.Delete(l.items, k, k+1)
	if len(l.items) == 0 {
		s.release(l)
	}
	writeJSON(w, http.StatusOK, savedJSON{Saved: saved, Warning: warning, State: s.state(id)})
	return nil
}

// undoJSON answers an undo: the decisions taken back, and a lease of
// their examples to decide again.
type undoJSON struct {
	Undone []Decision `json:"undone"`
	Group  groupJSON  `json:"group"`
	State  stateJSON  `json:"state"`
}

// handleUndo takes back the last action of the page that asks (a whole
// cluster labeled at once is one action), or of anyone when the request
// names no session. The examples come back to that page as a new lease;
// the lease it held goes back to the queues.
func (s *Server) handleUndo(w http.ResponseWriter, r *http.Request) error {
	id, err := session(r)
	if err != nil {
		return err
	}
	if err := s.emptyBody(w, r); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire()
	undone, err := s.j.Undo(id)
	warning, err := s.recorded(err)
	if err != nil {
		return err
	}
	if len(undone) == 0 {
		if id != "" {
			return fail(http.StatusConflict, "nothing to undo: this page has made no decision that is still in force")
		}
		return fail(http.StatusConflict, "nothing to undo: no decision is in force")
	}
	if warning != "" {
		s.log.Warn(warning)
	}
	for _, l := range s.sessionLeases(id) {
		s.release(l)
	}
	var items []Example
	was := map[int]string{}
	strategy := undone[0].Strategy
	for _, d := range undone {
		if (taken{s}).Taken(d.Index) {
			continue // an earlier decision about it is in force again
		}
		o, ok := s.offered[d.Index]
		e := o.example
		if !ok || o.strategy != d.Strategy {
			e = Example{Index: d.Index, Cluster: -1}
		}
		items = append(items, e)
		was[d.Index] = d.Label
	}
	if !isStrategy(strategy) {
		strategy = s.opt.Strategy // an imported label
	}
	ans := undoJSON{Undone: undone, Group: groupJSON{Strategy: strategy, Items: []itemJSON{}}}
	if len(items) > 0 {
		ans.Group = s.group(s.newLease(id, strategy, items), was)
	}
	ans.State = s.state(id)
	ans.Group.State = ans.State
	writeJSON(w, http.StatusOK, ans)
	return nil
}

// held is the lease id when it is still held (by session, when the lease
// was given to one); s.mu is held.
func (s *Server) held(id, session string) (*lease, error) {
	s.expire()
	l := s.leases[id]
	if l == nil {
		return nil, fail(http.StatusConflict, "lease %s is not held: it expired (leases last %v), the server restarted, or its examples went to another page; ask /api/next for a group", id, s.opt.LeaseTTL)
	}
	if l.session != "" && l.session != session {
		return nil, fail(http.StatusConflict, "lease %s belongs to another page", id)
	}
	return l, nil
}

// recorded turns a journal error into the request's answer: a decision
// whose labels file was not rewritten still counts (a warning).
func (s *Server) recorded(err error) (warning string, _ error) {
	var lf *LabelsFileError
	if errors.As(err, &lf) {
		s.log.Error("rewriting the labels file", "err", lf.Err)
		return lf.Error(), nil
	}
	return "", err
}

func (s *Server) checkIndex(i int) error {
	if n := s.pool.Data.Len(); i < 0 || i >= n {
		return fmt.Errorf("index %d: the data has %d examples (indices 0 to %d)", i, n, n-1)
	}
	return nil
}

// handleExample draws an image example as a PNG, each pixel a square of
// scale×scale (nearest neighbour: the pixels stay sharp).
func (s *Server) handleExample(w http.ResponseWriter, r *http.Request) error {
	file := r.PathValue("file")
	text, ok := strings.CutSuffix(file, ".png")
	i, err := strconv.Atoi(text)
	if !ok || err != nil || text != strconv.Itoa(i) {
		return fail(http.StatusNotFound, "no such example picture: %s; want /api/example/INDEX.png", r.URL.Path)
	}
	d := s.pool.Data
	if err := s.checkIndex(i); err != nil {
		return fail(http.StatusNotFound, "%v", err)
	}
	if d.Kind != data.Image || len(d.Shape) != 3 {
		return fail(http.StatusNotFound, "example %d is a row of values, not an image: /api/next gives its features", i)
	}
	c, h, wd := d.Shape[0], d.Shape[1], d.Shape[2]
	scale := max(1, min(32, (128+max(h, wd)-1)/max(h, wd)))
	if v := r.URL.Query().Get("scale"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 32 {
			return fail(http.StatusBadRequest, "scale %q: want a whole number from 1 to 32", v)
		}
		scale = n
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, drawExample(d.Row(i), c, h, wd, d.RawMax, scale)); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Write(buf.Bytes())
	return nil
}

// drawExample is a C×H×W example's picture, scaled up by repeating each
// pixel: grey for one channel, RGB for three (other counts: the first
// channel). Values are shown on the source's scale (0 to rawMax), or
// stretched to their range when the source has none.
func drawExample(x []float32, c, h, w int, rawMax float32, scale int) image.Image {
	lo, hi := float32(0), rawMax
	if hi <= 0 {
		lo, hi = float32(math.Inf(1)), float32(math.Inf(-1))
		for _, v := range x {
			if !math.IsNaN(float64(v)) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		if !(hi > lo) {
			lo, hi = 0, max(1, hi)
		}
	}
	level := func(v float32) uint8 {
		if math.IsNaN(float64(v)) {
			return 0
		}
		return uint8(math.Round(float64(max(0, min(1, (v-lo)/(hi-lo)))) * 255))
	}
	img := image.NewRGBA(image.Rect(0, 0, w*scale, h*scale))
	plane := h * w
	for y := range h {
		for xx := range w {
			p := y*w + xx
			g := level(x[p])
			col := color.RGBA{g, g, g, 255}
			if c == 3 {
				col = color.RGBA{g, level(x[plane+p]), level(x[2*plane+p]), 255}
			}
			for dy := range scale {
				for dx := range scale {
					img.SetRGBA(xx*scale+dx, y*scale+dy, col)
				}
			}
		}
	}
	return img
}

// decode reads a JSON body within MaxBody into v, refusing unknown fields
// and trailing data.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return fail(http.StatusBadRequest, "the request has no body; send JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fail(http.StatusBadRequest, "the body is not the JSON this endpoint takes: %v", err)
	}
	if dec.More() {
		return fail(http.StatusBadRequest, "the body holds more than one JSON value")
	}
	return nil
}

// emptyBody accepts no body, an empty one or {}.
func (s *Server) emptyBody(w http.ResponseWriter, r *http.Request) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	if b := bytes.TrimSpace(body); len(b) > 0 && !bytes.Equal(b, []byte("{}")) {
		return fail(http.StatusBadRequest, "%s takes no body (or {})", r.URL.Path)
	}
	return nil
}

// readBody reads a request's body within MaxBody.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	tooLarge := fail(http.StatusRequestEntityTooLarge, "the request body is over this server's limit of %d bytes", s.opt.MaxBody)
	if r.ContentLength > s.opt.MaxBody {
		return nil, tooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opt.MaxBody))
	var maxBytes *http.MaxBytesError
	switch {
	case errors.As(err, &maxBytes):
		return nil, tooLarge
	case err != nil:
		return nil, fail(http.StatusBadRequest, "reading the request body: %v", err)
	}
	return body, nil
}

// writeErr answers err: its status when it is a *requestError, else 500
// (the server's fault), logged, with a message that does not leak it.
func (s *Server) writeErr(w http.ResponseWriter, err error) {
	var re *requestError
	if errors.As(err, &re) {
		writeError(w, re.status, re.msg)
		return
	}
	s.log.Error("answering a request", "err", err)
	writeError(w, http.StatusInternalServerError, "internal error: "+err.Error())
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
