package model

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// layerCases are small models that between them use every layer type, in
// and out of residual blocks, each after layers with weights, so that a
// gradient check of the weights also checks the layer's backward pass.
func layerCases() []struct {
	name   string
	layers string // YAML
	shape  []int
} {
	img := []int{2, 6, 6}
	tab := []int{5}
	return []struct {
		name   string
		layers string
		shape  []int
	}{
		{"conv2d-3x3-same", `[{conv2d: {filters: 3}}, {relu: {}}]`, img},
		{"conv2d-3x3-stride2", `[{conv2d: {filters: 3, stride: 2}}, {tanh: {}}]`, img},
		{"conv2d-1x1-valid", `[{conv2d: {filters: 3, kernel: 1, padding: valid}}, {sigmoid: {}}]`, img},
		{"conv2d-5x5-valid-no-bias", `[{conv2d: {filters: 2, kernel: 5, padding: valid, bias: false}}]`, img},
		{"relu-maxpool-fused", `[{conv2d: {filters: 3}}, {relu: {}}, {maxpool: {}}]`, img},
		{"maxpool-3-stride1", `[{conv2d: {filters: 3}}, {maxpool: {size: 3, stride: 1}}]`, img},
		{"avgpool-2", `[{conv2d: {filters: 3}}, {avgpool: {}}]`, img},
		{"avgpool-3-stride2", `[{conv2d: {filters: 3}}, {avgpool: {size: 3, stride: 2}}]`, img},
		{"global-avgpool", `[{conv2d: {filters: 3}}, {global_avgpool: {}}, {dense: {units: 4}}, {gelu: {}}]`, img},
		{"flatten-dense", `[{conv2d: {filters: 2}}, {flatten: {}}, {dense: {units: 4, bias: false}}, {leaky_relu: {slope: 0.1}}]`, img},
		{"batchnorm-image", `[{conv2d: {filters: 3, bias: false}}, {batchnorm: {}}, {relu: {}}]`, img},
		{"batchnorm-features", `[{dense: {units: 6}}, {batchnorm: {}}, {tanh: {}}]`, tab},
		{"layernorm-image", `[{conv2d: {filters: 3}}, {layernorm: {}}, {gelu: {}}]`, img},
		{"layernorm-features", `[{dense: {units: 6}}, {layernorm: {}}, {relu: {}}]`, tab},
		{"dropout", `[{dense: {units: 7}}, {relu: {}}, {dropout: {p: 0.3}}]`, tab},
		{"activations", `[{dense: {units: 6}}, {gelu: {}}, {dense: {units: 6}}, {sigmoid: {}}, {dense: {units: 6}}, {leaky_relu: {}}, {dense: {units: 6}}, {tanh: {}}]`, tab},
		{"explicit-output", `[{dense: {units: 6}}, {relu: {}}, {dense: {}}]`, tab},
		{"residual-identity", `[{conv2d: {filters: 3}}, {residual: {layers: [{conv2d: {filters: 3}}, {relu: {}}, {conv2d: {filters: 3}}]}}, {relu: {}}]`, img},
		{"residual-projection-conv", `[{conv2d: {filters: 2}}, {residual: {layers: [{conv2d: {filters: 4, stride: 2, bias: false}}, {batchnorm: {}}, {relu: {}}, {conv2d: {filters: 4}}]}}, {relu: {}}]`, img},
		{"residual-every-layer", `[{conv2d: {filters: 3}}, {residual: {layers: [{conv2d: {filters: 3}}, {layernorm: {}}, {gelu: {}}, {maxpool: {}}, {conv2d: {filters: 4, padding: valid, kernel: 1}}, {sigmoid: {}}, {avgpool: {size: 3, stride: 1, }}]}}, {avgpool: {size: 1}}]`, img},
		{"residual-pools", `[{conv2d: {filters: 3}}, {residual: {layers: [{relu: {}}, {maxpool: {}}, {conv2d: {filters: 3}}, {leaky_relu: {}}]}}, {global_avgpool: {}}]`, img},
		{"residual-dense-projection", `[{dense: {units: 6}}, {residual: {layers: [{dense: {units: 4}}, {batchnorm: {}}, {tanh: {}}, {dropout: {p: 0.25}}]}}]`, tab},
		{"residual-nested", `[{dense: {units: 4}}, {residual: {layers: [{residual: {layers: [{dense: {units: 4}}, {relu: {}}]}}, {dense: {units: 4}}]}}]`, tab},
	}
}

