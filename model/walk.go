package model

import (
	"fmt"
	"strings"

	"github.com/practica-ml/practica/internal/setting"
)

// step is one layer of a model with everything inferred from the input
// shape before a graph is built: its output shape, its parameters (names,
// shapes, initialization), its cost per example, and how it is computed.
// The graphs (graph.go), the parameter plan (params.go), the memory
// estimate (estimate.go) and the summary table (summary.go) all read the
// same steps, so that they cannot disagree.
type step struct {
	layer Layer
	// index is the layer's place: "4", or "4.1" inside residual block 4.
	index string
	// name prefixes the layer's parameters ("conv0", "res2.bn1"); empty
	// for layers without any.
	name string
	// in and out are the per-example shapes (C×H×W or features).
	in, out []int
	params  []paramPlan
	// output marks the dense layer to the classes; implied that the list
	// did not end in one.
	output, implied bool
	// fused marks a relu computed together with the 2×2 max-pool after
	// it (kernels.ReLUMaxPool2x2); absorbed marks that max-pool.
	fused, absorbed bool
	// inner are a residual block's layers; proj projects its input when
	// its shape differs from theirs (a 1×1 convolution or a dense layer).
	inner []*step
	proj  *step
	// flops counts the forward pass's multiply-adds ×2 (and one per
	// elementwise value) per example.
	flops int64
	// values counts, per example, the values the training graph computes
	// (each with its gradient) and is fed (dropout masks); evalValues
	// those the evaluation graph computes.
	values, fed, evalValues int
	// key is the setting that sizes the layer, for MemoryEstimate.ByKey.
	key string
}

// layerError names the layer a shape problem is in: by its config key
// when the layers come from model.layers ("model.layers[4] conv2d: …"),
// by its place in the preset's expansion otherwise ("model.arch layer 4
// maxpool of the cnn preset: …").
func (w walker) layerError(index, typ, msg string) error {
	if w.origin == "model.layers" {
		return setting.Errorf("model.layers["+strings.ReplaceAll(index, ".", "].layers[")+"]", "%s: %s", typ, msg)
	}
	return setting.Errorf("model.arch", "layer %s %s of %s: %s", index, typ, w.origin, msg)
}

// walker infers the steps of a layer list.
type walker struct {
	origin  string
	classes int // 0: unknown (the output layer's units are not checked)
	// keyOf names the setting that sizes top-level layer i; outKey the
	// implied output layer's (empty: the last weights' key).
	keyOf  func(i int, l Layer) string
	outKey string
}

// setKey sets the key of st and of the layers inside it.
func (st *step) setKey(key string) {
	st.key = key
	for _, c := range st.inner {
		c.setKey(key)
	}
	if st.proj != nil {
		st.proj.key = key
	}
}

// steps infers the steps of layers on inputs of inputShape, adding the
// output layer when the list does not end in a dense one.
func (w walker) steps(layers []Layer, inputShape []int) ([]*step, error) {
	sts, shape, err := w.list(layers, inputShape, "", "", map[string]int{}, "", true)
	if err != nil {
		return nil, err
	}
	if n := len(sts); n > 0 && sts[n-1].output {
		return sts, nil
	}
	key := w.outKey
	if key == "" {
		key = KeyData
		for _, st := range flatSteps(sts) {
			if len(st.params) > 0 {
				key = st.key
			}
		}
	}
	out, err := w.one(Layer{Type: Dense, Units: w.classes}.withDefaults(), shape, fmt.Sprint(len(layers)), "", map[string]int{}, "", true)
	if err != nil {
		return nil, err
	}
	out.implied, out.key = true, key
	return append(sts, out), nil
}

// list walks one list (the model's, or a residual block's, whose
// parameters are named under prefix). follow is the activation after the
// list, for the initialization of its last weights.
func (w walker) list(layers []Layer, shape []int, indexPrefix, prefix string, counts map[string]int, follow string, top bool) ([]*step, []int, error) {
	var sts []*step
	for i, l := range layers {
		last := top && i == len(layers)-1 && l.Type == Dense
		st, err := w.one(l, shape, indexPrefix+fmt.Sprint(i), prefix, counts, activationAfter(layers, i, follow), last)
		if err != nil {
			return nil, nil, err
		}
		if top {
			st.setKey(w.keyOf(i, l))
		}
		if l.Type == MaxPool && i > 0 && sts[i-1].layer.Type == ReLU && l.Size == 2 && l.Stride == 2 {
			// The rule for the fused kernel: a relu directly followed by a
			// 2×2 max-pool of stride 2 is computed as one.
			sts[i-1].fused, st.absorbed = true, true
			sts[i-1].values, sts[i-1].evalValues = 0, 0
		}
		sts = append(sts, st)
		shape = st.out
	}
	return sts, shape, nil
}

