package model

import (
	"fmt"
	"slices"

	"github.com/practica-ml/practica/internal/setting"
)

// Architectures the toolkit can build: four presets, and a layer list
// written out in model.layers.
const (
	Linear = "linear"
	MLP    = "mlp"
	CNN    = "cnn"
	ResNet = "resnet"
	Custom = "custom"
)

// archs are the values model.arch takes.
func archs() []string { return []string{Linear, MLP, CNN, ResNet, Custom} }

// isPreset tells whether arch expands to a layer list of its own.
func isPreset(arch string) bool { return arch != Custom && slices.Contains(archs(), arch) }

// Spec describes an architecture. Zero values take the defaults of
// WithDefaults, which depend on the input shape.
type Spec struct {
	// Arch is a preset (linear, mlp, cnn, resnet), which Layers spell out
	// once defaults are filled in, or custom: the model is Layers.
	Arch string `yaml:"arch" json:"arch"`
	// Hidden are the sizes of the dense hidden layers (mlp; cnn after the
	// conv blocks).
	Hidden []int `yaml:"hidden,flow,omitempty" json:"hidden,omitempty"`
	// Channels are the output channels of the cnn's conv blocks (3×3 conv,
	// same padding, optional batch norm, relu, 2×2 max-pool).
	Channels []int `yaml:"channels,flow,omitempty" json:"channels,omitempty"`
	// Activation of the dense hidden layers: relu or tanh.
	Activation string `yaml:"activation,omitempty" json:"activation,omitempty"`
	// Dropout is the drop probability after each dense hidden layer.
	Dropout float64 `yaml:"dropout" json:"dropout"`
	// BatchNorm adds batch normalization after each convolution.
	BatchNorm bool `yaml:"batch_norm" json:"batch_norm"`
	// Layers is the model as a list of layers from the input to the
	// output layer, which is added when the list does not end in a dense
	// layer. A preset fills it in with its expansion (WithDefaults).
	// Checkpoints written before layer lists existed leave it empty: their
	// preset is expanded when they are built.
	Layers []Layer `yaml:"layers,omitempty" json:"layers,omitempty"`
}

// WithDefaults fills what s leaves empty with defaults that suit the input
// shape: small for the 8×8 digits, larger for 28×28 images and tabular data.
func (s Spec) WithDefaults(inputShape []int) Spec {
	if len(s.Layers) > 0 {
		if s.Arch == "" {
			s.Arch = Custom
		}
		if s.Arch == Custom {
			s.Layers = withDefaultsAll(s.Layers)
			return s
		}
	}
	if s.Arch == "" {
		s.Arch = MLP
		if len(inputShape) == 3 {
			s.Arch = CNN
		}
	}
	if s.Activation == "" {
		s.Activation = "relu"
	}
	switch s.Arch {
	case MLP:
		if s.Hidden == nil {
			s.Hidden = []int{128}
			if size(inputShape) >= 256 {
				s.Hidden = []int{256, 128}
			}
		}
	case CNN:
		if s.Channels == nil {
			s.Channels = []int{32, 64}
		}
		if s.Hidden == nil {
			s.Hidden = []int{128}
		}
	case ResNet:
		if s.Channels == nil {
			s.Channels = []int{32, 64, 128}
		}
	}
	if len(s.Layers) > 0 {
		s.Layers = withDefaultsAll(s.Layers)
	} else if isPreset(s.Arch) && (s.Arch != CNN && s.Arch != ResNet || len(inputShape) == 3 && len(s.Channels) > 0) {
		s.Layers = expand(s, inputShape)
	}
	return s
}

// layerList is the model's layer list: Layers, or the preset's expansion
// for a spec from before layer lists (defaults filled in).
func (s Spec) layerList(inputShape []int) []Layer {
	if len(s.Layers) > 0 || s.Arch == Custom {
		return withDefaultsAll(s.Layers)
	}
	return expand(s, inputShape)
}