func parseLayers(t *testing.T, s string) []Layer {
	t.Helper()
	var ls []Layer
	if err := yaml.Unmarshal([]byte(s), &ls); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return ls
}

// TestLayerGradients checks, for every layer type in and out of residual
// blocks, the training graph's gradient of every weight (train mode: batch
// statistics, dropout masks) and the input-gradient graph's gradient of a
// logit with respect to the input (eval mode: running statistics, no
// dropout) against central differences in float64.
func TestLayerGradients(t *testing.T) {
	const batch, classes, eps = 4, 3, 1e-6
	for _, c := range layerCases() {
		t.Run(c.name, func(t *testing.T) {
			spec := Spec{Layers: parseLayers(t, c.layers)}.WithDefaults(c.shape)
			m, err := New(spec, c.shape, classes, Options{TrainBatch: batch, EvalBatch: batch, Float64: true, Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			x := make([]float32, batch*size(c.shape))
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			targets := make([]float32, batch*classes)
			for i := range batch {
				targets[i*classes+i%classes] = 1.0 / batch
			}
			// Train mode; the running statistics stay as the first step
			// left them, for the eval-mode check below.
			checked, worst := checkWeightGradients(t, m, x, targets, batch, 5)
			if checked < 6 {
				t.Fatalf("checked only %d weights", checked)
			}

			// Eval mode: d logit / d input through the input-gradient graph.
			ig, err := m.NewInputGradient(batch)
			if err != nil {
				t.Fatal(err)
			}
			defer ig.Close()
			chosen := make([]int, batch)
			for i := range chosen {
				chosen[i] = (i + 1) % classes
			}
			logits := make([]float32, batch*classes)
			grads := make([]float32, len(x))
			if err := ig.Run(x, chosen, logits, grads); err != nil {
				t.Fatal(err)
			}
			if err := m.pushStats(); err != nil {
				t.Fatal(err)
			}
			x64 := make([]float64, len(x))
			for i, v := range x {
				x64[i] = float64(v)
			}
			evalLogit := func(row int) float64 {
				d := m.eval.xT.Data().([]float64)
				copy(d, x64)
				if err := m.eval.run(); err != nil {
					t.Fatal(err)
				}
				return m.eval.logitsVal.Data().([]float64)[row*classes+chosen[row]]
			}
			n := size(c.shape)
			for k := 0; k < len(x); k += 1 + len(x)/9 {
				row := k / n
				orig := x64[k]
				x64[k] = orig + eps
				up := evalLogit(row)
				x64[k] = orig - eps
				down := evalLogit(row)
				x64[k] = orig
				num := (up - down) / (2 * eps)
				// The input gradient is returned in float32.
				if d := math.Abs(num - float64(grads[k])); d > 1e-5*math.Max(1, math.Abs(num)) {
					t.Errorf("eval mode: d logit / d x[%d]: analytic %.9g, numeric %.9g", k, grads[k], num)
				}
			}
			t.Logf("%d weights checked, worst relative error %.2g", checked, worst)
		})
	}
}

// TestLayerShapeErrors checks that a layer list that cannot be built is
// refused before anything is built, naming the layer by its config key
// and type and the shapes involved.
func TestLayerShapeErrors(t *testing.T) {
	for _, c := range []struct {
		layers string
		shape  []int
		want   string
	}{
		{`[{conv2d: {filters: 64}}, {maxpool: {}}, {maxpool: {}}, {conv2d: {filters: 8}}, {conv2d: {filters: 8, kernel: 5, padding: valid}}]`, []int{1, 12, 12},
			"model.layers[4] conv2d: input 8×3×3 is smaller than its 5×5 kernel with padding valid"},
		{`[{dense: {units: 4}}, {conv2d: {filters: 3}}]`, []int{1, 8, 8},
			"model.layers[1] conv2d: needs image input (C×H×W), got 4: it must come before flatten, global_avgpool and dense"},
		{`[{conv2d: {filters: 3, kernel: 4}}]`, []int{1, 8, 8}, "model.layers[0] conv2d: padding same needs an odd kernel, got 4"},
		{`[{maxpool: {size: 9}}]`, []int{1, 8, 8}, "model.layers[0] maxpool: input 1×8×8 is smaller than its 9×9 window"},
		{`[{conv2d: {filters: 4}}, {residual: {layers: [{conv2d: {filters: 4, padding: valid}}]}}]`, []int{1, 8, 8},
			"model.layers[1] residual: cannot add its input 4×8×8 to its output 4×6×6: no strided 1×1 convolution maps one onto the other"},
		{`[{residual: {layers: [{conv2d: {filters: 8}}, {conv2d: {filters: 8, kernel: 9, padding: valid}}]}}]`, []int{1, 8, 8},
			"model.layers[0].layers[1] conv2d: input 8×8×8 is smaller than its 9×9 kernel with padding valid"},
		{`[{dropout: {p: 1}}]`, []int{5}, "model.layers[0] dropout: p must be in [0, 1), got 1"},
		{`[{dense: {}}, {relu: {}}]`, []int{5}, "model.layers[0] dense: units must be in [1, 65536], got 0"},
		{`[{residual: {}}]`, []int{5}, "model.layers[0] residual: has no layers"},
	} {
		spec := Spec{Layers: parseLayers(t, c.layers)}.WithDefaults(c.shape)
		err := spec.Validate(c.shape)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s on %v: got %v, want %q", c.layers, c.shape, err, c.want)
		}
		if _, err := New(spec, c.shape, 3, Options{TrainBatch: 2}); err == nil {
			t.Errorf("%s: New built it", c.layers)
		}
	}
	// The output layer's units are checked once the classes are known.
	spec := Spec{Layers: parseLayers(t, `[{dense: {units: 8}}, {relu: {}}, {dense: {units: 4}}]`)}.WithDefaults([]int{5})
	if _, err := New(spec, []int{5}, 3, Options{TrainBatch: 2}); err == nil || !strings.Contains(err.Error(), "model.layers[2] dense: the last layer is a dense layer of 4 units, the output layer, which needs one unit per class (3)") {
		t.Errorf("output of 4 units for 3 classes: %v", err)
	}
}

// TestLayerDecoding checks the YAML and JSON forms of a layer list: they
// round-trip, and a wrong type or setting is named.
func TestLayerDecoding(t *testing.T) {
	src := `[{conv2d: {filters: 8, stride: 2}}, {residual: {layers: [{conv2d: {filters: 8}}, {leaky_relu: {slope: 0.2}}]}}, {dropout: {p: 0.5}}, {global_avgpool: {}}]`
	ls := withDefaultsAll(parseLayers(t, src))
	y, err := yaml.Marshal(ls)
	if err != nil {
		t.Fatal(err)
	}
	const wantYAML = `- conv2d: {filters: 8, kernel: 3, stride: 2, padding: same, bias: true}
- residual:
    layers:
        - conv2d: {filters: 8, kernel: 3, stride: 1, padding: same, bias: true}
        - leaky_relu: {slope: 0.2}
- dropout: {p: 0.5}
- global_avgpool: {}
`
	if string(y) != wantYAML {
		t.Errorf("YAML:\n%s\nwant\n%s", y, wantYAML)
	}
	var back []Layer
	if err := yaml.Unmarshal(y, &back); err != nil || !equalLayers(back, ls) {
		t.Errorf("YAML round trip: %v, equal %v", err, equalLayers(back, ls))
	}
	j, err := json.Marshal(ls)
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON []Layer
	if err := json.Unmarshal(j, &fromJSON); err != nil || !equalLayers(fromJSON, ls) {
		t.Errorf("JSON round trip of %s: %v", j, err)
	}
	for _, c := range []struct{ src, want string }{
		{`[{conv3d: {}}]`, `unknown layer type "conv3d"`},
		{`[{conv2d: {filter: 3}}]`, `conv2d has no setting "filter" (it takes filters, kernel, stride, padding, bias)`},
		{`[{relu: {slope: 1}}]`, `relu takes no settings, got "slope"`},
		{`[{relu: {}, tanh: {}}]`, `a layer is a mapping of one layer type to its settings`},
		{`[relu]`, `a layer is a mapping of one layer type to its settings`},
		{`[{conv2d: {filters: many}}]`, `conv2d`},
	} {
		var ls []Layer
		err := yaml.Unmarshal([]byte(c.src), &ls)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.src, err, c.want)
		}
	}
	if err := json.Unmarshal([]byte(`[{"conv2d": {"filters": 3, "dilation": 2}}]`), &back); err == nil || !strings.Contains(err.Error(), `conv2d has no setting "dilation"`) {
		t.Errorf("JSON with an unknown setting: %v", err)
	}
}

