package export

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/practica-ml/practica/internal/atomicfile"
	"github.com/practica-ml/practica/model"
)

// ONNX versions written: opset 13 has every operator the models need
// with today's semantics (Softmax over one axis), and IR version 7 is
// the newest that python3-onnx 1.12's checker and older runtimes accept
// for that opset.
const (
	ONNXOpset     = 13
	ONNXIRVersion = 7
)

// ONNX graph names: the input in predict's raw scale, the logits of the
// evaluation graph, and the probabilities predict serves.
const (
	ONNXInput         = "input"
	ONNXLogits        = "logits"
	ONNXProbabilities = "probabilities"
	// ONNXBatch is the symbolic batch dimension of the input and outputs.
	ONNXBatch = "N"
)

// WriteONNX writes c's evaluation graph as an ONNX model (MarshalONNX) to
// path, atomically.
func WriteONNX(path string, c *model.Checkpoint) error {
	b, err := MarshalONNX(c)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.Write(path, b)
}

// MarshalONNX encodes c's evaluation graph as an ONNX ModelProto (opset
// ONNXOpset, IR version ONNXIRVersion) that computes what predict
// computes from the same raw inputs:
//
//   - input "input", float [N, ...the checkpoint's input shape], in the
//     scale predict reads (CSV values as they are; image pixels on the
//     training scale 0..raw_max, e.g. 0..16 for the digits);
//   - the stored normalization as Sub mean then Mul by 1/std, the very
//     float32 reciprocal data.Normalization multiplies by;
//   - the network as model builds its evaluation graph: Conv 3×3 (pads
//     1) with its bias or, with batch norm, BatchNormalization on the
//     running statistics (epsilon 1e-5, as model builds it), Relu,
//     MaxPool 2×2 stride 2 (an odd side loses its last row, as in
//     model), Flatten in the model's N×C·H·W order, then Gemm for each
//     dense layer with Relu or Tanh; dropout is the identity at
//     evaluation and has no node;
//   - outputs "logits" [N, classes] and "probabilities", Softmax of the
//     logits divided by the checkpoint's temperature (1 without one).
//
// The classes, the temperature and the input schema go into
// metadata_props. A checkpoint that fills missing CSV cells (imputation,
// indicator columns) is refused, as is any layer the exporter does not
// know, by name.
func MarshalONNX(c *model.Checkpoint) ([]byte, error) {
	if c.Input.Missing != nil {
		m := c.Input.Missing
		what := fmt.Sprintf("data.missing %s", m.Rule)
		if len(m.Indicators) > 0 {
			what += fmt.Sprintf(" with %d indicator columns", len(m.Indicators))
		}
		return nil, fmt.Errorf("the model fills missing CSV cells (%s), which the ONNX export does not represent: export a model trained with --missing error or drop", what)
	}
	if err := c.CheckBuild(-1); err != nil {
		return nil, err
	}
	g, err := buildONNXGraph(c)
	if err != nil {
		return nil, err
	}
	var b []byte
	b = appendVarint(b, modelIRVersion, ONNXIRVersion)
	b = appendString(b, modelProducerName, "practica")
	b = appendString(b, modelDocString, "Practica "+c.Spec.Arch+" classifier: input in predict's raw scale, normalization folded in; probabilities = softmax(logits / temperature)")
	b = appendMessage(b, modelGraph, g)
	opset := appendString(nil, opsetDomain, "")
	opset = appendVarint(opset, opsetVersion, ONNXOpset)
	b = appendMessage(b, modelOpsetImport, opset)
	for _, kv := range metadata(c) {
		b = appendMessage(b, modelMetadataProps, entry(kv[0], kv[1]))
	}
	return b, nil
}

// temperature is the checkpoint's, or 1 when it has none.
func temperature(c *model.Checkpoint) float64 {
	if c.Temperature > 0 {
		return c.Temperature
	}
	return 1
}

