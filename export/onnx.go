package export

import (
	"encoding/json"
	"fmt"
	"math"
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
//   - the network as model builds its evaluation graph, walking the
//     layers model.Spec.Resolve infers (a preset's expansion or a
//     model.layers list): conv2d as Conv (its kernel, stride and pads,
//     its bias when it has one); max and average pools as MaxPool and
//     AveragePool (no padding, floor: an odd last row or column is
//     dropped, as in model); global_avgpool as GlobalAveragePool then
//     Flatten; flatten as Flatten in model's N×C·H·W order; dense as Gemm
//     (MatMul without a bias), flattening an image input first;
//     batchnorm as BatchNormalization on the running statistics (epsilon
//     1e-5, as model builds it) on N×C×H×W or N×features; layernorm and
//     the tanh approximation of gelu from primitive operators in
//     model's order (opset 13 has neither LayerNormalization nor Gelu);
//     Relu, Tanh, Sigmoid and LeakyRelu; a residual block as Add of its
//     layers' output and its input, projected by its 1×1 Conv or Gemm
//     when the shapes differ; dropout is the identity at evaluation and
//     has no node;
//   - outputs "logits" [N, classes] and "probabilities", Softmax of the
//     logits divided by the checkpoint's temperature (1 without one).
//
// The classes, the temperature and the input schema go into
// metadata_props. A checkpoint that fills missing CSV cells (imputation,
// indicator columns) is refused, as is any layer the exporter does not
// know, by name. The presets' graphs are byte for byte those the
// exporter wrote before layer lists, whether the checkpoint lists its
// layers or predates them.
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
	// used are the value names given so far (node outputs, initializers),
	// so that a layer list whose layers would name two values alike gets
	// distinct ones.
	used map[string]bool
	// consts are the constant initializers already added, by name.
	consts map[string]bool
}

func (g *graphBuilder) node(op, name string, inputs []string, output string, attrs ...attribute) string {
	g.nodes = append(g.nodes, nodeProto(op, name, inputs, []string{output}, attrs))
	g.used[output] = true
	return output
}

// op adds a node named after its output, base made unique: base itself
// when no value has that name yet, else base_1, base_2, …
func (g *graphBuilder) op(op, base string, inputs []string, attrs ...attribute) string {
	name := base
	for i := 1; g.used[name]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	return g.node(op, name, inputs, name, attrs...)
}

func (g *graphBuilder) init(name string, dims []int, data []float32) string {
	g.inits = append(g.inits, floatTensor(name, dims, data))
	g.used[name] = true
	return name
}

