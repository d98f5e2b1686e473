package model

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Layer types of a layer list (model.layers).
const (
	Conv2D        = "conv2d"
	MaxPool       = "maxpool"
	AvgPool       = "avgpool"
	GlobalAvgPool = "global_avgpool"
	Flatten       = "flatten"
	Dense         = "dense"
	BatchNorm     = "batchnorm"
	LayerNorm     = "layernorm"
	Dropout       = "dropout"
	ReLU          = "relu"
	GELU          = "gelu"
	Tanh          = "tanh"
	Sigmoid       = "sigmoid"
	LeakyReLU     = "leaky_relu"
	Residual      = "residual"
)

// layerKeys returns the settings a layer type takes, in the order a
// resolved config writes them, and whether the type exists.
func layerKeys(typ string) ([]string, bool) {
	switch typ {
	case Conv2D:
		return []string{"filters", "kernel", "stride", "padding", "bias"}, true
	case MaxPool, AvgPool:
		return []string{"size", "stride"}, true
	case Dense:
		return []string{"units", "bias"}, true
	case Dropout:
		return []string{"p"}, true
	case LeakyReLU:
		return []string{"slope"}, true
	case Residual:
		return []string{"layers"}, true
	case GlobalAvgPool, Flatten, BatchNorm, LayerNorm, ReLU, GELU, Tanh, Sigmoid:
		return nil, true
	}
	return nil, false
}

// LayerTypes lists the layer types a layer list may use, sorted.
func LayerTypes() []string {
	ts := []string{Conv2D, MaxPool, AvgPool, GlobalAvgPool, Flatten, Dense, BatchNorm, LayerNorm, Dropout, ReLU, GELU, Tanh, Sigmoid, LeakyReLU, Residual}
	sort.Strings(ts)
	return ts
}

// Layer is one entry of a layer list, written in YAML as a one-key
// mapping from its type to its settings, as a Keras Sequential model
// lists its layers:
//
//   - conv2d: {filters: 32, kernel: 3, stride: 1, padding: same}
//   - relu: {}
//   - residual:
//     layers:
//   - conv2d: {filters: 32}
//
// Settings a layer leaves out take the defaults of Spec.WithDefaults
// (kernel 3, stride 1, padding same and a bias for conv2d; size 2 and a
// stride equal to the size for the pools; a bias for dense; slope 0.01 for
// leaky_relu), which the resolved config writes out.
type Layer struct {
	Type string
	// Filters is conv2d's number of output channels.
	Filters int `yaml:"filters,omitempty" json:"filters,omitempty"`
	// Kernel is conv2d's square kernel size.
	Kernel int `yaml:"kernel,omitempty" json:"kernel,omitempty"`
	// Stride of conv2d and the pools.
	Stride int `yaml:"stride,omitempty" json:"stride,omitempty"`
	// Padding of conv2d: same (the output is the input's size divided by
	// the stride, rounded up; odd kernels only) or valid (no padding).
	Padding string `yaml:"padding,omitempty" json:"padding,omitempty"`
	// Bias adds a learned bias to conv2d and dense (default true).
	Bias *bool `yaml:"bias,omitempty" json:"bias,omitempty"`
	// Size is the pools' square window.
	Size int `yaml:"size,omitempty" json:"size,omitempty"`
	// Units is dense's output size; the list's final dense layer (the
	// output layer) may leave it out: it has one unit per class.
	Units int `yaml:"units,omitempty" json:"units,omitempty"`
	// P is dropout's drop probability.
	P float64 `yaml:"p,omitempty" json:"p,omitempty"`
	// Slope is leaky_relu's slope below zero.
	Slope float64 `yaml:"slope,omitempty" json:"slope,omitempty"`
	// Layers are a residual block's layers: the block adds its input to
	// their output.
	Layers []Layer `yaml:"layers,omitempty" json:"layers,omitempty"`
}

// layerSettings is Layer without its type, so that the settings decode
// and encode with the default rules.
type layerSettings struct {
	Filters int     `yaml:"filters,omitempty" json:"filters,omitempty"`
	Units   int     `yaml:"units,omitempty" json:"units,omitempty"`
	Size    int     `yaml:"size,omitempty" json:"size,omitempty"`
	Kernel  int     `yaml:"kernel,omitempty" json:"kernel,omitempty"`
	Stride  int     `yaml:"stride,omitempty" json:"stride,omitempty"`
	Padding string  `yaml:"padding,omitempty" json:"padding,omitempty"`
	Bias    *bool   `yaml:"bias,omitempty" json:"bias,omitempty"`
	P       float64 `yaml:"p,omitempty" json:"p,omitempty"`
	Slope   float64 `yaml:"slope,omitempty" json:"slope,omitempty"`
	Layers  []Layer `yaml:"layers,omitempty" json:"layers,omitempty"`
}

func (l Layer) settings() layerSettings {
	return layerSettings{Filters: l.Filters, Units: l.Units, Size: l.Size, Kernel: l.Kernel, Stride: l.Stride, Padding: l.Padding, Bias: l.Bias, P: l.P, Slope: l.Slope, Layers: l.Layers}
}

