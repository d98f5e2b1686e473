package export

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
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
	{"digits-custom-layers", func(c *config.Experiment) {
		c.Model.Arch, c.Model.Layers = model.Custom, customLayers
		c.Training.Epochs = 2
	}, ops(
		"Sub", "Mul",
		"Conv", "LeakyRelu", // 8×8×8
		// residual: strided conv, layer norm on C×H×W, gelu, 1×1 conv
		// without bias; its input projected by a strided 1×1 conv
		"Conv", layerNormOps, geluOps, "Conv", "Conv", "Add", // 12×4×4
		"AveragePool", "Sigmoid", // 12×3×3
		"GlobalAveragePool", "Flatten", // 12
		"MatMul", "BatchNormalization", "Relu", // 16
		// residual: dense, layer norm on features, tanh; its input
		// projected by a dense layer
		"Gemm", layerNormOps, "Tanh", "Gemm", "Add", // 8
		"Gemm", "Div", "Softmax")},
	{"digits-resnet", func(c *config.Experiment) {
		c.Model.Arch, c.Model.Dropout = model.ResNet, 0.1
		c.Training.Epochs = 1
	}, ops(
		"Sub", "Mul",
		"Conv", "BatchNormalization", "Relu", // stem, 32×8×8: no max-pool below 16 pixels a side
		resBlock, "Relu", resBlock, "Relu", // stage 1, 32×8×8
		resBlock[:5], "Conv", "Add", "Relu", resBlock, "Relu", // stage 2, 64×4×4: the first block strided and projected
		resBlock[:5], "Conv", "Add", "Relu", resBlock, "Relu", // stage 3, 128×2×2
		"GlobalAveragePool", "Flatten", "Gemm", "Div", "Softmax")},
}

// customLayers use every layer type but the max-pool (which the cnn
// cases cover), in a list model.arch custom builds on the 1×8×8 digits.
var customLayers = func() []model.Layer {
	var ls []model.Layer
	if err := yaml.Unmarshal([]byte(`
- conv2d: {filters: 8}
- leaky_relu: {slope: 0.1}
- residual:
    layers:
      - conv2d: {filters: 12, stride: 2}
      - layernorm: {}
      - gelu: {}
      - conv2d: {filters: 12, kernel: 1, padding: valid, bias: false}
- avgpool: {size: 2, stride: 1}
- sigmoid: {}
- global_avgpool: {}
- dense: {units: 16, bias: false}
- batchnorm: {}
- relu: {}
- residual:
    layers:
      - dense: {units: 8}
      - layernorm: {}
      - tanh: {}
- dropout: {p: 0.1}
`), &ls); err != nil {
		panic(err)
	}
	return ls
}()

// The operators of a layer norm and a gelu, which opset 13 builds from
// primitives, and of a resnet block without projection.
var (
	layerNormOps = []string{"ReduceMean", "Sub", "Mul", "ReduceMean", "Add", "Sqrt", "Div", "Mul", "Add"}
	geluOps      = []string{"Mul", "Mul", "Mul", "Add", "Mul", "Tanh", "Add", "Mul", "Mul"}
	resBlock     = []string{"Conv", "BatchNormalization", "Relu", "Conv", "BatchNormalization", "Add"}
)

// ops concatenates operators and lists of operators.
func ops(parts ...any) []string {
	var out []string
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			out = append(out, p)
		case []string:
			out = append(out, p...)
		default:
			panic(fmt.Sprintf("ops: %T", p))
		}
	}
	return out
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
	// Every value is computed once (ONNX graphs are in SSA form): no two
	// nodes name the same output, nor an output the input or an
	// initializer.
	values := map[string]bool{"input": true}
	for _, it := range get(g, graphInitializer) {
		values[string(one(t, decode(t, it.b), tensorName).b)] = true
	}
	for _, n := range get(g, graphNode) {
		fs := decode(t, n.b)
		gotOps = append(gotOps, string(one(t, fs, nodeOpType).b))
		out := string(one(t, fs, nodeOutput).b)
		if values[out] {
			t.Errorf("node %s: its output %s is named twice", one(t, fs, nodeName).b, out)
		}
		values[out] = true
	}
	if !slices.Equal(gotOps, ops) {
		t.Errorf("operators %v, want %v", gotOps, ops)
	}
	seen := map[string]bool{}
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
		if seen[name] {
			t.Errorf("initializer %s occurs twice", name)
		}
		seen[name] = true
		switch ct := c.Tensor(name); {
		case ct != nil:
			if !slices.Equal(vals, ct.Data) {
				t.Errorf("initializer %s differs from the checkpoint's tensor", name)
			}
		case name == "temperature":
			if len(vals) != 1 || vals[0] != float32(temperature(c)) {
				t.Errorf("temperature %v, want %v", vals, temperature(c))
			}
		case name == "normalization.mean" || name == "normalization.inv_std":
		case onnxConstants[name] != 0:
			if len(vals) != 1 || vals[0] != onnxConstants[name] || len(get(fs, tensorDims)) != 0 {
				t.Errorf("constant %s: %v, want the scalar %v", name, vals, onnxConstants[name])
			}
		default:
			t.Errorf("unexpected initializer %s", name)
		}
	}
	for _, ct := range c.Tensors {
		if !strings.HasPrefix(ct.Name, "optimizer/") && !seen[ct.Name] {
			t.Errorf("the checkpoint's tensor %s is not in the graph", ct.Name)
		}
	}
}

