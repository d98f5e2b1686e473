package main

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/practica-ml/practica/inference"
	"github.com/practica-ml/practica/internal/syncbuf"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/setup"
)

// TestNoTrainServeSkew: the test split sent through predict --serve (as
// FP32 rows in one request, as one request per example sent one after
// the other and all at once so that the server batches them, and, for an
// image model, as PNG files) is answered with the float32 values of eval's
// predictions.csv and of predict --split test, bit for bit (the file modes'
// float64 probabilities rounded to float32), for a tabular model, an image
// cnn and an image model written as a layer list.
func TestNoTrainServeSkew(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three models")
	}
	images := filepath.Join(t.TempDir(), "images")
	writeImageFolder(t, images)
	cancer, err := filepath.Abs("../../data/testdata/breast_cancer.csv")
	if err != nil {
		t.Fatal(err)
	}
	// A layer list with the layers the presets do not use, so that the
	// serving path is shown to take any model the config defines.
	layers := filepath.Join(t.TempDir(), "layers.yaml")
	if err := os.WriteFile(layers, []byte(`model:
  layers:
    - conv2d: {filters: 8, bias: false}
    - batchnorm: {}
    - leaky_relu: {}
    - residual:
        layers:
          - conv2d: {filters: 12, stride: 2}
          - layernorm: {}
          - gelu: {}
    - avgpool: {size: 2, stride: 1}
    - global_avgpool: {}
    - dense: {units: 16}
    - sigmoid: {}
    - dropout: {p: 0.2}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		png  bool
	}{
		{"tabular mlp", []string{"--data", cancer, "--model", "mlp", "--epochs", "2"}, false},
		{"image cnn", []string{"--data", images, "--image-size", "8", "--test", "0.3", "--epochs", "2"}, true},
		{"image layer list", []string{"--config", layers, "--data", images, "--image-size", "8", "--test", "0.3", "--epochs", "2"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			run, n := trainIn(t, t.TempDir(), tc.args...)
			if n < 5 {
				t.Fatalf("a test split of %d examples", n)
			}
			want := predictSplit(t, run)
			if got := evalPredictions(t, run); !sameFloat32(got, want.probs) {
				t.Fatalf("eval's predictions.csv %v differs from predict --split test %v", got, want.probs)
			}
			dir, err := rundir.Open(run)
			if err != nil {
				t.Fatal(err)
			}
			split, err := inference.ReadSplit(dir, "test", setup.Env{})
			if err != nil {
				t.Fatal(err)
			}
			shape := splitShape(t, run)
			size := len(split.X) / n
			base := startServer(t, run)
			requests := map[string][]map[string]any{"rows in one request": {rowsRequest(split.X, n, shape)}}
			for i := range n {
				requests["one request per row"] = append(requests["one request per row"], rowsRequest(split.X[i*size:(i+1)*size], 1, shape))
			}
			if tc.png {
				var files []string
				for i := range n {
					files = append(files, base64.StdEncoding.EncodeToString(greyPNG(t, split.X[i*size:(i+1)*size], shape)))
					requests["a PNG per request"] = append(requests["a PNG per request"], bytesRequest(files[i:i+1]))
				}
				requests["PNGs in one request"] = []map[string]any{bytesRequest(files)}
			}
			for name, reqs := range requests {
				for _, concurrent := range []bool{false, true} {
					if concurrent && len(reqs) == 1 {
						continue
					}
					probs, logits := serveAll(t, base, reqs, concurrent)
					if !sameFloat32(probs, want.probs) || !sameFloat32(logits, want.logits) {
						t.Errorf("%s (concurrent %v): served probabilities %v…, predict's %v…", name, concurrent, probs[:4], want.probs[:4])
					}
				}
			}
		})
	}
}

// outputs are a model's float32 outputs for a split, row-major.
type outputs struct{ probs, logits []float32 }

// predictSplit runs predict --split test on run and returns its
// probabilities rounded to float32, and its logits.
func predictSplit(t *testing.T, run string) outputs {
	t.Helper()
	code, stdout, stderr := practica("", "predict", "--run", run, "--split", "test")
	if code != 0 {
		t.Fatalf("predict --split test: exit %d: %s", code, stderr)
	}
	var out outputs
	dec := json.NewDecoder(strings.NewReader(stdout))
	for dec.More() {
		var line struct {
			Probabilities []float64 `json:"probabilities"`
			Logits        []float32 `json:"logits"`
		}
		if err := dec.Decode(&line); err != nil {
			t.Fatal(err)
		}
		for _, p := range line.Probabilities {
			out.probs = append(out.probs, float32(p))
		}
		out.logits = append(out.logits, line.Logits...)
	}
	return out
}

// evalPredictions runs eval on run's test split and returns the p_<class>
// columns of its predictions.csv, rounded to float32.
func evalPredictions(t *testing.T, run string) []float32 {
	t.Helper()
	out := t.TempDir()
	if code, _, stderr := practica("", "eval", "--run", run, "--out", out); code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	f, err := os.Open(filepath.Join(out, "predictions.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var probs []float32
	for _, row := range rows[1:] {
		for j, cell := range row {
			if strings.HasPrefix(rows[0][j], "p_") {
				v, err := strconv.ParseFloat(cell, 64)
				if err != nil {
					t.Fatal(err)
				}
				probs = append(probs, float32(v))
			}
		}
	}
	return probs
}

// splitShape is the shape of one of run's examples, from its model card.
func splitShape(t *testing.T, run string) []int {
	t.Helper()
	var card struct {
		Input struct {
			Shape []int `json:"shape"`
		} `json:"input"`
	}
	b, err := os.ReadFile(filepath.Join(run, "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &card); err != nil {
		t.Fatal(err)
	}
	return card.Input.Shape
}

// startServer runs practica predict --serve for run on a free loopback
// port, batching requests that arrive within 20 ms, and returns its base
// URL; the server is stopped (SIGTERM) when the test ends.
func startServer(t *testing.T, run string) string {
	t.Helper()
	log := &syncbuf.Buffer{}
	exit := make(chan int, 1)
	go func() {
		exit <- run2(log, "predict", "--serve", "127.0.0.1:0", "--run", run, "--name", "m", "--batch-window", "20ms")
	}()
	url := regexp.MustCompile(`url=(http://\S+)/v2`)
	for deadline := time.Now().Add(time.Minute); !url.MatchString(log.String()); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the server did not start: %s", log.String())
		}
	}
	t.Cleanup(func() {
		if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
			t.Error(err)
		}
		if code := <-exit; code != 0 {
			t.Errorf("the server exited %d: %s", code, log.String())
		}
	})
	return url.FindStringSubmatch(log.String())[1]
}