func (s layerSettings) layer(typ string) Layer {
	return Layer{Type: typ, Filters: s.Filters, Kernel: s.Kernel, Stride: s.Stride, Padding: s.Padding, Bias: s.Bias, Size: s.Size, Units: s.Units, P: s.P, Slope: s.Slope, Layers: s.Layers}
}

// checkLayerKeys reports a layer type or a setting the type does not take.
func checkLayerKeys(typ string, keys []string) error {
	allowed, ok := layerKeys(typ)
	if !ok {
		return fmt.Errorf("unknown layer type %q (known: %s)", typ, strings.Join(LayerTypes(), ", "))
	}
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			if len(allowed) == 0 {
				return fmt.Errorf("%s takes no settings, got %q", typ, k)
			}
			return fmt.Errorf("%s has no setting %q (it takes %s)", typ, k, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// UnmarshalYAML reads a one-key mapping {type: settings}.
func (l *Layer) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		return fmt.Errorf("line %d: a layer is a mapping of one layer type to its settings, like \"- conv2d: {filters: 32}\"", n.Line)
	}
	typ, body := n.Content[0].Value, n.Content[1]
	var keys []string
	switch {
	case body.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(body.Content); i += 2 {
			keys = append(keys, body.Content[i].Value)
		}
	case body.Kind == yaml.ScalarNode && (body.Tag == "!!null" || body.Value == ""):
	default:
		return fmt.Errorf("line %d: the settings of %s are a mapping, like \"{}\"", body.Line, typ)
	}
	if err := checkLayerKeys(typ, keys); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	var s layerSettings
	if body.Kind == yaml.MappingNode {
		if err := body.Decode(&s); err != nil {
			return fmt.Errorf("%s: %w", typ, err)
		}
	}
	*l = s.layer(typ)
	return nil
}

// MarshalYAML writes a one-key mapping {type: settings}, the settings in
// flow style ({filters: 32, kernel: 3}) except a residual block's list.
func (l Layer) MarshalYAML() (any, error) {
	var body yaml.Node
	if err := body.Encode(l.settings()); err != nil {
		return nil, err
	}
	if l.Type != Residual {
		body.Style = yaml.FlowStyle
	}
	return &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: l.Type}, &body,
	}}, nil
}

// MarshalJSON writes {"type": {settings}}, as in YAML.
func (l Layer) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]layerSettings{l.Type: l.settings()})
}

// UnmarshalJSON reads {"type": {settings}}.
func (l *Layer) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if len(m) != 1 {
		return fmt.Errorf("a layer is an object of one layer type, got %d keys", len(m))
	}
	for typ, raw := range m {
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(raw, &keys); err != nil {
			return fmt.Errorf("%s: %w", typ, err)
		}
		var names []string
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		if err := checkLayerKeys(typ, names); err != nil {
			return err
		}
		var s layerSettings
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("%s: %w", typ, err)
		}
		*l = s.layer(typ)
	}
	return nil
}

// withDefaults fills the settings l leaves out.
func (l Layer) withDefaults() Layer {
	yes := true
	switch l.Type {
	case Conv2D:
		if l.Kernel == 0 {
			l.Kernel = 3
		}
		if l.Stride == 0 {
			l.Stride = 1
		}
		if l.Padding == "" {
			l.Padding = "same"
		}
		if l.Bias == nil {
			l.Bias = &yes
		}
	case MaxPool, AvgPool:
		if l.Size == 0 {
			l.Size = 2
		}
		if l.Stride == 0 {
			l.Stride = l.Size
		}
	case Dense:
		if l.Bias == nil {
			l.Bias = &yes
		}
	case LeakyReLU:
		if l.Slope == 0 {
			l.Slope = 0.01
		}
	case Residual:
		inner := make([]Layer, len(l.Layers))
		for i, c := range l.Layers {
			inner[i] = c.withDefaults()
		}
		l.Layers = inner
	}
	return l
}

// hasBias tells whether a conv2d or dense layer adds a bias.
func (l Layer) hasBias() bool { return l.Bias == nil || *l.Bias }

// isActivation tells whether l is an elementwise activation.
func (l Layer) isActivation() bool {
	switch l.Type {
	case ReLU, GELU, Tanh, Sigmoid, LeakyReLU:
		return true
	}
	return false
}

// reluFamily tells whether weights followed by activation typ are drawn
// with He's initialization (Glorot's otherwise).
func reluFamily(typ string) bool { return typ == ReLU || typ == LeakyReLU || typ == GELU }

// equalLayers compares two layer lists setting by setting.
func equalLayers(a, b []Layer) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Type != y.Type || x.Filters != y.Filters || x.Kernel != y.Kernel || x.Stride != y.Stride || x.Padding != y.Padding ||
			x.hasBias() != y.hasBias() || x.Size != y.Size || x.Units != y.Units || x.P != y.P || x.Slope != y.Slope ||
			!equalLayers(x.Layers, y.Layers) {
			return false
		}
	}
	return true
}