// onnxConstants are the scalars layer norm and gelu are written with:
// model's ε and the coefficients of the tanh approximation of GELU.
var onnxConstants = map[string]float32{
	"layernorm.epsilon":      1e-5,
	"gelu.cubic_coefficient": 0.044715,
	"gelu.sqrt_2_over_pi":    float32(math.Sqrt(2 / math.Pi)),
	"one":                    1,
	"half":                   0.5,
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

// TestONNXNamesRepeatedLayers: layers that would name their values
// alike (activations after the same layer, several before any weights)
// get distinct names, and the graph passes the checker.
func TestONNXNamesRepeatedLayers(t *testing.T) {
	py := onnxPython(t)
	var ls []model.Layer
	if err := yaml.Unmarshal([]byte(`
- relu: {}
- tanh: {}
- relu: {}
- flatten: {}
- dense: {units: 4}
- relu: {}
- dropout: {p: 0.5}
- relu: {}
- gelu: {}
- gelu: {}
`), &ls); err != nil {
		t.Fatal(err)
	}
	spec := model.Spec{Arch: model.Custom, Layers: ls}
	m, err := model.New(spec, []int{3}, 2, model.Options{TrainBatch: 1, Seed: 3, NoDropout: true})
	if err != nil {
		t.Fatal(err)
	}
	c := &model.Checkpoint{Spec: spec, Input: model.InputSchema{Kind: data.Tabular, Shape: []int{3}}, Classes: []string{"a", "b"}, Tensors: m.Tensors()}
	b, err := MarshalONNX(c)
	if err != nil {
		t.Fatal(err)
	}
	checkStructure(t, b, c, ops("Relu", "Tanh", "Relu", "Gemm", "Relu", "Relu", geluOps, geluOps, "Gemm", "Div", "Softmax"))
	var outs []string
	for _, n := range get(decode(t, one(t, decode(t, b), modelGraph).b), graphNode) {
		outs = append(outs, string(one(t, decode(t, n.b), nodeOutput).b))
	}
	for _, want := range []string{"input_relu", "input_relu_1", "input_tanh", "dense0_relu", "dense0_relu_1", "dense0_gelu", "dense0_gelu_1"} {
		if !slices.Contains(outs, want) {
			t.Errorf("no value %s among %v", want, outs)
		}
	}
	if py == "" {
		t.Skip("python3 with onnx and numpy is not available: the checker and the NumPy evaluator did not run")
	}
	x := []float32{-1, 0.5, 2, 3, -2, 0.25}
	want := make([]float32, 4)
	if err := m.Logits(x, want); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.onnx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	logits, _ := evaluate(t, py, path, x, 2)
	for i, v := range want {
		if d := math.Abs(float64(v) - logits[i]); d > 1e-5 {
			t.Errorf("logit %d: %v, the model's %v", i, logits[i], v)
		}
	}
}

// TestONNXOddSidesAndBatchNorm: shapes training on the digits never
// reach, a 7×7 two-channel image pooled to 3×3 then 1×1 (MaxPool drops
// the odd last row and column as model does), and batch norm with
// running statistics set to values far from their initial 0 and 1, agree
// with the model's evaluation graph within 1e-5 in the NumPy evaluator;
// so does a layer list on a 9×9 image (a 5×5 stride-2 convolution to
// 5×5, a 2×2 average pool that drops the odd side, batch norm on images
// and on features, layer norm on both, a dense layer on an image, which
// flattens it, in a block whose image input a dense layer projects, an
// identity skip), its scales and shifts set away from 1 and 0 as well.
func TestONNXOddSidesAndBatchNorm(t *testing.T) {
	py := onnxPython(t)
	var oddLayers []model.Layer
	if err := yaml.Unmarshal([]byte(`
- conv2d: {filters: 3, kernel: 5, stride: 2}
- batchnorm: {}
- gelu: {}
- avgpool: {size: 2}
- residual:
    layers:
      - conv2d: {filters: 4}
      - layernorm: {}
      - sigmoid: {}
- residual:
    layers:
      - dense: {units: 6, bias: false}
- batchnorm: {}
- leaky_relu: {slope: 0.2}
- residual:
    layers:
      - dense: {units: 6}
      - layernorm: {}
      - tanh: {}
`), &oddLayers); err != nil {
		t.Fatal(err)
	}
	cnnOps := func(bn bool) []string {
		ops := []string{"Sub", "Mul"}
		for range 2 {
			if bn {
				ops = append(ops, "Conv", "BatchNormalization", "Relu", "MaxPool")
			} else {
				ops = append(ops, "Conv", "Relu", "MaxPool")
			}
		}
		return append(ops, "Flatten", "Gemm", "Tanh", "Gemm", "Div", "Softmax")
	}
	cases := []struct {
		name  string
		spec  model.Spec
		shape []int
		ops   []string
	}{
		{"batch_norm=false", model.Spec{Arch: model.CNN, Channels: []int{3, 4}, Hidden: []int{5}, Activation: "tanh"}, []int{2, 7, 7}, cnnOps(false)},
		{"batch_norm=true", model.Spec{Arch: model.CNN, Channels: []int{3, 4}, Hidden: []int{5}, Activation: "tanh", BatchNorm: true}, []int{2, 7, 7}, cnnOps(true)},
		{"custom-layers", model.Spec{Arch: model.Custom, Layers: oddLayers}, []int{2, 9, 9}, ops(
			"Sub", "Mul", "Conv", "BatchNormalization", geluOps, "AveragePool",
			"Conv", layerNormOps, "Sigmoid", "Conv", "Add",
			"Flatten", "MatMul", "Flatten", "Gemm", "Add", "BatchNormalization", "LeakyRelu",
			"Gemm", layerNormOps, "Tanh", "Add",
			"Gemm", "Div", "Softmax")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec, shape := tc.spec, tc.shape
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
					case strings.HasSuffix(ts[i].Name, ".scale"):
						ts[i].Data[k] = 0.5 + 0.25*float32(k%5)
					}
				}
			}
			if err := m.SetTensors(ts); err != nil {
				t.Fatal(err)
			}
			px := shape[1] * shape[2]
			c := &model.Checkpoint{Spec: spec, Input: model.InputSchema{Kind: data.Image, Shape: shape, RawMax: 255}, Classes: []string{"a", "b", "c"},
				Normalization: &data.Normalization{Groups: 2, GroupSize: px, Mean: []float32{100, 50}, Std: []float32{60, 30}}, Tensors: ts}
			const n = 4
			raw := make([]float32, n*2*px)
			for i := range raw {
				raw[i] = float32((i * 37) % 256)
			}
			x := append([]float32(nil), raw...)
			c.Normalization.ApplyRows(x)
			want := make([]float32, n*3)
			if err := m.Logits(x, want); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "m.onnx")
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

