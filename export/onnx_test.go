package export

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/experiment"
	"github.com/practica-ml/practica/inference"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/setup"
)

// onnxCases are the architectures train builds, each trained briefly
// with calibration on (so that the temperature is not 1), with the
// operators its ONNX graph must hold in order.
var onnxCases = []struct {
	name string
	cfg  func(c *config.Experiment)
	ops  []string
}{
	{"digits-cnn-default", func(c *config.Experiment) { c.Training.Epochs = 2 },
		[]string{"Sub", "Mul", "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm", "Div", "Softmax"}},
	{"digits-cnn-bn-dropout", func(c *config.Experiment) {
		c.Model.Channels, c.Model.Hidden, c.Model.BatchNorm, c.Model.Dropout = []int{8, 16}, []int{32}, true, 0.3
		c.Training.Epochs = 2
	}, []string{"Sub", "Mul", "Conv", "BatchNormalization", "Relu", "MaxPool", "Conv", "BatchNormalization", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm", "Div", "Softmax"}},
	{"breast-cancer-mlp-tanh", func(c *config.Experiment) {
		c.Data.Source = "../data/testdata/breast_cancer.csv"
		c.Model.Arch, c.Model.Hidden, c.Model.Activation = model.MLP, []int{16, 8}, "tanh"
		c.Training.Epochs = 3
	}, []string{"Sub", "Mul", "Gemm", "Tanh", "Gemm", "Tanh", "Gemm", "Div", "Softmax"}},
	{"digits-mlp-dropout", func(c *config.Experiment) {
		c.Model.Arch, c.Model.Hidden, c.Model.Dropout = model.MLP, []int{32}, 0.2
		c.Training.Epochs = 2
	}, []string{"Sub", "Mul", "Flatten", "Gemm", "Relu", "Gemm", "Div", "Softmax"}},
	{"digits-linear", func(c *config.Experiment) {
		c.Model.Arch = model.Linear
		c.Training.Epochs = 2
	}, []string{"Sub", "Mul", "Flatten", "Gemm", "Div", "Softmax"}},
}

// TestONNXMatchesPredict trains each architecture, exports its best.ckpt
// and checks the file three ways: its protobuf structure and weights in
// Go; onnx.checker with full_check; and an independent NumPy evaluator
// of the operators (testdata/onnx_eval.py) on the raw test split, whose
// logits and probabilities must be within 1e-5 of predict's.
func TestONNXMatchesPredict(t *testing.T) {
	py := onnxPython(t)
	for _, tc := range onnxCases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.Calibration.Bootstrap = 0
			cfg.Output.Root = t.TempDir()
			tc.cfg(&cfg)
			sum, err := experiment.Train(context.Background(), cfg, experiment.Options{})
			if err != nil {
				t.Fatal(err)
			}
			p, dir, err := inference.LoadRun(sum.RunDir, "")
			if err != nil {
				t.Fatal(err)
			}
			c := p.Checkpoint
			if !(c.Temperature > 0) || c.Temperature == 1 {
				t.Fatalf("temperature %v: the fixture should be calibrated", c.Temperature)
			}
			path := filepath.Join(t.TempDir(), "model.onnx")
			if err := WriteONNX(path, c); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			checkStructure(t, b, c, tc.ops)
			if py == "" {
				t.Skip("python3 with onnx and numpy is not available: the checker and the NumPy evaluator did not run")
			}
			in, err := inference.ReadSplit(dir, "test", setup.Env{})
			if err != nil {
				t.Fatal(err)
			}
			preds, err := p.Predict(in)
			if err != nil {
				t.Fatal(err)
			}
			logits, probs := evaluate(t, py, path, in.X, len(preds))
			var dl, dp float64
			for i, pr := range preds {
				for k := range pr.Logits {
					dl = max(dl, math.Abs(float64(pr.Logits[k])-logits[i*len(c.Classes)+k]))
					dp = max(dp, math.Abs(pr.Probabilities[k]-probs[i*len(c.Classes)+k]))
				}
			}
			t.Logf("%d test examples, temperature %.4f: max |logits diff| %.3g, max |probabilities diff| %.3g", len(preds), c.Temperature, dl, dp)
			if dl > 1e-5 || dp > 1e-5 {
				t.Errorf("ONNX evaluation differs from predict: logits by %g, probabilities by %g (want <= 1e-5)", dl, dp)
			}
		})
	}
}

// onnxPython returns a python3 that imports onnx and numpy (the one on
// PATH, else Debian's, which python3-onnx installs into), or "".
func onnxPython(t *testing.T) string {
	var why []string
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			why = append(why, err.Error())
			continue
		}
		out, err := exec.Command(path, "-c", "import onnx, numpy").CombinedOutput()
		if err == nil {
			return path
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		why = append(why, path+": "+lines[len(lines)-1])
	}
	t.Logf("no python3 imports onnx and numpy (%s): the ONNX checker and evaluator will skip", strings.Join(why, "; "))
	return ""
}

