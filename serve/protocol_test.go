package serve

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
)

// TestDecodeInferRequest: well-formed requests decode to flat tensors
// (flat or nested data, nulls as NaN, escaped strings, unknown fields
// and parameters ignored); the decoder's refusals are 400s naming the
// field.
func TestDecodeInferRequest(t *testing.T) {
	nan := float32(math.NaN())
	cases := []struct {
		name    string
		body    string
		want    string // fmt of the decoded request
		wantErr string
	}{
		{"flat", `{"id":"x","inputs":[{"name":"input","shape":[2,2],"datatype":"FP32","data":[1,2.5,-3e2,4]}]}`,
			`x [{input FP32 [2 2] [1 2.5 -300 4] []}] []`, ""},
		{"nested, spaced", `{"inputs":[{"name":"input","shape":[2,1,2],"datatype":"FP32","data":[ [ [1 , 2] ] , [[3,4]] ]}]}`,
			`[{input FP32 [2 1 2] [1 2 3 4] []}] []`, ""},
		{"null is NaN", `{"inputs":[{"name":"input","shape":[2],"datatype":"FP32","data":[null,0.1]}]}`,
			fmt.Sprintf(`[{input FP32 [2] [%v 0.1] []}] []`, nan), ""},
		{"parsed as the CSV reader does", `{"inputs":[{"name":"input","shape":[1],"datatype":"FP32","data":[16777217]}]}`,
			`[{input FP32 [1] [1.6777216e+07] []}] []`, ""},
		{"strings with escapes", `{"inputs":[{"name":"image","shape":[2],"datatype":"BYTES","data":["aGk=","a\/b\u0041"]}]}`,
			`[{image BYTES [2] [] [aGk= a/bA]}] []`, ""},
		{"no examples", `{"inputs":[{"name":"input","shape":[0,3],"datatype":"FP32","data":[]}]}`,
			`[{input FP32 [0 3] [] []}] []`, ""},
		{"parameters and unknown fields ignored", `{"parameters":{"a":1},"extra":[1],"inputs":[{"name":"input","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":0},"data":[7]}],"outputs":[{"name":"class","parameters":{}}]}`,
			`[{input FP32 [1] [7] []}] [class]`, ""},
		{"outputs empty: all", `{"inputs":[{"name":"input","shape":[1],"datatype":"FP32","data":[7]}],"outputs":[]}`,
			`[{input FP32 [1] [7] []}] []`, ""},
		{"boolean element", `{"inputs":[{"name":"input","shape":[1],"datatype":"FP32","data":[true]}]}`, "", `input "input": element 0 is a boolean, want a number`},
		{"object element", `{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":[{}]}]}`, "", `input "image": element 0 is an object, want a string (BYTES)`},
		{"number for BYTES", `{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":[1]}]}`, "", `element 0 is a number, want a string (BYTES)`},
		{"mixed nesting", `{"inputs":[{"name":"input","shape":[2,2],"datatype":"FP32","data":[[1,2],3,4]}]}`, "", `need an array at depth 2, got a number`},
		{"mixed flat", `{"inputs":[{"name":"input","shape":[2,2],"datatype":"FP32","data":[1,[2],3,4]}]}`, "", `data mix arrays and elements`},
		{"shape overflow", `{"inputs":[{"name":"input","shape":[4294967296,4294967296,4],"datatype":"FP32","data":[]}]}`, "", `announces more than 1099511627776 elements`},
		{"no shape", `{"inputs":[{"name":"input","datatype":"FP32","data":[1]}]}`, "", `input "input" has no shape`},
		{"no name", `{"inputs":[{"shape":[1],"datatype":"FP32","data":[1]}]}`, "", `inputs[0] has no name`},
		{"output without a name", `{"inputs":[{"name":"input","shape":[1],"datatype":"FP32","data":[1]}],"outputs":[{}]}`, "", `outputs[0] has no name`},
		{"inputs an object", `{"inputs":{"name":"input"}}`, "", `request field "inputs" is a JSON object, want an array`},
		{"body an array", `[1]`, "", `the body is a JSON array, want an object`},
		{"null body", `null`, "", `the request has no "inputs"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := DecodeInferRequest([]byte(tc.body))
			if tc.wantErr != "" {
				var re *RequestError
				if !errors.As(err, &re) || re.Status != http.StatusBadRequest || !strings.Contains(re.Msg, tc.wantErr) {
					t.Fatalf("err = %v, want a 400 containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprintf("%v %v", req.Inputs, req.Outputs)
			if req.ID != "" {
				got = req.ID + " " + got
			}
			if got != tc.want {
				t.Fatalf("decoded %s\nwant    %s", got, tc.want)
			}
		})
	}
}

// fuzzSeeds are request bodies, good and bad, for both fuzz targets.
var fuzzSeeds = []string{
	`{"inputs":[{"name":"input","shape":[1,30],"datatype":"FP32","data":[` + strings.Repeat("1.5,", 29) + `2]}]}`,
	`{"id":"a","inputs":[{"name":"input","shape":[2,30],"datatype":"FP32","data":[[` + strings.Repeat("0,", 29) + `1],[` + strings.Repeat("3e1,", 29) + `null]]}],"outputs":[{"name":"class"}]}`,
	`{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":["iVBORw0KGgo="]}]}`,
	`{"inputs":[{"name":"input","shape":[0,30],"datatype":"FP32","data":[]}]}`,
	`{"inputs":[{"name":"input","shape":[1,30],"datatype":"FP32","data":[1e39]}]}`,
	`{"inputs":[{"name":"input","shape":[-1],"datatype":"INT64","data":[[[]]]}]}`,
	`{"inputs":[{"name":"x","shape":[1],"datatype":"BYTES","data":["\u00e9\"\\"]}],"outputs":[{"name":"logits"},{"name":"logits"}]}`,
	`{"inputs": [`, `[]`, `null`, ``, `{"inputs":[{"data":{}}]}`,
}

// FuzzDecodeInferRequest: the decoder never panics, refuses only with a
// 400, and what it accepts holds as many elements as its shape says.
func FuzzDecodeInferRequest(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeInferRequest(body)
		if err != nil {
			var re *RequestError
			if !errors.As(err, &re) || re.Status != http.StatusBadRequest || re.Msg == "" || req != nil {
				t.Fatalf("error %#v (%v), request %v: want a 400 with a message and no request", err, err, req)
			}
			return
		}
		if len(req.Inputs) == 0 {
			t.Fatal("a request without inputs accepted")
		}
		for _, in := range req.Inputs {
			n := 1
			for _, d := range in.Shape {
				n *= d
			}
			if got := len(in.FP32) + len(in.Bytes); got != n {
				t.Fatalf("input %q: %d elements for shape %v", in.Name, got, in.Shape)
			}
		}
	})
}

// FuzzInferHandler: whatever the body, the inference endpoint of a real
// model answers 200, 400 or 413, never a 500.
func FuzzInferHandler(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	h := newServer(f, Options{MaxBody: 1 << 16}, &Model{Name: "bc", Version: 1, Predictor: load(f, cancerRun(f))}).Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		status, _, b := call(t, h, http.MethodPost, "/v2/models/bc/infer", string(body))
		if status != 200 && status != 400 && status != 413 {
			t.Fatalf("%d %s", status, b)
		}
	})
}