// activationAfter is the first activation after layers[i] before the
// next weights, or follow when the list ends first: it decides how the
// weights of layers[i] are drawn.
func activationAfter(layers []Layer, i int, follow string) string {
	for _, l := range layers[i+1:] {
		switch {
		case l.isActivation():
			return l.Type
		case l.Type == Conv2D || l.Type == Dense || l.Type == Residual:
			return ""
		}
	}
	return follow
}

// one infers the step of layer l on inputs of shape in.
func (w walker) one(l Layer, in []int, index, prefix string, counts map[string]int, follow string, output bool) (*step, error) {
	l = l.withDefaults()
	st := &step{layer: l, index: index, in: append([]int(nil), in...), output: output}
	fail := func(format string, args ...any) error {
		return w.layerError(index, l.Type, fmt.Sprintf(format, args...))
	}
	named := func(kind string) string {
		n := fmt.Sprintf("%s%s%d", prefix, kind, counts[kind])
		counts[kind]++
		return n
	}
	init := "glorot"
	if reluFamily(follow) {
		init = "he"
	}
	n := size(in)
	image := len(in) == 3
	needImage := func() error {
		if !image {
			return fail("needs image input (C×H×W), got %s: it must come before flatten, global_avgpool and dense", dims(in))
		}
		return nil
	}
	switch l.Type {
	case Conv2D:
		if err := needImage(); err != nil {
			return nil, err
		}
		if l.Filters <= 0 || l.Filters > 4096 {
			return nil, fail("filters must be in [1, 4096], got %d", l.Filters)
		}
		if l.Kernel < 1 || l.Kernel > 64 || l.Stride < 1 || l.Stride > 64 {
			return nil, fail("kernel and stride must be in [1, 64], got kernel %d, stride %d", l.Kernel, l.Stride)
		}
		pad := 0
		switch l.Padding {
		case "same":
			if l.Kernel%2 == 0 {
				return nil, fail("padding same needs an odd kernel, got %d", l.Kernel)
			}
			pad = (l.Kernel - 1) / 2
		case "valid":
		default:
			return nil, fail("padding must be same or valid, got %q", l.Padding)
		}
		c, h, wd := in[0], in[1], in[2]
		if h+2*pad < l.Kernel || wd+2*pad < l.Kernel {
			return nil, fail("input %s is smaller than its %d×%d kernel with padding %s", dims(in), l.Kernel, l.Kernel, l.Padding)
		}
		ho, wo := (h+2*pad-l.Kernel)/l.Stride+1, (wd+2*pad-l.Kernel)/l.Stride+1
		st.out = []int{l.Filters, ho, wo}
		st.name = named("conv")
		k2 := l.Kernel * l.Kernel
		st.params = append(st.params, paramPlan{name: st.name + ".weight", shape: []int{l.Filters, c, l.Kernel, l.Kernel}, fanIn: c * k2, fanOut: l.Filters * k2, init: init, learnable: true})
		if l.hasBias() {
			st.params = append(st.params, paramPlan{name: st.name + ".bias", shape: []int{1, l.Filters, 1, 1}, init: "zeros", learnable: true})
		}
		st.flops = 2 * int64(c*k2) * int64(size(st.out))
		st.values = size(st.out)
	case MaxPool, AvgPool:
		if err := needImage(); err != nil {
			return nil, err
		}
		if l.Size < 1 || l.Size > 64 || l.Stride < 1 || l.Stride > 64 {
			return nil, fail("size and stride must be in [1, 64], got size %d, stride %d", l.Size, l.Stride)
		}
		if in[1] < l.Size || in[2] < l.Size {
			return nil, fail("input %s is smaller than its %d×%d window", dims(in), l.Size, l.Size)
		}
		st.out = []int{in[0], (in[1]-l.Size)/l.Stride + 1, (in[2]-l.Size)/l.Stride + 1}
		st.flops = int64(l.Size*l.Size) * int64(size(st.out))
		st.values = size(st.out)
	case GlobalAvgPool:
		if err := needImage(); err != nil {
			return nil, err
		}
		st.out = []int{in[0]}
		st.flops = int64(n)
		st.values = in[0]
	case Flatten:
		st.out = []int{n}
	case Dense:
		units := l.Units
		if output {
			if units == 0 {
				units = w.classes
			}
			if w.classes > 0 && units != w.classes {
				return nil, fail("the last layer is a dense layer of %d units, the output layer, which needs one unit per class (%d): leave units out, or end the list with an activation to have the output layer added", l.Units, w.classes)
			}
		} else if units <= 0 || units > 1<<16 {
			return nil, fail("units must be in [1, 65536], got %d", l.Units)
		}
		st.out = []int{units}
		if output {
			st.name = "out"
			init = "small"
		} else {
			st.name = named("dense")
		}
		st.params = append(st.params, paramPlan{name: st.name + ".weight", shape: []int{n, units}, fanIn: n, fanOut: units, init: init, learnable: true})
		st.values = units
		if l.hasBias() || output {
			st.params = append(st.params, paramPlan{name: st.name + ".bias", shape: []int{1, units}, init: "zeros", learnable: true})
			st.values += units
		}
		st.flops = 2 * int64(n) * int64(units)
	case BatchNorm:
		c := in[0]
		shape := []int{1, c}
		if image {
			shape = []int{1, c, 1, 1}
		} else if len(in) != 1 {
			return nil, fail("needs features or C×H×W input, got %s", dims(in))
		}
		st.out = in
		st.name = named("bn")
		st.params = append(st.params,
			paramPlan{name: st.name + ".scale", shape: shape, init: "ones", learnable: true},
			paramPlan{name: st.name + ".shift", shape: append([]int(nil), shape...), init: "zeros", learnable: true},
			paramPlan{name: st.name + ".running_mean", shape: []int{c}, init: "zeros"},
			paramPlan{name: st.name + ".running_var", shape: []int{c}, init: "ones"})
		st.flops = 4 * int64(n)
		st.values = n
	case LayerNorm:
		st.out = in
		st.name = named("ln")
		st.params = append(st.params,
			paramPlan{name: st.name + ".scale", shape: []int{1, n}, init: "ones", learnable: true},
			paramPlan{name: st.name + ".shift", shape: []int{1, n}, init: "zeros", learnable: true})
		st.flops = 8 * int64(n)
		st.values = 5 * n
	case Dropout:
		if l.P < 0 || l.P >= 1 {
			return nil, fail("p must be in [0, 1), got %v", l.P)
		}
		st.out = in
		if l.P > 0 {
			st.values, st.fed = n, n
			st.flops = int64(n)
		}
		st.evalValues = -1 // none: dropout is the identity in eval mode
	case ReLU, Tanh, Sigmoid:
		st.out = in
		st.flops, st.values = int64(n), n
	case LeakyReLU:
		if l.Slope < 0 || l.Slope >= 1 {
			return nil, fail("slope must be in [0, 1), got %v", l.Slope)
		}
		st.out = in
		st.flops, st.values = 2*int64(n), 3*n
	case GELU:
		st.out = in
		st.flops, st.values = 8*int64(n), 8*n
	case Residual:
		if len(l.Layers) == 0 {
			return nil, fail("has no layers")
		}
		st.name = named("res")
		inner, out, err := w.list(l.Layers, in, index+".", st.name+".", map[string]int{}, follow, false)
		if err != nil {
			return nil, err
		}
		st.inner, st.out = inner, out
		if !equalShape(in, out) {
			if st.proj, err = w.projection(in, out, index, st.name, init, fail); err != nil {
				return nil, err
			}
		}
		// The block's own step is the sum; its layers and projection are
		// steps of their own (flatSteps).
		st.values = size(out)
		st.flops = int64(size(out))
	default:
		return nil, fail("unknown layer type (known: %s)", strings.Join(LayerTypes(), ", "))
	}
	if st.evalValues == 0 {
		st.evalValues = st.values - st.fed
	} else if st.evalValues < 0 {
		st.evalValues = 0
	}
	return st, nil
}

