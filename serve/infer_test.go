package serve

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/practica-ml/practica/inference"
	"github.com/practica-ml/practica/model"
)

// TestServedEqualsPredict: the probabilities served for a test split are
// predict's (inference.Predict, what its file mode prints) rounded to
// float32, bit for bit, at the checkpoint's calibration temperature; so
// are the logits;
// an image sent as base64 PNG scores as predict scores the file.
func TestServedEqualsPredict(t *testing.T) {
	cancer, digits := cancerRun(t), digitsRun(t)
	served, filed := load(t, cancer), load(t, cancer)
	if T := served.Temperature; T == 1 || !(T > 0) {
		t.Fatalf("temperature %v: the fixture should be calibrated", T)
	}
	s := newServer(t, Options{},
		&Model{Name: "bc", Version: 1, Predictor: served},
		&Model{Name: "digits", Version: 1, Predictor: load(t, digits)})
	pngPath := filepath.Join(t.TempDir(), "bar.png")
	if err := os.WriteFile(pngPath, digitPNG(t), 0o644); err != nil {
		t.Fatal(err)
	}
	digitsFiled := load(t, digits)
	image, err := digitsFiled.ReadImages([]string{pngPath})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		path    string
		request map[string]any
		file    *inference.Predictor
		in      inference.Input
	}{
		{"breast cancer test split", "/v2/models/bc/infer", rowsRequest(testSplit(t, cancer).X, 30), filed, testSplit(t, cancer)},
		{"digits test split", "/v2/models/digits/infer", rowsRequest(testSplit(t, digits).X, 1, 8, 8), digitsFiled, testSplit(t, digits)},
		{"a PNG", "/v2/models/digits/infer", map[string]any{"inputs": []any{tensor("image", BYTES, []int{1}, []string{base64.StdEncoding.EncodeToString(digitPNG(t))})}}, digitsFiled, image},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			preds, err := tc.file.Predict(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			var wantProbs, wantLogits []float32
			for _, p := range preds {
				for _, q := range p.Probabilities {
					wantProbs = append(wantProbs, float32(q))
				}
				wantLogits = append(wantLogits, p.Logits...)
			}
			r := infer(t, s.Handler(), tc.path, tc.request)
			probs, logits := r.float32Output(t, outProbabilities), r.float32Output(t, outLogits)
			if len(preds) < 1 || !sameBits(probs, wantProbs) || !sameBits(logits, wantLogits) {
				t.Fatalf("%d examples: served probabilities %v…, predict's %v…", len(preds), probs[:min(4, len(probs))], wantProbs[:min(4, len(wantProbs))])
			}
		})
	}
}

// TestNullIsMissing: for a model that fills missing values, a JSON null
// is a missing cell, scored as predict scores an empty cell (NaN).
func TestNullIsMissing(t *testing.T) {
	dir := holeyIrisRun(t)
	p := load(t, dir)
	if p.Checkpoint.Input.Missing == nil {
		t.Fatal("the fixture does not impute")
	}
	s := newServer(t, Options{}, &Model{Name: "iris", Version: 1, Predictor: load(t, dir)})
	body := `{"inputs":[{"name":"input","datatype":"FP32","shape":[2,4],"data":[[5.1,null,1.4,0.2],[null,null,null,null]]}]}`
	status, _, b := call(t, s.Handler(), http.MethodPost, "/v2/models/iris/infer", body)
	if status != 200 {
		t.Fatalf("%d %s", status, b)
	}
	var r response
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	nan := float32(math.NaN())
	preds, err := p.Predict(inference.Input{X: []float32{5.1, nan, 1.4, 0.2, nan, nan, nan, nan}})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.float32Output(t, outLogits); !sameBits(got, append(preds[0].Logits, preds[1].Logits...)) {
		t.Fatalf("served logits %v, predict's %v %v", got, preds[0].Logits, preds[1].Logits)
	}
}

// recordingLogger records LogInputs calls; fail makes them fail.
type recordingLogger struct {
	mu    sync.Mutex
	calls []string
	fail  bool
}

