package serve

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// digitPNG is an 8×8 grey PNG of a vertical bar, the size of the digits.
func digitPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for y := range 8 {
		img.SetGray(3, y, color.Gray{Y: 255})
		img.SetGray(4, y, color.Gray{Y: 200})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestBadRequests: every request the server cannot answer as asked gets
// its status and a message saying what was expected, never a 500.
func TestBadRequests(t *testing.T) {
	s := newServer(t, Options{MaxBody: 64 << 10},
		&Model{Name: "bc", Version: 1, Predictor: load(t, cancerRun(t))},
		&Model{Name: "digits", Version: 1, Predictor: load(t, digitsRun(t))})
	row := make([]float64, 30)
	for i := range row {
		row[i] = float64(i)
	}
	one := func(in map[string]any) map[string]any { return map[string]any{"inputs": []any{in}} }
	withNull := `{"inputs":[{"name":"input","datatype":"FP32","shape":[1,30],"data":[null` + strings.Repeat(",1", 29) + `]}]}`
	huge := `{"inputs":[{"name":"input","datatype":"FP32","shape":[1,30],"data":[1e39` + strings.Repeat(",1", 29) + `]}]}`
	// A blank PNG one pixel wider than 4096²: a few kilobytes announcing
	// 16.8 million pixels.
	var bomb bytes.Buffer
	if err := png.Encode(&bomb, image.NewGray(image.Rect(0, 0, 4097, 4096))); err != nil {
		t.Fatal(err)
	}
	nested := make([]any, 2)
	for i := range nested {
		nested[i] = row[:29]
	}
	cases := []struct {
		name    string
		method  string
		path    string
		header  map[string]string
		body    any
		status  int
		wantMsg string
		allow   string
	}{
		{"malformed JSON", "POST", "/v2/models/bc/infer", nil, `{"inputs": [`, 400, "malformed JSON", ""},
		{"trailing garbage", "POST", "/v2/models/bc/infer", nil, `{"inputs": []} x`, 400, "malformed JSON", ""},
		{"empty body", "POST", "/v2/models/bc/infer", nil, ``, 400, "malformed JSON", ""},
		{"no inputs", "POST", "/v2/models/bc/infer", nil, `{"id": "a"}`, 400, `the request has no "inputs"`, ""},
		{"id not a string", "POST", "/v2/models/bc/infer", nil, `{"id": 7, "inputs": []}`, 400, `request field "id" is a JSON number, want a string`, ""},
		{"shape of strings", "POST", "/v2/models/bc/infer", nil, `{"inputs": [{"name":"input","datatype":"FP32","shape":["1"],"data":[]}]}`, 400, `request field "inputs.shape" is a JSON string, want an integer`, ""},
		{"wrong shape", "POST", "/v2/models/bc/infer", nil, one(tensor("input", FP32, []int{20, 29}, make([]float64, 580))), 400, `input "input": shape [20 29] does not match the model's input [-1 30]`, ""},
		{"image shape for rows", "POST", "/v2/models/bc/infer", nil, one(tensor("input", FP32, []int{1, 1, 5, 6}, make([]float64, 30))), 400, "shape [1 1 5 6] does not match the model's input [-1 30]", ""},
		{"no examples", "POST", "/v2/models/bc/infer", nil, one(tensor("input", FP32, []int{0, 30}, []float64{})), 400, "shape [0 30] holds no examples", ""},
		{"negative dimension", "POST", "/v2/models/bc/infer", nil, one(tensor("input", FP32, []int{-1, 30}, row)), 400, "shape [-1 30] has a negative dimension", ""},
		{"too few elements", "POST", "/v2/models/bc/infer", nil, one(tensor("input", FP32, []int{1, 30}, row[:29])), 400, "data hold 29 elements, and shape [1 30] needs 30", ""},
		{"nested unlike the shape", "POST", "/v2/models/bc/infer", nil, one(tensor("input", FP32, []int{2, 30}, nested)), 400, "hold an array of 29 elements at depth 2, want 30", ""},
		{"nested too deep", "POST", "/v2/models/bc/infer", nil, one(tensor("input", FP32, []int{30}, []any{row})), 400, "nested deeper than the shape [30]", ""},
		{"data not an array", "POST", "/v2/models/bc/infer", nil, one(tensor("input", FP32, []int{1, 30}, 3)), 400, "data must be an array", ""},
		{"no data", "POST", "/v2/models/bc/infer", nil, `{"inputs":[{"name":"input","datatype":"FP32","shape":[1,30]}]}`, 400, `input "input" has no data`, ""},
		{"strings for FP32", "POST", "/v2/models/bc/infer", nil, one(tensor("input", FP32, []int{1, 1}, []string{"1"})), 400, `element 0 is a string, want a number`, ""},
		{"null, no imputation", "POST", "/v2/models/bc/infer", nil, withNull, 400, `element 0 (example 0, feature 0) is null, and the model was trained without filling missing values`, ""},
		{"beyond float32", "POST", "/v2/models/bc/infer", nil, huge, 400, "element 0 is 1e39, beyond the FP32 range", ""},
		{"unsupported datatype", "POST", "/v2/models/bc/infer", nil, one(tensor("input", "FP64", []int{1, 30}, row)), 400, `datatype "FP64" is not one this server reads: want FP32`, ""},
		{"no datatype", "POST", "/v2/models/bc/infer", nil, one(tensor("input", "", []int{1, 30}, row)), 400, `input "input" has no datatype`, ""},
		{"BYTES for rows", "POST", "/v2/models/bc/infer", nil, one(tensor("input", BYTES, []int{1}, []string{"x"})), 400, `input "input": datatype BYTES, and the model takes FP32`, ""},
		{"unknown input", "POST", "/v2/models/bc/infer", nil, one(tensor("features", FP32, []int{1, 30}, row)), 400, `unknown input "features": the model takes "input" (FP32 [-1 30])`, ""},
		{"image for a tabular model", "POST", "/v2/models/bc/infer", nil, one(tensor("image", BYTES, []int{1}, []string{"eA=="})), 400, `unknown input "image"`, ""},
		{"two inputs", "POST", "/v2/models/digits/infer", nil, map[string]any{"inputs": []any{tensor("input", FP32, []int{1, 1, 8, 8}, make([]float64, 64)), tensor("image", BYTES, []int{1}, []string{"eA=="})}}, 400, `the request has 2 inputs, and the model takes one: "input" (FP32 [-1 1 8 8]) or "image" (BYTES [-1], base64 PNG or JPEG files)`, ""},
		{"input twice", "POST", "/v2/models/bc/infer", nil, map[string]any{"inputs": []any{tensor("input", FP32, []int{1, 30}, row), tensor("input", FP32, []int{1, 30}, row)}}, 400, `input "input" is given twice`, ""},
		{"unknown output", "POST", "/v2/models/bc/infer", nil, map[string]any{"inputs": []any{tensor("input", FP32, []int{1, 30}, row)}, "outputs": []any{map[string]string{"name": "scores"}}}, 400, `unknown output "scores": the model's outputs are probabilities, logits, predicted, class`, ""},
		{"output twice", "POST", "/v2/models/bc/infer", nil, map[string]any{"inputs": []any{tensor("input", FP32, []int{1, 30}, row)}, "outputs": []any{map[string]string{"name": "class"}, map[string]string{"name": "class"}}}, 400, `output "class" is asked for twice`, ""},
		{"binary extension", "POST", "/v2/models/bc/infer", map[string]string{"Inference-Header-Content-Length": "10"}, one(tensor("input", FP32, []int{1, 30}, row)), 400, "binary tensor data extension is not supported", ""},
		{"image not base64", "POST", "/v2/models/digits/infer", nil, one(tensor("image", BYTES, []int{1}, []string{"%%%"})), 400, `input "image": element 0 is not standard base64`, ""},
		{"image not an image", "POST", "/v2/models/digits/infer", nil, one(tensor("image", BYTES, []int{1}, []string{base64.StdEncoding.EncodeToString([]byte("a,b\n1,2\n"))})), 400, `input "image" element 0: cannot decode image`, ""},
		{"image of FP32", "POST", "/v2/models/digits/infer", nil, one(tensor("image", FP32, []int{1}, []float64{1})), 400, `input "image": datatype FP32, and the model takes BYTES`, ""},
		{"image beyond the pixel limit", "POST", "/v2/models/digits/infer", nil, one(tensor("image", BYTES, []int{1}, []string{base64.StdEncoding.EncodeToString(bomb.Bytes())})), 400, `input "image" element 0: image of 4097×4096 pixels, more than the 16777216 this reader accepts`, ""},
		{"images as a matrix", "POST", "/v2/models/digits/infer", nil, one(tensor("image", BYTES, []int{1, 1}, []string{"eA=="})), 400, `input "image": shape [1 1] does not match the model's input [-1]`, ""},
		{"pixels of the wrong size", "POST", "/v2/models/digits/infer", nil, one(tensor("input", FP32, []int{1, 1, 8, 7}, make([]float64, 56))), 400, "shape [1 1 8 7] does not match the model's input [-1 1 8 8]", ""},
		{"body over the limit", "POST", "/v2/models/bc/infer", nil, one(tensor("input", FP32, []int{1, 30}, make([]float64, 40000))), 413, "over this server's limit of 65536 bytes", ""},
		{"unknown model", "POST", "/v2/models/nope/infer", nil, one(tensor("input", FP32, []int{1, 30}, row)), 404, `unknown model "nope": this server serves "bc", "digits"`, ""},
		{"unknown version", "POST", "/v2/models/bc/versions/7/infer", nil, one(tensor("input", FP32, []int{1, 30}, row)), 404, `model "bc" has no version "7": its versions are 1`, ""},
		{"version not a number", "GET", "/v2/models/bc/versions/..%2f..%2fetc", nil, nil, 404, `model "bc" has no version "../../etc"`, ""},
		{"metadata of an unknown model", "GET", "/v2/models/nope", nil, nil, 404, `unknown model "nope"`, ""},
		{"readiness of an unknown model", "GET", "/v2/models/nope/ready", nil, nil, 404, `unknown model "nope"`, ""},
		{"infer by GET", "GET", "/v2/models/bc/infer", nil, nil, 405, "GET /v2/models/bc/infer: method not allowed; use POST", "POST"},
		{"metadata by DELETE", "DELETE", "/v2/models/bc", nil, nil, 405, "method not allowed; use GET, HEAD", "GET, HEAD"},
		{"health by POST", "POST", "/v2/health/ready", nil, "{}", 405, "method not allowed", "GET, HEAD"},
		{"unknown endpoint", "GET", "/v1/models/bc", nil, nil, 404, "no such endpoint: GET /v1/models/bc", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			switch b := tc.body.(type) {
			case nil:
			case string:
				body = []byte(b)
			default:
				var err error
				if body, err = json.Marshal(b); err != nil {
					t.Fatal(err)
				}
			}
			req, err := http.NewRequest(tc.method, tc.path, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, req)
			var got struct{ Error string }
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("%d, not JSON: %q", w.Code, w.Body)
			}
			if w.Code != tc.status || !strings.Contains(got.Error, tc.wantMsg) {
				t.Fatalf("%d %q; want %d and a message containing %q", w.Code, got.Error, tc.status, tc.wantMsg)
			}
			if a := w.Header().Get("Allow"); a != tc.allow {
				t.Errorf("Allow: %q, want %q", a, tc.allow)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

// TestHealthAndMetadata: server metadata, liveness, readiness (503 with
// no model and while draining), and each model's metadata: its versions,
// inputs by kind, outputs, and its card as parameters.
func TestHealthAndMetadata(t *testing.T) {
	card := json.RawMessage(`{"description": "8×8 digits", "owner": "ml-team"}`)
	s := newServer(t, Options{},
		&Model{Name: "bc", Version: 1, Predictor: load(t, cancerRun(t))},
		&Model{Name: "digits", Version: 2, Predictor: load(t, digitsRun(t)), Card: card})
	empty := newServer(t, Options{})
	cases := []struct {
		name   string
		server *Server
		path   string
		status int
		want   string
	}{
		{"server", s, "/v2", 200, `{"extensions":[],"name":"practica","version":"0.1.0"}`},
		{"live", s, "/v2/health/live", 200, `{"live":true}`},
		{"ready", s, "/v2/health/ready", 200, `{"ready":true}`},
		{"no model: not ready", empty, "/v2/health/ready", 503, `{"ready":false}`},
		{"no model: live", empty, "/v2/health/live", 200, `{"live":true}`},
		{"tabular", s, "/v2/models/bc", 200, `{"name":"bc","versions":["1"],"platform":"practica",` +
			`"inputs":[{"name":"input","datatype":"FP32","shape":[-1,30]}],` +
			`"outputs":[{"name":"probabilities","datatype":"FP32","shape":[-1,2]},{"name":"logits","datatype":"FP32","shape":[-1,2]},` +
			`{"name":"predicted","datatype":"INT64","shape":[-1]},{"name":"class","datatype":"BYTES","shape":[-1]}]}`},
		{"images with a card", s, "/v2/models/digits/versions/2", 200, `{"name":"digits","versions":["2"],"platform":"practica",` +
			`"inputs":[{"name":"input","datatype":"FP32","shape":[-1,1,8,8]},{"name":"image","datatype":"BYTES","shape":[-1]}],` +
			`"outputs":[{"name":"probabilities","datatype":"FP32","shape":[-1,10]},{"name":"logits","datatype":"FP32","shape":[-1,10]},` +
			`{"name":"predicted","datatype":"INT64","shape":[-1]},{"name":"class","datatype":"BYTES","shape":[-1]}],` +
			`"parameters":{"description":"8×8 digits","owner":"ml-team"}}`},
		{"model ready", s, "/v2/models/digits/ready", 200, `{"name":"digits","ready":true,"version":"2"}`},
		{"version ready", s, "/v2/models/digits/versions/2/ready", 200, `{"name":"digits","ready":true,"version":"2"}`},
		{"version not there", s, "/v2/models/digits/versions/1/ready", 404, `{"error":"model \"digits\" has no version \"1\": its versions are 2"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := call(t, tc.server.Handler(), http.MethodGet, tc.path, nil)
			if status != tc.status || strings.TrimSpace(string(body)) != tc.want {
				t.Fatalf("%d %s\nwant %d %s", status, body, tc.status, tc.want)
			}
		})
	}
	// Draining: not ready, still live, and inference refused.
	s.draining.Store(true)
	for path, want := range map[string]int{"/v2/health/ready": 503, "/v2/health/live": 200, "/v2/models/bc": 503, "/metrics": 200} {
		if status, _, body := call(t, s.Handler(), http.MethodGet, path, nil); status != want {
			t.Errorf("draining: GET %s answered %d %s, want %d", path, status, body, want)
		}
	}
	status, _, body := call(t, s.Handler(), http.MethodPost, "/v2/models/bc/infer", rowsRequest(make([]float32, 30), 30))
	if status != 503 || !strings.Contains(string(body), "the server is shutting down") {
		t.Errorf("draining: infer answered %d %s", status, body)
	}
}

// TestFlatAndNestedData: the same examples sent flat (row-major) and
// nested as the shape get the same answer, byte for byte, for rows and
// for images.
func TestFlatAndNestedData(t *testing.T) {
	cancer, digits := cancerRun(t), digitsRun(t)
	s := newServer(t, Options{},
		&Model{Name: "bc", Version: 1, Predictor: load(t, cancer)},
		&Model{Name: "digits", Version: 1, Predictor: load(t, digits)})
	nest := func(x []float64, shape []int) any {
		var rec func(x []float64, shape []int) any
		rec = func(x []float64, shape []int) any {
			if len(shape) == 1 {
				return x
			}
			step := len(x) / shape[0]
			out := make([]any, shape[0])
			for i := range out {
				out[i] = rec(x[i*step:(i+1)*step], shape[1:])
			}
			return out
		}
		return rec(x, shape)
	}
	cases := []struct {
		model string
		x     []float32
		shape []int
	}{
		{"bc", testSplit(t, cancer).X[:3*30], []int{3, 30}},
		{"digits", testSplit(t, digits).X[:2*64], []int{2, 1, 8, 8}},
	}
	for _, tc := range cases {
		t.Run(tc.model, func(t *testing.T) {
			path := "/v2/models/" + tc.model + "/infer"
			flat := map[string]any{"inputs": []any{tensor("input", FP32, tc.shape, exact(tc.x))}}
			nested := map[string]any{"inputs": []any{tensor("input", FP32, tc.shape, nest(exact(tc.x), tc.shape))}}
			_, _, a := call(t, s.Handler(), http.MethodPost, path, flat)
			status, _, b := call(t, s.Handler(), http.MethodPost, path, nested)
			if status != 200 || !bytes.Equal(a, b) {
				t.Fatalf("nested: %d %s\nflat: %s", status, b, a)
			}
			if r := infer(t, s.Handler(), path, flat); len(r.float32Output(t, outProbabilities)) != tc.shape[0]*map[string]int{"bc": 2, "digits": 10}[tc.model] {
				t.Fatalf("probabilities of %d examples: %+v", tc.shape[0], r.Outputs)
			}
		})
	}
}

// TestOutputsSelection: a request's outputs choose the answer's tensors
// and their order; without any, all four come in the metadata's order;
// each is consistent with the others, and the id is echoed.
func TestOutputsSelection(t *testing.T) {
	dir := cancerRun(t)
	p := load(t, dir)
	s := newServer(t, Options{}, &Model{Name: "bc", Version: 1, Predictor: p})
	x := testSplit(t, dir).X[:4*30]
	cases := []struct {
		name string
		ask  []string
		want []string
	}{
		{"all by default", nil, []string{"probabilities", "logits", "predicted", "class"}},
		{"two, in the asked order", []string{"class", "probabilities"}, []string{"class", "probabilities"}},
		{"one", []string{"predicted"}, []string{"predicted"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := rowsRequest(x, 30)
			req["id"] = "req-" + tc.name
			if tc.ask != nil {
				var outs []any
				for _, name := range tc.ask {
					outs = append(outs, map[string]any{"name": name, "parameters": map[string]any{"binary_data": false}})
				}
				req["outputs"] = outs
			}
			r := infer(t, s.Handler(), "/v2/models/bc/infer", req)
			var names []string
			for _, o := range r.Outputs {
				names = append(names, o.Name)
			}
			if strings.Join(names, ",") != strings.Join(tc.want, ",") || r.ID != "req-"+tc.name || r.ModelName != "bc" || r.ModelVersion != "1" {
				t.Fatalf("outputs %v id %q model %s/%s; want %v", names, r.ID, r.ModelName, r.ModelVersion, tc.want)
			}
			for _, o := range r.Outputs {
				wantShape := map[string]string{"probabilities": "[4 2] FP32", "logits": "[4 2] FP32", "predicted": "[4] INT64", "class": "[4] BYTES"}[o.Name]
				if got := fmt.Sprintf("%v %s", o.Shape, o.Datatype); got != wantShape {
					t.Errorf("%s: %s, want %s", o.Name, got, wantShape)
				}
			}
			if tc.ask != nil {
				return
			}
			probs := r.float32Output(t, outProbabilities)
			var predicted []int
			var classes []string
			r.output(t, outPredicted, &predicted)
			r.output(t, outClass, &classes)
			for i := range 4 {
				k := 0
				if probs[2*i+1] > probs[2*i] {
					k = 1
				}
				if predicted[i] != k || classes[i] != p.Checkpoint.Classes[k] {
					t.Errorf("example %d: probabilities %v, predicted %d %q", i, probs[2*i:2*i+2], predicted[i], classes[i])
				}
			}
		})
	}
}