// evaluate runs testdata/onnx_eval.py on the model and raw inputs.
func evaluate(t *testing.T, py, modelPath string, x []float32, n int) (logits, probs []float64) {
	t.Helper()
	tmp := t.TempDir()
	raw := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	inPath := filepath.Join(tmp, "inputs.f32")
	if err := os.WriteFile(inPath, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(tmp, "out")
	out, err := exec.Command(py, "testdata/onnx_eval.py", modelPath, inPath, fmt.Sprint(n), prefix).CombinedOutput()
	if err != nil {
		t.Fatalf("onnx_eval.py: %v\n%s", err, out)
	}
	read := func(name string) []float64 {
		b, err := os.ReadFile(prefix + name)
		if err != nil {
			t.Fatal(err)
		}
		v := make([]float64, len(b)/8)
		for i := range v {
			v[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
		return v
	}
	return read(".logits.f64"), read(".probabilities.f64")
}

// field is one decoded protobuf field: a varint, fixed32 or bytes.
type field struct {
	num protowire.Number
	v   uint64
	b   []byte
}

// decode splits one message into its fields, failing on malformed bytes.
func decode(t *testing.T, b []byte) []field {
	t.Helper()
	var fs []field
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		f := field{num: num}
		switch typ {
		case protowire.VarintType:
			f.v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			f.v = uint64(v)
		case protowire.BytesType:
			f.b, n = protowire.ConsumeBytes(b)
		default:
			t.Fatalf("field %d: unexpected wire type %d", num, typ)
		}
		if n < 0 {
			t.Fatalf("field %d: %v", num, protowire.ParseError(n))
		}
		b = b[n:]
		fs = append(fs, f)
	}
	return fs
}

func get(fs []field, num protowire.Number) []field {
	var out []field
	for _, f := range fs {
		if f.num == num {
			out = append(out, f)
		}
	}
	return out
}

func one(t *testing.T, fs []field, num protowire.Number) field {
	t.Helper()
	g := get(fs, num)
	if len(g) != 1 {
		t.Fatalf("field %d occurs %d times, want once", num, len(g))
	}
	return g[0]
}

// valueInfo decodes a ValueInfoProto of a float tensor: its name and its
// dimensions, a symbolic one written as its name.
func valueInfo(t *testing.T, b []byte) (string, []string) {
	t.Helper()
	fs := decode(t, b)
	tt := decode(t, one(t, decode(t, one(t, fs, valueInfoType).b), typeTensor).b)
	if e := one(t, tt, typeTensorElem).v; e != tensorFloat {
		t.Fatalf("element type %d, want float", e)
	}
	var dims []string
	for _, d := range get(decode(t, one(t, tt, typeTensorShape).b), shapeDim) {
		df := decode(t, d.b)
		if p := get(df, dimParam); len(p) == 1 {
			dims = append(dims, string(p[0].b))
		} else {
			dims = append(dims, fmt.Sprint(one(t, df, dimValue).v))
		}
	}
	return string(one(t, fs, valueInfoName).b), dims
}

// checkStructure decodes an exported model without ONNX's libraries: its
// versions, input and outputs, the operators in order, and every
// initializer taken from the checkpoint holding that tensor's values.
func checkStructure(t *testing.T, b []byte, c *model.Checkpoint, ops []string) {
	t.Helper()
	m := decode(t, b)
	if v := one(t, m, modelIRVersion).v; v != 7 {
		t.Errorf("ir_version %d, want 7", v)
	}
	opset := decode(t, one(t, m, modelOpsetImport).b)
	if d, v := string(one(t, opset, opsetDomain).b), one(t, opset, opsetVersion).v; d != "" || v != 13 {
		t.Errorf("opset %q %d, want the default domain, 13", d, v)
	}
	g := decode(t, one(t, m, modelGraph).b)
	shape := []string{"N"}
	for _, d := range c.Input.Shape {
		shape = append(shape, fmt.Sprint(d))
	}
	if name, dims := valueInfo(t, one(t, g, graphInput).b); name != "input" || !slices.Equal(dims, shape) {
		t.Errorf("input %s %v, want input %v", name, dims, shape)
	}
	outs := get(g, graphOutput)
	want := []string{"N", fmt.Sprint(len(c.Classes))}
	for i, wantName := range []string{"logits", "probabilities"} {
		if len(outs) != 2 {
			t.Fatalf("%d outputs, want logits and probabilities", len(outs))
		}
		if name, dims := valueInfo(t, outs[i].b); name != wantName || !slices.Equal(dims, want) {
			t.Errorf("output %d: %s %v, want %s %v", i, name, dims, wantName, want)
		}
	}
	var gotOps []string
	for _, n := range get(g, graphNode) {
		gotOps = append(gotOps, string(one(t, decode(t, n.b), nodeOpType).b))
	}
	if !slices.Equal(gotOps, ops) {
		t.Errorf("operators %v, want %v", gotOps, ops)
	}
	seen := 0
	for _, it := range get(g, graphInitializer) {
		fs := decode(t, it.b)
		name := string(one(t, fs, tensorName).b)
		raw := one(t, fs, tensorRawData).b
		vals := make([]float32, len(raw)/4)
		for i := range vals {
			vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		n := 1
		for _, d := range get(fs, tensorDims) {
			n *= int(d.v)
		}
		if one(t, fs, tensorDataType).v != tensorFloat || n != len(vals) {
			t.Errorf("initializer %s: type %d, %d values for its dims", name, one(t, fs, tensorDataType).v, len(vals))
		}
		switch ct := c.Tensor(name); {
		case ct != nil:
			seen++
			if !slices.Equal(vals, ct.Data) {
				t.Errorf("initializer %s differs from the checkpoint's tensor", name)
			}
		case name == "temperature":
			if len(vals) != 1 || vals[0] != float32(temperature(c)) {
				t.Errorf("temperature %v, want %v", vals, temperature(c))
			}
		case name == "normalization.mean" || name == "normalization.inv_std":
		default:
			t.Errorf("unexpected initializer %s", name)
		}
	}
	if seen == 0 {
		t.Errorf("no initializer of the %s checkpoint's tensors", c.Spec.Arch)
	}
}

// TestONNXRefuses: what the export cannot represent is refused by name.
func TestONNXRefuses(t *testing.T) {
	base := func() *model.Checkpoint {
		return &model.Checkpoint{Spec: model.Spec{Arch: model.Linear, Activation: "relu"}, Input: model.InputSchema{Kind: data.Tabular, Shape: []int{2}},
			Classes: []string{"a", "b"}, Tensors: []model.Tensor{{Name: "out.weight", Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}}, {Name: "out.bias", Shape: []int{1, 2}, Data: []float32{5, 6}}}}
	}
	cases := []struct {
		name   string
		change func(c *model.Checkpoint)
		want   string
	}{
		{"imputation", func(c *model.Checkpoint) {
			c.Input.Missing = &data.Imputation{Rule: data.MissingMean, Columns: []string{"x", "y"}, Fill: []float32{0, 0}, Indicators: []int{1}}
		}, "fills missing CSV cells (data.missing mean with 1 indicator columns)"},
		{"architecture", func(c *model.Checkpoint) { c.Spec.Arch = "rnn" }, `"rnn"`},
		{"missing tensor", func(c *model.Checkpoint) { c.Tensors[1].Name = "out.b" }, "parameter out.bias [1 2], which the file lacks"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			if _, err := MarshalONNX(c); err != nil {
				t.Fatalf("the unchanged checkpoint: %v", err)
			}
			tc.change(c)
			_, err := MarshalONNX(c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	path := filepath.Join(t.TempDir(), "m.onnx")
	c := base()
	c.Spec.Arch = "rnn"
	if err := WriteONNX(path, c); err == nil || !strings.HasPrefix(err.Error(), path+": ") {
		t.Errorf("WriteONNX error %v, want one naming %s", err, path)
	}
	if _, err := os.Stat(path); err == nil {
		t.Errorf("a refused export left %s", path)
	}
}

// TestONNXDeterministic: the same checkpoint gives the same bytes, and a
// hand-made linear model's graph is exactly the expected one.
func TestONNXDeterministic(t *testing.T) {
	c := &model.Checkpoint{Spec: model.Spec{Arch: model.Linear, Activation: "relu"}, Input: model.InputSchema{Kind: data.Tabular, Shape: []int{2}, FeatureNames: []string{"x", "y"}},
		Classes: []string{"a", "b"}, Temperature: 2,
		Normalization: &data.Normalization{Groups: 2, GroupSize: 1, Mean: []float32{1, -1}, Std: []float32{2, 4}},
		Tensors:       []model.Tensor{{Name: "out.weight", Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}}, {Name: "out.bias", Shape: []int{1, 2}, Data: []float32{5, 6}}}}
	a, err := MarshalONNX(c)
	if err != nil {
		t.Fatal(err)
	}
	b, err := MarshalONNX(c)
	if err != nil || string(a) != string(b) {
		t.Fatalf("two exports differ (%v)", err)
	}
	checkStructure(t, a, c, []string{"Sub", "Mul", "Gemm", "Div", "Softmax"})
	g := decode(t, one(t, decode(t, a), modelGraph).b)
	inits := map[string][]float32{}
	for _, it := range get(g, graphInitializer) {
		fs := decode(t, it.b)
		raw := one(t, fs, tensorRawData).b
		for i := 0; i < len(raw); i += 4 {
			inits[string(one(t, fs, tensorName).b)] = append(inits[string(one(t, fs, tensorName).b)], math.Float32frombits(binary.LittleEndian.Uint32(raw[i:])))
		}
	}
	if !slices.Equal(inits["normalization.mean"], []float32{1, -1}) || !slices.Equal(inits["normalization.inv_std"], []float32{0.5, 0.25}) || !slices.Equal(inits["temperature"], []float32{2}) {
		t.Errorf("initializers %v", inits)
	}
	var meta []string
	for _, e := range get(decode(t, a), modelMetadataProps) {
		fs := decode(t, e.b)
		meta = append(meta, string(one(t, fs, entryKey).b)+"="+string(one(t, fs, entryValue).b))
	}
	wantMeta := []string{`practica.arch=linear`, `practica.classes=["a","b"]`, `practica.temperature=2`, `practica.input_kind="tabular"`, `practica.input_shape=[2]`, `practica.feature_names=["x","y"]`}
	if !slices.Equal(meta, wantMeta) {
		t.Errorf("metadata %q, want %q", meta, wantMeta)
	}
}

// TestONNXOddSidesAndBatchNorm: shapes training on the digits never
// reach, a 7×7 two-channel image pooled to 3×3 then 1×1 (MaxPool drops
// the odd last row and column as model does), and batch norm with
// running statistics set to values far from their initial 0 and 1, agree
// with the model's evaluation graph within 1e-5 in the NumPy evaluator.
func TestONNXOddSidesAndBatchNorm(t *testing.T) {
	py := onnxPython(t)
	for _, bn := range []bool{false, true} {
		t.Run(fmt.Sprintf("batch_norm=%v", bn), func(t *testing.T) {
			spec := model.Spec{Arch: model.CNN, Channels: []int{3, 4}, Hidden: []int{5}, Activation: "tanh", BatchNorm: bn}
			shape := []int{2, 7, 7}
			m, err := model.New(spec, shape, 3, model.Options{TrainBatch: 1, Seed: 7, NoDropout: true})
			if err != nil {
				t.Fatal(err)
			}
			ts := m.Tensors()
			for i := range ts {
				for k := range ts[i].Data {
					switch {
					case strings.HasSuffix(ts[i].Name, "running_mean"):
						ts[i].Data[k] = 0.3 * float32(k+1)
					case strings.HasSuffix(ts[i].Name, "running_var"):
						ts[i].Data[k] = 0.5 + 0.25*float32(k)
					case strings.HasSuffix(ts[i].Name, ".bias") || strings.HasSuffix(ts[i].Name, ".shift"):
						ts[i].Data[k] = 0.1 * float32(k%3-1)
					}
				}
			}
			if err := m.SetTensors(ts); err != nil {
				t.Fatal(err)
			}
			c := &model.Checkpoint{Spec: spec, Input: model.InputSchema{Kind: data.Image, Shape: shape, RawMax: 255}, Classes: []string{"a", "b", "c"},
				Normalization: &data.Normalization{Groups: 2, GroupSize: 49, Mean: []float32{100, 50}, Std: []float32{60, 30}}, Tensors: ts}
			const n = 4
			raw := make([]float32, n*2*49)
			for i := range raw {
				raw[i] = float32((i * 37) % 256)
			}
			x := append([]float32(nil), raw...)
			c.Normalization.ApplyRows(x)
			want := make([]float32, n*3)
			if err := m.Logits(x, want); err != nil {
				t.Fatal(err)
			}
			ops := []string{"Sub", "Mul"}
			for range spec.Channels {
				if bn {
					ops = append(ops, "Conv", "BatchNormalization", "Relu", "MaxPool")
				} else {
					ops = append(ops, "Conv", "Relu", "MaxPool")
				}
			}
			ops = append(ops, "Flatten", "Gemm", "Tanh", "Gemm", "Div", "Softmax")
			path := filepath.Join(t.TempDir(), "m.onnx")
			if err := WriteONNX(path, c); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			checkStructure(t, b, c, ops)
			if py == "" {
				t.Skip("python3 with onnx and numpy is not available: the checker and the NumPy evaluator did not run")
			}
			logits, _ := evaluate(t, py, path, raw, n)
			var d float64
			for i, v := range want {
				d = max(d, math.Abs(float64(v)-logits[i]))
			}
			t.Logf("max |logits diff| %.3g over %v", d, want)
			if d > 1e-5 {
				t.Errorf("logits differ from the model's by %g", d)
			}
		})
	}
}