func (l *recordingLogger) LogInputs(name string, version int, in model.InputSchema, classes []string, at time.Time, x []float32, predicted []int, confidence []float64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, fmt.Sprintf("%s v%d %v %d classes: %d values, predicted %v, confidence %.6f, at set %v", name, version, in.Shape, len(classes), len(x), predicted, confidence, !at.IsZero()))
	if l.fail {
		return errors.New("disk full")
	}
	return nil
}

// TestInputLogger: each answered request's raw inputs, predictions and
// confidences reach the input logger, once per request; a refused request
// does not; a logger that fails is logged and the request still answered.
func TestInputLogger(t *testing.T) {
	dir := cancerRun(t)
	var logged bytes.Buffer
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprintf("failing %v", fail), func(t *testing.T) {
			rec := &recordingLogger{fail: fail}
			s := newServer(t, Options{InputLogger: rec, Logger: slog.New(slog.NewTextHandler(&logged, nil))}, &Model{Name: "bc", Version: 3, Predictor: load(t, dir)})
			x := testSplit(t, dir).X[:2*30]
			r := infer(t, s.Handler(), "/v2/models/bc/infer", rowsRequest(x, 30))
			call(t, s.Handler(), http.MethodPost, "/v2/models/bc/infer", rowsRequest(x, 29))
			var predicted []int
			r.output(t, outPredicted, &predicted)
			probs := r.float32Output(t, outProbabilities)
			want := fmt.Sprintf("bc v3 [30] 2 classes: 60 values, predicted %v, confidence [%.6f %.6f], at set true", predicted,
				probs[predicted[0]], probs[2+predicted[1]])
			if len(rec.calls) != 1 || rec.calls[0] != want {
				t.Fatalf("calls %q\nwant [%q]", rec.calls, want)
			}
			if fail != strings.Contains(logged.String(), "disk full") {
				t.Errorf("failing logger %v, server log %q", fail, logged.String())
			}
		})
	}
}

// TestMetricsEndpoint: after requests, /metrics holds the request
// counts by model, version and status, the latency, batch-size and
// confidence histograms, the predictions by class, the in-flight gauge,
// and the Go and process collectors.
func TestMetricsEndpoint(t *testing.T) {
	dir := cancerRun(t)
	s := newServer(t, Options{}, &Model{Name: "bc", Version: 1, Predictor: load(t, dir)})
	x := testSplit(t, dir).X[:3*30]
	r := infer(t, s.Handler(), "/v2/models/bc/infer", rowsRequest(x, 30))
	call(t, s.Handler(), http.MethodPost, "/v2/models/bc/infer", rowsRequest(x, 15))
	call(t, s.Handler(), http.MethodPost, "/v2/models/nope/infer", rowsRequest(x, 30))
	var classes []string
	r.output(t, outClass, &classes)
	perClass := map[string]int{}
	for _, c := range classes {
		perClass[c]++
	}
	status, _, body := call(t, s.Handler(), http.MethodGet, "/metrics", nil)
	if status != 200 {
		t.Fatalf("%d", status)
	}
	want := []string{
		`practica_requests_total{code="200",model="bc",version="1"} 1`,
		`practica_requests_total{code="400",model="bc",version="1"} 1`,
		`practica_requests_total{code="404",model="",version=""} 1`,
		`practica_request_duration_seconds_count{model="bc",version="1"} 2`,
		`practica_batch_size_sum{model="bc",version="1"} 3`,
		`practica_batch_size_count{model="bc",version="1"} 1`,
		`practica_confidence_count{model="bc",version="1"} 3`,
		`practica_confidence_bucket{model="bc",version="1",le="0.2"} 0`,
		`practica_requests_in_flight 0`,
		`go_goroutines `,
		`process_cpu_seconds_total `,
	}
	for c, n := range perClass {
		want = append(want, fmt.Sprintf(`practica_predictions_total{class=%q,model="bc",version="1"} %d`, c, n))
	}
	for _, w := range want {
		if !strings.Contains(string(body), w) {
			t.Errorf("/metrics lacks %q", w)
		}
	}
	if t.Failed() {
		t.Logf("%s", regexp.MustCompile(`(?m)^practica_.*$`).FindAllString(string(body), -1))
	}
}