// constant adds the scalar v as the initializer name once, however many
// layers use it.
func (g *graphBuilder) constant(name string, v float32) string {
	if !g.consts[name] {
		g.consts[name] = true
		g.init(name, nil, []float32{v})
	}
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

// Constant initializers: scalars the layers' formulas use, each written
// once. Their float32 values are those model's graphs compute with.
const (
	constLayerNormEpsilon = "layernorm.epsilon"
	constGELUCubic        = "gelu.cubic_coefficient"
	constGELUScale        = "gelu.sqrt_2_over_pi"
	constOne              = "one"
	constHalf             = "half"
)

// model's ε for batch norm (G.BatchNorm(…, 0.1, 1e-5)) and layer norm.
const (
	batchNormEpsilon = 1e-5
	layerNormEpsilon = 1e-5
)

func buildONNXGraph(c *model.Checkpoint) ([]byte, error) {
	g := &graphBuilder{c: c, used: map[string]bool{ONNXInput: true}, consts: map[string]bool{}}
	shape := c.Input.Shape
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
	layers, err := c.Spec.Resolve(shape, classes)
	if err != nil {
		return nil, err
	}
	if n := len(layers); n == 0 || !layers[n-1].Output {
		return nil, fmt.Errorf("the %s model's layers do not end in its output layer", c.Spec.Arch)
	}
	if _, err := g.layers(layers, h, ""); err != nil {
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

// layers adds the nodes of a layer list (the model's, or a residual
// block's, whose values are named under prefix) on the value h, and
// returns the list's output.
//
// Values take the names of the layers' parameters where they have some
// (conv0, bn0, dense0, res1.conv0, out's output being "logits"), pools
// are counted as model counts layers (pool0 for max-pools, avgpool0,
// global_avgpool0), and an activation is named after the last
// convolution, dense layer or residual block before it in its list (as
// the presets' graphs always named them): conv0_relu, dense1_tanh,
// res0_relu; before any, input_relu or res0.input_relu. A name already
// given gets a suffix (conv0_relu_1).
func (g *graphBuilder) layers(ls []model.ResolvedLayer, h, prefix string) (string, error) {
	base := prefix + "input"
	counts := map[string]int{}
	counted := func(kind string) string {
		n := fmt.Sprintf("%s%s%d", prefix, kind, counts[kind])
		counts[kind]++
		return n
	}
	var err error
	for _, l := range ls {
		if h, err = g.layer(l, h, prefix, base, counted); err != nil {
			where := l.Name
			if where == "" {
				where = "a " + l.Type + " layer after " + base
			}
			return "", fmt.Errorf("layer %s: %w", where, err)
		}
		switch l.Type {
		case model.Conv2D, model.Dense, model.Residual:
			base = l.Name
		}
	}
	return h, nil
}

// layer adds one layer's nodes on the value h and returns its output.
func (g *graphBuilder) layer(l model.ResolvedLayer, h, prefix, base string, counted func(string) string) (string, error) {
	switch l.Type {
	case model.Conv2D:
		if len(l.In) != 3 {
			return "", fmt.Errorf("conv2d on input %v, not C×H×W", l.In)
		}
		w, err := g.param(l.Name+".weight", l.Filters, l.In[0], l.Kernel, l.Kernel)
		if err != nil {
			return "", err
		}
		ins := []string{h, w}
		if l.Bias == nil || *l.Bias {
			b, err := g.param(l.Name+".bias", l.Filters)
			if err != nil {
				return "", err
			}
			ins = append(ins, b)
		}
		pad := 0
		switch l.Padding {
		case "same":
			pad = (l.Kernel - 1) / 2
		case "valid":
		default:
			return "", fmt.Errorf("conv2d padding %q has no ONNX export", l.Padding)
		}
		k, p, s := int64(l.Kernel), int64(pad), int64(l.Stride)
		return g.op("Conv", l.Name, ins, intsAttr("kernel_shape", k, k), intsAttr("pads", p, p, p, p), intsAttr("strides", s, s)), nil
	case model.MaxPool, model.AvgPool:
		// No pads and ceil_mode 0: the output side is floor((in −
		// size)/stride) + 1, the windows model pools.
		k, s := int64(l.Size), int64(l.Stride)
		op, kind := "MaxPool", "pool"
		if l.Type == model.AvgPool {
			op, kind = "AveragePool", "avgpool"
		}
		return g.op(op, counted(kind), []string{h}, intsAttr("kernel_shape", k, k), intsAttr("strides", s, s)), nil
	case model.GlobalAvgPool:
		name := counted("global_avgpool")
		h = g.op("GlobalAveragePool", name, []string{h})
		// N×C×1×1 to model's N×C.
		return g.op("Flatten", name+"_flatten", []string{h}, intAttr("axis", 1)), nil
	case model.Flatten:
		if len(l.In) == 1 {
			return h, nil // already N×features
		}
		return g.op("Flatten", prefix+"flatten", []string{h}, intAttr("axis", 1)), nil
	case model.Dense:
		return g.dense(l, h)
	case model.BatchNorm:
		// BatchNormalization in test mode on N×C×H×W, or on N×C (the
		// operator takes N×C×D1…Dn with n ≥ 0, statistics per C): the
		// running statistics, epsilon as model's.
		ins := []string{h}
		for _, s := range []string{"scale", "shift", "running_mean", "running_var"} {
			p, err := g.param(l.Name+"."+s, l.In[0])
			if err != nil {
				return "", err
			}
			ins = append(ins, p)
		}
		return g.op("BatchNormalization", l.Name, ins, floatAttr("epsilon", batchNormEpsilon)), nil
	case model.LayerNorm:
		return g.layerNorm(l, h)
	case model.Dropout:
		return h, nil // the identity at evaluation
	case model.ReLU:
		return g.op("Relu", base+"_relu", []string{h}), nil
	case model.Tanh:
		return g.op("Tanh", base+"_tanh", []string{h}), nil
	case model.Sigmoid:
		return g.op("Sigmoid", base+"_sigmoid", []string{h}), nil
	case model.LeakyReLU:
		return g.op("LeakyRelu", base+"_leaky_relu", []string{h}, floatAttr("alpha", float32(l.Slope))), nil
	case model.GELU:
		return g.gelu(base+"_gelu", h), nil
	case model.Residual:
		out, err := g.layers(l.Inner, h, l.Name+".")
		if err != nil {
			return "", err
		}
		skip := h
		if p := l.Projection; p != nil {
			var err error
			switch p.Type {
			case model.Conv2D, model.Dense:
				skip, err = g.layer(*p, h, l.Name+".", base, counted)
			default:
				err = fmt.Errorf("projection %s has no ONNX export", p.Type)
			}
			if err != nil {
				return "", fmt.Errorf("projection %s: %w", p.Name, err)
			}
		}
		return g.op("Add", l.Name, []string{out, skip}), nil
	}
	return "", fmt.Errorf("layer type %q has no ONNX export", l.Type)
}

// dense adds x·W (+ b): a Gemm with the bias as its C (W is in×out as
// model stores it, so no transpose; the bias becomes 1-D), or a MatMul
// without one. An image input is flattened first, in model's order. The
// output layer's value is the graph's logits.
func (g *graphBuilder) dense(l model.ResolvedLayer, x string) (string, error) {
	in := 1
	for _, d := range l.In {
		in *= d
	}
	out := l.Out[0]
	w, err := g.param(l.Name+".weight", in, out)
	if err != nil {
		return "", err
	}
	if len(l.In) > 1 {
		x = g.op("Flatten", l.Name+"_flatten", []string{x}, intAttr("axis", 1))
	}
	name := l.Name
	if l.Output {
		name = ONNXLogits
	}
	if !l.Output && l.Bias != nil && !*l.Bias {
		return g.node("MatMul", l.Name, []string{x, w}, name), nil
	}
	b, err := g.param(l.Name+".bias", out)
	if err != nil {
		return "", err
	}
	return g.node("Gemm", l.Name, []string{x, w, b}, name), nil
}

// layerNorm normalizes each example over all its values, as model's
// layerNorm: (x − mean)/√(var + ε)·scale + shift with the biased
// variance, ReduceMean over every axis but the batch's (opset 13 has no
// LayerNormalization). scale and shift, 1×F in the checkpoint, are laid
// out in the example's shape (C×H×W in model's row-major order).
func (g *graphBuilder) layerNorm(l model.ResolvedLayer, x string) (string, error) {
	scale, err := g.param(l.Name+".scale", l.In...)
	if err != nil {
		return "", err
	}
	shift, err := g.param(l.Name+".shift", l.In...)
	if err != nil {
		return "", err
	}
	axes := make([]int64, len(l.In))
	for i := range axes {
		axes[i] = int64(i + 1)
	}
	n := l.Name
	mean := g.op("ReduceMean", n+"_mean", []string{x}, intsAttr("axes", axes...), intAttr("keepdims", 1))
	centered := g.op("Sub", n+"_centered", []string{x, mean})
	sq := g.op("Mul", n+"_squared", []string{centered, centered})
	variance := g.op("ReduceMean", n+"_variance", []string{sq}, intsAttr("axes", axes...), intAttr("keepdims", 1))
	eps := g.constant(constLayerNormEpsilon, layerNormEpsilon)
	std := g.op("Sqrt", n+"_std", []string{g.op("Add", n+"_variance_eps", []string{variance, eps})})
	y := g.op("Div", n+"_normalized", []string{centered, std})
	y = g.op("Mul", n+"_scaled", []string{y, scale})
	return g.op("Add", n, []string{y, shift}), nil
}

// gelu adds the tanh approximation model computes, x·½·(1 + tanh(√(2/π)·
// (x + 0.044715·x³))), in its order of operations (opset 13 has no Gelu).
func (g *graphBuilder) gelu(name, x string) string {
	x2 := g.op("Mul", name+"_x2", []string{x, x})
	x3 := g.op("Mul", name+"_x3", []string{x2, x})
	t := g.op("Mul", name+"_cubic", []string{x3, g.constant(constGELUCubic, 0.044715)})
	t = g.op("Add", name+"_inner", []string{x, t})
	t = g.op("Mul", name+"_inner_scaled", []string{t, g.constant(constGELUScale, float32(math.Sqrt(2/math.Pi)))})
	t = g.op("Tanh", name+"_tanh", []string{t})
	t = g.op("Add", name+"_tanh_plus_one", []string{t, g.constant(constOne, 1)})
	t = g.op("Mul", name+"_gate", []string{t, g.constant(constHalf, 0.5)})
	return g.op("Mul", name, []string{x, t})
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