// run2 runs practica with its standard error written to log.
func run2(log io.Writer, args ...string) int {
	return run(append([]string{"practica"}, args...), strings.NewReader(""), io.Discard, log)
}

func rowsRequest(x []float32, n int, shape []int) map[string]any {
	return map[string]any{"inputs": []any{map[string]any{"name": "input", "datatype": "FP32", "shape": append([]int{n}, shape...), "data": x}}}
}

func bytesRequest(files []string) map[string]any {
	return map[string]any{"inputs": []any{map[string]any{"name": "image", "datatype": "BYTES", "shape": []int{len(files)}, "data": files}}}
}

// greyPNG encodes one grey example of raw 8-bit values as a PNG file.
func greyPNG(t *testing.T, x []float32, shape []int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, shape[2], shape[1]))
	for i, v := range x {
		if v != float32(math.Round(float64(v))) || v < 0 || v > 255 {
			t.Fatalf("pixel %d is %v, not an 8-bit value", i, v)
		}
		img.Pix[i] = uint8(v)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// serveAll sends the requests to base's model m, one after the other or
// all at once, and returns the answers' probabilities and logits in the
// requests' order.
func serveAll(t *testing.T, base string, reqs []map[string]any, concurrent bool) (probs, logits []float32) {
	t.Helper()
	answers := make([]outputs, len(reqs))
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	for i, req := range reqs {
		do := func() { answers[i], errs[i] = infer(base, req) }
		if !concurrent {
			do()
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); do() }()
	}
	wg.Wait()
	for i := range answers {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		probs = append(probs, answers[i].probs...)
		logits = append(logits, answers[i].logits...)
	}
	return probs, logits
}

func infer(base string, req map[string]any) (outputs, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return outputs{}, err
	}
	resp, err := http.Post(base+"/v2/models/m/infer", "application/json", bytes.NewReader(body))
	if err != nil {
		return outputs{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return outputs{}, fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	var answer struct {
		Outputs []struct {
			Name string          `json:"name"`
			Data json.RawMessage `json:"data"`
		} `json:"outputs"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		return outputs{}, err
	}
	var out outputs
	for _, o := range answer.Outputs {
		switch o.Name {
		case "probabilities":
			err = json.Unmarshal(o.Data, &out.probs)
		case "logits":
			err = json.Unmarshal(o.Data, &out.logits)
		}
		if err != nil {
			return outputs{}, fmt.Errorf("output %s: %w", o.Name, err)
		}
	}
	return out, nil
}

// sameFloat32 tells whether a and b hold the same float32 bits.
func sameFloat32(a, b []float32) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}