// TestServerFaults: a model that panics, and a full queue, answer 500
// (logged) and 503; the worker survives the panic.
func TestServerFaults(t *testing.T) {
	dir := cancerRun(t)
	broken := load(t, dir)
	// Statistics for one feature of thirty: normalizing indexes past them.
	broken.Checkpoint.Normalization.Mean = broken.Checkpoint.Normalization.Mean[:1]
	var logged bytes.Buffer
	s := newServer(t, Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))},
		&Model{Name: "broken", Version: 1, Predictor: broken},
		&Model{Name: "busy", Version: 1, Predictor: load(t, dir)})
	x := testSplit(t, dir).X[:30]
	for range 2 {
		status, _, body := call(t, s.Handler(), http.MethodPost, "/v2/models/broken/infer", rowsRequest(x, 30))
		if status != 500 || !strings.Contains(string(body), "internal error: see the server's log") {
			t.Fatalf("a panicking model: %d %s", status, body)
		}
	}
	if !strings.Contains(logged.String(), "the model panicked") || !strings.Contains(logged.String(), "index out of range") {
		t.Errorf("the panic is not logged: %q", logged.String())
	}
	// The busy version's worker stopped, its queue (of one) full.
	busy := s.models.Load().byName["busy"][0]
	busy.batcher.stop()
	busy.batcher = &batcher{queue: make(chan *job, 1), done: make(chan struct{})}
	busy.batcher.queue <- &job{}
	status, h, body := call(t, s.Handler(), http.MethodPost, "/v2/models/busy/infer", rowsRequest(x, 30))
	if status != 503 || h.Get("Retry-After") != "1" || !strings.Contains(string(body), `model \"busy\" version 1 is busy: its queue of 256 requests is full`) {
		t.Errorf("a full queue: %d %s (Retry-After %q)", status, body, h.Get("Retry-After"))
	}
	close(busy.batcher.done)
}

// TestServeDrains: Serve answers on its listener until its context is
// done, then finishes, stops its workers and returns nil; the port is
// closed afterwards.
func TestServeDrains(t *testing.T) {
	dir := cancerRun(t)
	s, err := New(func() ([]*Model, error) {
		return []*Model{{Name: "bc", Version: 1, Predictor: load(t, dir)}}, nil
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	url := "http://" + ln.Addr().String()
	body, _ := json.Marshal(rowsRequest(testSplit(t, dir).X[:30], 30))
	resp, err := http.Post(url+"/v2/models/bc/infer", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"model_name":"bc"`) {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if len(s.models.Load().names) != 0 {
		t.Error("models still served after Serve returned")
	}
	if _, err := http.Get(url + "/v2/health/live"); err == nil {
		t.Error("the port still answers")
	}
}

// TestReloadForgetsRemovedVersions: once a reload stops serving a
// version, /metrics no longer reports its series; the versions still
// served keep theirs.
func TestReloadForgetsRemovedVersions(t *testing.T) {
	dir := cancerRun(t)
	both := true
	s, err := New(func() ([]*Model, error) {
		ms := []*Model{{Name: "bc", Version: 2, Predictor: load(t, dir)}}
		if both {
			ms = append(ms, &Model{Name: "bc", Version: 1, Predictor: load(t, dir)})
		}
		return ms, nil
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	x := testSplit(t, dir).X[:30]
	for _, path := range []string{"/v2/models/bc/versions/1/infer", "/v2/models/bc/versions/2/infer"} {
		infer(t, s.Handler(), path, rowsRequest(x, 30))
	}
	metricsText := func() string {
		_, _, body := call(t, s.Handler(), http.MethodGet, "/metrics", nil)
		return string(body)
	}
	for _, v := range []string{"1", "2"} {
		if want := `practica_requests_total{code="200",model="bc",version="` + v + `"} 1`; !strings.Contains(metricsText(), want) {
			t.Fatalf("before the reload, /metrics lacks %s", want)
		}
	}
	both = false
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	got := metricsText()
	if strings.Contains(got, `version="1"`) || !strings.Contains(got, `practica_requests_total{code="200",model="bc",version="2"} 1`) {
		t.Errorf("after version 1 was removed, /metrics still has its series or lost version 2's:\n%s", got)
	}
}