// TestONNXPresetsPinned pins the bytes of each preset's file (as the
// exporter wrote them before layer lists existed) on checkpoints whose
// values depend on nothing but the tensors' names and shapes, from a
// spec that lists its layers and from one that predates layer lists.
func TestONNXPresetsPinned(t *testing.T) {
	cases := []struct {
		name  string
		spec  model.Spec
		shape []int
		want  string
	}{
		{"linear", model.Spec{Arch: model.Linear, Activation: "relu"}, []int{1, 3, 3}, "42687cdd157af18d8c229fe4e77c2deb63b655f5f31a368948b8d1bd34be0784"},
		{"mlp-tanh-dropout", model.Spec{Arch: model.MLP, Hidden: []int{5, 4}, Activation: "tanh", Dropout: 0.5}, []int{1, 4, 4}, "f2f3c09fea0387c3b9f193faf41140521a4fb01841c9d952c2f26b51c453e1e6"},
		{"cnn", model.Spec{Arch: model.CNN, Channels: []int{2, 3}, Hidden: []int{4}, Activation: "relu"}, []int{1, 5, 5}, "a365c6c5ff9961eb1fa7f7aa680d607e815cc8e065c3db96a05064727fc355da"},
		{"cnn-batch-norm", model.Spec{Arch: model.CNN, Channels: []int{2}, Hidden: []int{4}, Activation: "relu", BatchNorm: true}, []int{2, 4, 4}, "60ba1941404241ec2a6d2db1928edd92b45f5e5d8a326e916639c06df4e63d85"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := model.New(tc.spec, tc.shape, 3, model.Options{TrainBatch: 1, Seed: 1, NoDropout: true})
			if err != nil {
				t.Fatal(err)
			}
			ts := m.Tensors()
			for i := range ts {
				v := float32(crc32.ChecksumIEEE([]byte(ts[i].Name)) % 97)
				for k := range ts[i].Data {
					ts[i].Data[k] = v + float32(k)/64
				}
			}
			size := 1
			for _, d := range tc.shape {
				size *= d
			}
			c := &model.Checkpoint{Spec: tc.spec, Input: model.InputSchema{Kind: data.Tabular, Shape: tc.shape}, Classes: []string{"a", "b", "c"}, Temperature: 1.5,
				Normalization: &data.Normalization{Groups: 1, GroupSize: size, Mean: []float32{0.5}, Std: []float32{2}}, Tensors: ts}
			if len(tc.shape) == 3 {
				c.Input.Kind, c.Input.RawMax = data.Image, 16
			}
			for _, layers := range []bool{false, true} {
				if layers {
					c.Spec = tc.spec.WithDefaults(tc.shape)
					if len(c.Spec.Layers) == 0 {
						t.Fatalf("%s lists no layers", tc.name)
					}
				}
				b, err := MarshalONNX(c)
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(b)
				if got := hex.EncodeToString(sum[:]); got != tc.want {
					t.Errorf("layers listed %v: SHA-256 %s, want %s", layers, got, tc.want)
				}
			}
		})
	}
}