// steps infers every layer's shapes and parameters on inputs of
// inputShape with classes classes (0: not known yet; the output layer's
// units are then not checked).
func (s Spec) steps(inputShape []int, classes int) ([]*step, error) {
	w := walker{origin: "model.layers", classes: classes, keyOf: func(i int, _ Layer) string { return fmt.Sprintf("model.layers[%d]", i) }}
	if s.Arch != Custom {
		w.origin = "the " + s.Arch + " preset"
		flat := false
		w.keyOf = func(_ int, l Layer) string {
			if l.Type == Flatten || l.Type == GlobalAvgPool {
				flat = true
			}
			if flat && s.Arch != ResNet {
				return KeyHidden
			}
			if s.Arch == CNN || s.Arch == ResNet {
				return KeyChannels
			}
			return KeyData
		}
		w.outKey = KeyData
		if s.Arch == MLP || s.Arch == CNN {
			if len(s.Hidden) > 0 {
				w.outKey = KeyHidden
			}
		}
		if s.Arch == ResNet {
			w.outKey = KeyChannels
		}
	}
	if classes <= 0 {
		classes = 0
	}
	w.classes = classes
	return w.steps(s.layerList(inputShape), inputShape)
}

// Validate reports a spec that cannot be built for the input shape, with a
// message a user can act on.
func (s Spec) Validate(inputShape []int) error {
	if !slices.Contains(archs(), s.Arch) {
		return setting.Errorf("model.arch", "must be linear, mlp, cnn, resnet or custom (a model.layers list), got %q", s.Arch)
	}
	if s.Arch == Custom {
		if len(s.Layers) == 0 {
			return setting.Errorf("model.layers", "is empty: model.arch custom builds the model from this list")
		}
		if size(inputShape) <= 0 {
			return fmt.Errorf("model input shape %v is empty", inputShape)
		}
		if n := countLayers(s.Layers); n > maxLayers {
			return setting.Errorf("model.layers", "has %d layers, more than the %d allowed", n, maxLayers)
		}
		_, err := s.steps(inputShape, 0)
		return err
	}
	if s.Activation != "relu" && s.Activation != "tanh" {
		return setting.Errorf("model.activation", "must be relu or tanh, got %q", s.Activation)
	}
	if s.Dropout < 0 || s.Dropout >= 1 {
		return setting.Errorf("model.dropout", "must be in [0, 1), got %v", s.Dropout)
	}
	for _, h := range s.Hidden {
		if h <= 0 || h > 1<<16 {
			return setting.Errorf("model.hidden", "sizes must be in [1, 65536], got %v", s.Hidden)
		}
	}
	for _, c := range s.Channels {
		if c <= 0 || c > 4096 {
			return setting.Errorf("model.channels", "must be in [1, 4096], got %v", s.Channels)
		}
	}
	if size(inputShape) <= 0 {
		return fmt.Errorf("model input shape %v is empty", inputShape)
	}
	if s.Arch == CNN || s.Arch == ResNet {
		if len(inputShape) != 3 {
			return setting.Errorf("model.arch", "%s needs image input (C×H×W), got shape %v: use mlp for tabular data", s.Arch, inputShape)
		}
		if len(s.Channels) == 0 && s.Arch == ResNet {
			return setting.Errorf("model.channels", "resnet needs at least one stage")
		}
		h, w := inputShape[1], inputShape[2]
		for range s.Channels {
			if s.Arch == CNN && (h < 2 || w < 2) {
				return setting.Errorf("model.channels", "has %d pooling blocks, too many for %d×%d images", len(s.Channels), inputShape[1], inputShape[2])
			}
			h, w = h/2, w/2
		}
	}
	if len(s.Channels) > maxLayers || len(s.Hidden) > maxLayers {
		return setting.Errorf("model.hidden", "and model.channels may list at most %d sizes", maxLayers)
	}
	if len(s.Layers) > 0 && !equalLayers(withDefaultsAll(s.Layers), expand(s, inputShape)) {
		return setting.Errorf("model.layers", "differs from what model.arch %s expands to with these settings: remove model.layers to build the preset, or set model.arch to custom to build the list", s.Arch)
	}
	if _, err := s.steps(inputShape, 0); err != nil {
		return err
	}
	return nil
}

// maxLayers bounds a layer list (counting the layers inside residual
// blocks), so that a checkpoint header cannot describe a model whose mere
// description costs unbounded work.
const maxLayers = 4096

// countLayers counts the layers of ls, those inside residual blocks too.
func countLayers(ls []Layer) int {
	n := 0
	for _, l := range ls {
		n += 1 + countLayers(l.Layers)
	}
	return n
}

func size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