// projection is the layer that maps a residual block's input (shape in)
// onto its output's shape out: a 1×1 convolution with the stride that
// gives out's resolution, or a dense layer.
func (w walker) projection(in, out []int, index, block, init string, fail func(string, ...any) error) (*step, error) {
	st := &step{index: index + ".proj", name: block + ".proj", in: in, out: out}
	switch {
	case len(in) == 3 && len(out) == 3:
		stride := 0
		for s := 1; s <= in[1]; s++ {
			if (in[1]-1)/s+1 == out[1] && (in[2]-1)/s+1 == out[2] {
				stride = s
				break
			}
		}
		if stride == 0 {
			return nil, fail("cannot add its input %s to its output %s: no strided 1×1 convolution maps one onto the other", dims(in), dims(out))
		}
		yes := true
		st.layer = Layer{Type: Conv2D, Filters: out[0], Kernel: 1, Stride: stride, Padding: "valid", Bias: &yes}
		st.params = []paramPlan{
			{name: st.name + ".weight", shape: []int{out[0], in[0], 1, 1}, fanIn: in[0], fanOut: out[0], init: init, learnable: true},
			{name: st.name + ".bias", shape: []int{1, out[0], 1, 1}, init: "zeros", learnable: true},
		}
		st.flops = 2 * int64(in[0]) * int64(size(out))
	case len(out) == 1:
		yes := true
		st.layer = Layer{Type: Dense, Units: out[0], Bias: &yes}
		st.params = []paramPlan{
			{name: st.name + ".weight", shape: []int{size(in), out[0]}, fanIn: size(in), fanOut: out[0], init: init, learnable: true},
			{name: st.name + ".bias", shape: []int{1, out[0]}, init: "zeros", learnable: true},
		}
		st.flops = 2 * int64(size(in)) * int64(out[0])
	default:
		return nil, fail("cannot add its input %s to its output %s", dims(in), dims(out))
	}
	st.values = size(out)
	st.evalValues = st.values
	return st, nil
}

