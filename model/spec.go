package model

import (
	"fmt"
	"slices"

	"github.com/practica-ml/practica/internal/setting"
)

// Architectures the toolkit can build.
const (
	Linear = "linear"
	MLP    = "mlp"
	CNN    = "cnn"
)

// Spec describes an architecture. Zero values take the defaults of
// WithDefaults, which depend on the input shape.
type Spec struct {
	// Arch is linear, mlp or cnn.
	Arch string `yaml:"arch" json:"arch"`
	// Hidden are the sizes of the dense hidden layers (mlp; cnn after the
	// conv blocks).
	Hidden []int `yaml:"hidden,flow,omitempty" json:"hidden,omitempty"`
	// Channels are the output channels of the cnn's conv blocks (3×3 conv,
	// same padding, optional batch norm, relu, 2×2 max-pool).
	Channels []int `yaml:"channels,flow,omitempty" json:"channels,omitempty"`
	// Activation of the dense hidden layers: relu or tanh.
	Activation string `yaml:"activation" json:"activation,omitempty"`
	// Dropout is the drop probability after each dense hidden layer.
	Dropout float64 `yaml:"dropout" json:"dropout"`
	// BatchNorm adds batch normalization after each convolution.
	BatchNorm bool `yaml:"batch_norm" json:"batch_norm"`
}

// WithDefaults fills what s leaves empty with defaults that suit the input
// shape: small for the 8×8 digits, larger for 28×28 images and tabular data.
func (s Spec) WithDefaults(inputShape []int) Spec {
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
	}
	return s
}

// Validate reports a spec that cannot be built for the input shape, with a
// message a user can act on.
func (s Spec) Validate(inputShape []int) error {
	if !slices.Contains([]string{Linear, MLP, CNN}, s.Arch) {
		return setting.Errorf("model.arch", "must be linear, mlp or cnn, got %q", s.Arch)
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
	if s.Arch == CNN {
		if len(inputShape) != 3 {
			return setting.Errorf("model.arch", "cnn needs image input (C×H×W), got shape %v: use mlp for tabular data", inputShape)
		}
		h, w := inputShape[1], inputShape[2]
		for range s.Channels {
			if h < 2 || w < 2 {
				return setting.Errorf("model.channels", "has %d pooling blocks, too many for %d×%d images", len(s.Channels), inputShape[1], inputShape[2])
			}
			h, w = h/2, w/2
		}
	}
	return nil
}

func size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