// TestResNetPreset checks that the resnet preset builds on 8×8 digits and
// 28×28 images, with the stages it promises.
func TestResNetPreset(t *testing.T) {
	for _, c := range []struct {
		shape  []int
		params int64
		out    []int // the last stage's output
	}{
		{[]int{1, 8, 8}, 695850, []int{128, 2, 2}},
		{[]int{1, 28, 28}, 695850, []int{128, 4, 4}},
		{[]int{3, 32, 32}, 696426, []int{128, 4, 4}},
	} {
		spec := Spec{Arch: ResNet}.WithDefaults(c.shape)
		s, err := Summarize(spec, c.shape, 10)
		if err != nil {
			t.Fatalf("%v: %v", c.shape, err)
		}
		if s.Params != c.params {
			t.Errorf("%v: %d parameters, want %d", c.shape, s.Params, c.params)
		}
		residual := 0
		var last []int
		for _, r := range s.Layers {
			if strings.HasPrefix(r.Layer, "residual") {
				residual++
				last = r.Output
			}
		}
		if residual != 6 || !equalShape(last, c.out) {
			t.Errorf("%v: %d residual blocks ending in %v, want 6 ending in %v", c.shape, residual, last, c.out)
		}
		if _, err := New(spec, c.shape, 10, Options{TrainBatch: 2, EvalBatch: 2}); err != nil {
			t.Errorf("%v: %v", c.shape, err)
		}
	}
}