// dims prints a per-example shape as 64×3×3.
func dims(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	return strings.Join(parts, "×")
}

// flatSteps lists steps depth first: each residual block, then its
// layers, then its projection.
func flatSteps(sts []*step) []*step {
	var out []*step
	for _, st := range sts {
		out = append(out, st)
		if st.layer.Type == Residual {
			out = append(out, flatSteps(st.inner)...)
			if st.proj != nil {
				out = append(out, st.proj)
			}
		}
	}
	return out
}

// ResolvedLayer is one layer of a model as built: its settings with the
// defaults filled in, the names and shapes it was inferred to have. Other
// packages (the ONNX export) walk a model through it.
type ResolvedLayer struct {
	Layer
	// Name prefixes the layer's parameters (Name + ".weight"); empty for
	// layers without any.
	Name string
	// In and Out are one example's shapes (C×H×W or features).
	In, Out []int
	// Output marks the dense layer to the classes (always with a bias).
	Output bool
	// FusedWithPool marks a relu the graph computes together with the
	// 2×2 max-pool after it, and AbsorbedIntoReLU that max-pool: the
	// values are those of the two layers in turn.
	FusedWithPool, AbsorbedIntoReLU bool
	// Inner are a residual block's layers; Projection maps its input onto
	// their output's shape when the two differ (a 1×1 convolution of
	// stride Projection.Stride, or a dense layer), or is nil.
	Inner      []ResolvedLayer
	Projection *ResolvedLayer
}

// Resolve infers the layers spec builds on inputs of inputShape with
// classes classes, the output layer included.
func (s Spec) Resolve(inputShape []int, classes int) ([]ResolvedLayer, error) {
	if err := s.Validate(inputShape); err != nil {
		return nil, err
	}
	sts, err := s.steps(inputShape, classes)
	if err != nil {
		return nil, err
	}
	return resolved(sts), nil
}

func resolved(sts []*step) []ResolvedLayer {
	out := make([]ResolvedLayer, len(sts))
	for i, st := range sts {
		r := ResolvedLayer{Layer: st.layer, Name: st.name, In: st.in, Out: st.out, Output: st.output,
			FusedWithPool: st.fused, AbsorbedIntoReLU: st.absorbed, Inner: resolved(st.inner)}
		if st.proj != nil {
			p := resolved([]*step{st.proj})[0]
			r.Projection = &p
		}
		out[i] = r
	}
	return out
}