// metadata lists what a consumer needs besides the graph, in a fixed order.
func metadata(c *model.Checkpoint) [][2]string {
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	kv := [][2]string{
		{"practica.arch", c.Spec.Arch},
		{"practica.classes", js(c.Classes)},
		{"practica.temperature", strconv.FormatFloat(temperature(c), 'g', -1, 64)},
		{"practica.input_kind", js(c.Input.Kind)},
		{"practica.input_shape", js(c.Input.Shape)},
	}
	if len(c.Input.FeatureNames) > 0 {
		kv = append(kv, [2]string{"practica.feature_names", js(c.Input.FeatureNames)})
	}
	if c.Input.RawMax > 0 {
		kv = append(kv, [2]string{"practica.raw_max", strconv.FormatFloat(float64(c.Input.RawMax), 'g', -1, 32)})
	}
	return kv
}

// graphBuilder collects nodes and initializers in the order they are made.
type graphBuilder struct {
	c     *model.Checkpoint
	nodes [][]byte
	inits [][]byte
}

func (g *graphBuilder) node(op, name string, inputs []string, output string, attrs ...attribute) string {
	g.nodes = append(g.nodes, nodeProto(op, name, inputs, []string{output}, attrs))
	return output
}

func (g *graphBuilder) init(name string, dims []int, data []float32) string {
	g.inits = append(g.inits, floatTensor(name, dims, data))
	return name
}

// param adds the checkpoint tensor name as an initializer of shape dims
// (the same values; ONNX wants biases and batch-norm vectors 1-D where
// model keeps them broadcastable).
func (g *graphBuilder) param(name string, dims ...int) (string, error) {
	t := g.c.Tensor(name)
	n := 1
	for _, d := range dims {
		n *= d
	}
	if t == nil || len(t.Data) != n {
		return "", fmt.Errorf("checkpoint tensor %s: missing or not %v", name, dims)
	}
	return g.init(name, dims, t.Data), nil
}