// FuzzLayerList feeds the layer-list decoder and the shape walk arbitrary
// YAML: decoding, validation, the summary and the memory estimate must
// return errors, never panic, and a list that validates must summarize.
func FuzzLayerList(f *testing.F) {
	for _, c := range layerCases() {
		f.Add(c.layers, uint8(len(c.shape)))
	}
	f.Add(`[{residual: {layers: [{residual: {layers: [{conv2d: {filters: 1, kernel: 63, stride: 64}}]}}]}}]`, uint8(3))
	f.Add(`[{maxpool: {size: 0}}, {avgpool: {size: -1, stride: 99}}]`, uint8(3))
	f.Add(`[{dense: {units: 70000}}]`, uint8(1))
	f.Fuzz(func(t *testing.T, src string, dims uint8) {
		var ls []Layer
		if err := yaml.Unmarshal([]byte(src), &ls); err != nil {
			return
		}
		shape := []int{5}
		if dims%2 == 1 {
			shape = []int{2, 6, 6}
		}
		spec := Spec{Layers: ls}.WithDefaults(shape)
		if err := spec.Validate(shape); err != nil {
			return
		}
		s, err := Summarize(spec, shape, 3)
		if err != nil {
			if strings.Contains(err.Error(), "output layer") {
				return // a final dense layer of another size than the classes
			}
			t.Fatalf("%s validates but does not summarize: %v", src, err)
		}
		if len(s.Layers) == 0 {
			t.Fatalf("%s: an empty summary", src)
		}
		if _, err := EstimateMemory(spec, shape, 3, 4, 2); err != nil && !strings.Contains(err.Error(), "output layer") {
			t.Fatalf("%s validates but has no memory estimate: %v", src, err)
		}
	})
}
