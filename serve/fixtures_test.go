package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/experiment"
	"github.com/practica-ml/practica/inference"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/setup"
)

// trainRun trains cfg's model (fixed seeds, calibrated) into a run
// directory of its own, as train does.
func trainRun(t testing.TB, cfg config.Experiment) *rundir.Dir {
	t.Helper()
	cfg.Calibration.Bootstrap = 0
	cfg.Output.Root = t.TempDir()
	sum, err := experiment.Train(context.Background(), cfg, experiment.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := rundir.Open(sum.RunDir)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// digitsRun is a small CNN on the embedded 8×8 digits (raw pixels 0..16),
// after one epoch.
func digitsRun(t testing.TB) *rundir.Dir {
	c := config.Default()
	c.Model.Channels, c.Model.Hidden = []int{4}, []int{16}
	c.Training.Epochs = 1
	return trainRun(t, c)
}

// cancerRun is an MLP on breast_cancer.csv (30 features, 2 classes).
func cancerRun(t testing.TB) *rundir.Dir {
	c := config.Default()
	c.Data.Source = "../data/testdata/breast_cancer.csv"
	c.Training.Epochs = 2
	return trainRun(t, c)
}

// holeyIrisRun is an MLP on iris with some cells missing, filled by
// their training mean: a model that imputes.
func holeyIrisRun(t testing.TB) *rundir.Dir {
	b, err := os.ReadFile("../data/testdata/iris.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i := 1; i < len(lines); i += 7 {
		f := strings.Split(lines[i], ",")
		f[1] = ""
		lines[i] = strings.Join(f, ",")
	}
	path := filepath.Join(t.TempDir(), "holey.csv")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := config.Default()
	c.Data.Source, c.Data.Missing = path, "mean"
	c.Training.Epochs = 2
	return trainRun(t, c)
}

// load loads a run's best.ckpt: a Predictor of its own, as each served
// version needs.
func load(t testing.TB, dir *rundir.Dir) *inference.Predictor {
	t.Helper()
	p, err := inference.Load(dir.Join(rundir.BestCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newServer serves models (the loader returns them each time), closed
// when the test ends.
func newServer(t testing.TB, opt Options, models ...*Model) *Server {
	t.Helper()
	s, err := New(func() ([]*Model, error) { return models, nil }, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// call answers one request with h, in process; body is sent as it is
// when it is a string, else as its JSON.
func call(t testing.TB, h http.Handler, method, path string, body any) (int, http.Header, []byte) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, path, r))
	return w.Code, w.Header(), w.Body.Bytes()
}

// tensor is an input tensor of a request; data holds float64s so that
// each float32 is written exactly.
func tensor(name, datatype string, shape []int, data any) map[string]any {
	return map[string]any{"name": name, "datatype": datatype, "shape": shape, "data": data}
}

// exact widens raw examples to float64, written in JSON as decimals that
// parse back to the same float32s.
func exact(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// rowsRequest asks about n raw examples as one FP32 input of shape
// [n, shape...].
func rowsRequest(x []float32, shape ...int) map[string]any {
	n := len(x)
	for _, d := range shape {
		n /= d
	}
	return map[string]any{"inputs": []any{tensor("input", FP32, append([]int{n}, shape...), exact(x))}}
}

// response is a decoded inference answer.
type response struct {
	ModelName    string `json:"model_name"`
	ModelVersion string `json:"model_version"`
	ID           string `json:"id"`
	Outputs      []struct {
		Name     string          `json:"name"`
		Shape    []int           `json:"shape"`
		Datatype string          `json:"datatype"`
		Data     json.RawMessage `json:"data"`
	} `json:"outputs"`
	Error string `json:"error"`
}

// infer posts req to path and decodes a 200 answer.
func infer(t testing.TB, h http.Handler, path string, req any) response {
	t.Helper()
	status, _, body := call(t, h, http.MethodPost, path, req)
	if status != http.StatusOK {
		t.Fatalf("POST %s: %d %s", path, status, body)
	}
	var r response
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return r
}

// float32Output parses output name of r as the client would: each decimal
// rounded to float32.
func (r response) float32Output(t testing.TB, name string) []float32 {
	t.Helper()
	for _, o := range r.Outputs {
		if o.Name != name {
			continue
		}
		var nums []json.Number
		if err := json.Unmarshal(o.Data, &nums); err != nil {
			t.Fatal(err)
		}
		x := make([]float32, len(nums))
		for i, s := range nums {
			v, err := strconv.ParseFloat(string(s), 32)
			if err != nil {
				t.Fatal(err)
			}
			x[i] = float32(v)
		}
		return x
	}
	t.Fatalf("no output %q in %+v", name, r.Outputs)
	return nil
}

// output decodes output name of r into v.
func (r response) output(t testing.TB, name string, v any) {
	t.Helper()
	for _, o := range r.Outputs {
		if o.Name == name {
			if err := json.Unmarshal(o.Data, v); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no output %q in %+v", name, r.Outputs)
}

// testSplit is the run's raw test split, as predict --split reads it.
func testSplit(t testing.TB, dir *rundir.Dir) inference.Input {
	t.Helper()
	in, err := inference.ReadSplit(dir, "test", setup.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}