func buildONNXGraph(c *model.Checkpoint) ([]byte, error) {
	g := &graphBuilder{c: c}
	shape := c.Input.Shape
	spec := c.Spec
	classes := len(c.Classes)
	h := ONNXInput
	if n := c.Normalization; n != nil {
		size := 1
		for _, d := range shape {
			size *= d
		}
		if err := n.Check(size); err != nil {
			return nil, err
		}
		mean, inv, dims := normalizationTensors(n.Mean, n.Std, n.Groups, n.GroupSize, shape)
		h = g.node("Sub", "normalize_sub", []string{h, g.init("normalization.mean", dims, mean)}, "normalized_centered")
		h = g.node("Mul", "normalize_mul", []string{h, g.init("normalization.inv_std", dims, inv)}, "normalized")
	}
	var err error
	in := 1
	for _, d := range shape {
		in *= d
	}
	switch spec.Arch {
	case model.CNN:
		ch, hh, ww := shape[0], shape[1], shape[2]
		for i, out := range spec.Channels {
			w, err := g.param(fmt.Sprintf("conv%d.weight", i), out, ch, 3, 3)
			if err != nil {
				return nil, err
			}
			convAttrs := []attribute{intsAttr("kernel_shape", 3, 3), intsAttr("pads", 1, 1, 1, 1), intsAttr("strides", 1, 1)}
			if spec.BatchNorm {
				h = g.node("Conv", fmt.Sprintf("conv%d", i), []string{h, w}, fmt.Sprintf("conv%d", i), convAttrs...)
				var ins []string
				for _, s := range []string{"scale", "shift", "running_mean", "running_var"} {
					p, err := g.param(fmt.Sprintf("bn%d.%s", i, s), out)
					if err != nil {
						return nil, err
					}
					ins = append(ins, p)
				}
				// model's G.BatchNorm(…, 0.1, 1e-5): epsilon 1e-5.
				h = g.node("BatchNormalization", fmt.Sprintf("bn%d", i), append([]string{h}, ins...), fmt.Sprintf("bn%d", i), floatAttr("epsilon", 1e-5))
			} else {
				b, err := g.param(fmt.Sprintf("conv%d.bias", i), out)
				if err != nil {
					return nil, err
				}
				h = g.node("Conv", fmt.Sprintf("conv%d", i), []string{h, w, b}, fmt.Sprintf("conv%d", i), convAttrs...)
			}
			h = g.node("Relu", fmt.Sprintf("conv%d_relu", i), []string{h}, fmt.Sprintf("conv%d_relu", i))
			h = g.node("MaxPool", fmt.Sprintf("pool%d", i), []string{h}, fmt.Sprintf("pool%d", i), intsAttr("kernel_shape", 2, 2), intsAttr("strides", 2, 2))
			ch, hh, ww = out, hh/2, ww/2
		}
		h = g.node("Flatten", "flatten", []string{h}, "flatten", intAttr("axis", 1))
		in = ch * hh * ww
	case model.MLP, model.Linear:
		if len(shape) > 1 {
			h = g.node("Flatten", "flatten", []string{h}, "flatten", intAttr("axis", 1))
		}
	default:
		return nil, fmt.Errorf("model architecture %q has no ONNX export", spec.Arch)
	}
	if spec.Arch != model.Linear {
		for i, out := range spec.Hidden {
			if h, err = g.dense(fmt.Sprintf("dense%d", i), h, in, out, fmt.Sprintf("dense%d", i)); err != nil {
				return nil, err
			}
			var op string
			switch spec.Activation {
			case "relu":
				op = "Relu"
			case "tanh":
				op = "Tanh"
			default:
				return nil, fmt.Errorf("layer dense%d: activation %q has no ONNX export", i, spec.Activation)
			}
			h = g.node(op, fmt.Sprintf("dense%d_%s", i, spec.Activation), []string{h}, fmt.Sprintf("dense%d_%s", i, spec.Activation))
			in = out
		}
	}
	if _, err = g.dense("out", h, in, classes, ONNXLogits); err != nil {
		return nil, err
	}
	t := g.init("temperature", nil, []float32{float32(temperature(c))})
	h = g.node("Div", "temperature_scale", []string{ONNXLogits, t}, "scaled_logits")
	g.node("Softmax", "softmax", []string{h}, ONNXProbabilities, intAttr("axis", -1))

	var b []byte
	for _, n := range g.nodes {
		b = appendMessage(b, graphNode, n)
	}
	b = appendString(b, graphName, "practica")
	for _, t := range g.inits {
		b = appendMessage(b, graphInitializer, t)
	}
	inDims := []dim{{param: ONNXBatch}}
	for _, d := range shape {
		inDims = append(inDims, dim{value: d})
	}
	b = appendMessage(b, graphInput, floatValueInfo(ONNXInput, inDims))
	outDims := []dim{{param: ONNXBatch}, {value: classes}}
	b = appendMessage(b, graphOutput, floatValueInfo(ONNXLogits, outDims))
	b = appendMessage(b, graphOutput, floatValueInfo(ONNXProbabilities, outDims))
	return b, nil
}

// dense adds x·W + b as a Gemm named output (W is in×out as model stores
// it, so no transpose; its bias becomes 1-D).
func (g *graphBuilder) dense(layer, x string, in, out int, output string) (string, error) {
	w, err := g.param(layer+".weight", in, out)
	if err != nil {
		return "", err
	}
	b, err := g.param(layer+".bias", out)
	if err != nil {
		return "", err
	}
	return g.node("Gemm", layer, []string{x, w, b}, output), nil
}

// normalizationTensors lays a normalization's statistics out to broadcast
// over [N, ...shape]: per channel [C, 1, 1] when each group is one
// leading channel, otherwise one value per element of the sample shape.
// inv is 1/std computed in float32, the factor data.Normalization applies.
func normalizationTensors(mean, std []float32, groups, groupSize int, shape []int) (m, inv []float32, dims []int) {
	rest := 1
	for _, d := range shape[1:] {
		rest *= d
	}
	if groupSize > 1 && len(shape) > 1 && groups == shape[0] && groupSize == rest {
		dims = []int{shape[0]}
		for range shape[1:] {
			dims = append(dims, 1)
		}
		m = append([]float32(nil), mean...)
		inv = make([]float32, groups)
		for i, s := range std {
			inv[i] = 1 / s
		}
		return m, inv, dims
	}
	dims = append([]int(nil), shape...)
	for g := range groups {
		r := 1 / std[g]
		for range groupSize {
			m = append(m, mean[g])
			inv = append(inv, r)
		}
	}
	return m, inv, dims
}
