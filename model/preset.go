package model

// expand returns the layer list a preset stands for on inputs of
// inputShape (s has its defaults filled in). The lists build exactly the
// graphs and parameters the presets built before layer lists existed, so
// that their checkpoints load and their runs repeat bit for bit:
//
//   - linear: flatten (images), then the output layer;
//   - mlp: flatten (images), then per hidden size a dense layer, the
//     activation and dropout (when model.dropout > 0);
//   - cnn: per channel count a 3×3 convolution (no bias under batch norm),
//     batch norm (model.batch_norm), relu and a 2×2 max-pool; flatten;
//     then the mlp's dense layers;
//   - resnet: a 3×3 convolution stem with batch norm and relu (and a 2×2
//     max-pool on inputs of 16 pixels or more a side), then per channel
//     count a stage of two residual blocks (3×3 convolution, batch norm,
//     relu, 3×3 convolution, batch norm, then relu after the sum; the
//     first block of every stage after the first halves the resolution
//     with a stride-2 convolution, its input projected by a strided 1×1
//     convolution), global average pooling, dropout (when model.dropout
//     > 0).
func expand(s Spec, inputShape []int) []Layer {
	no, yes := false, true
	var ls []Layer
	if s.Arch == ResNet {
		c0 := s.Channels[0]
		ls = append(ls, Layer{Type: Conv2D, Filters: c0, Bias: &no}, Layer{Type: BatchNorm}, Layer{Type: ReLU})
		if len(inputShape) == 3 && inputShape[1] >= 16 && inputShape[2] >= 16 {
			ls = append(ls, Layer{Type: MaxPool, Size: 2, Stride: 2})
		}
		for si, c := range s.Channels {
			for b := range resNetBlocksPerStage {
				stride := 1
				if si > 0 && b == 0 {
					stride = 2
				}
				ls = append(ls, Layer{Type: Residual, Layers: []Layer{
					{Type: Conv2D, Filters: c, Stride: stride, Bias: &no},
					{Type: BatchNorm},
					{Type: ReLU},
					{Type: Conv2D, Filters: c, Bias: &no},
					{Type: BatchNorm},
				}}, Layer{Type: ReLU})
			}
		}
		ls = append(ls, Layer{Type: GlobalAvgPool})
		if s.Dropout > 0 {
			ls = append(ls, Layer{Type: Dropout, P: s.Dropout})
		}
		return withDefaultsAll(ls)
	}
	if s.Arch == CNN {
		for _, c := range s.Channels {
			ls = append(ls, Layer{Type: Conv2D, Filters: c, Kernel: 3, Stride: 1, Padding: "same", Bias: &yes})
			if s.BatchNorm {
				ls[len(ls)-1].Bias = &no
				ls = append(ls, Layer{Type: BatchNorm})
			}
			ls = append(ls, Layer{Type: ReLU}, Layer{Type: MaxPool, Size: 2, Stride: 2})
		}
	}
	if len(inputShape) > 1 {
		ls = append(ls, Layer{Type: Flatten})
	}
	if s.Arch != Linear {
		act := ReLU
		if s.Activation == "tanh" {
			act = Tanh
		}
		for _, h := range s.Hidden {
			ls = append(ls, Layer{Type: Dense, Units: h}, Layer{Type: act})
			if s.Dropout > 0 {
				ls = append(ls, Layer{Type: Dropout, P: s.Dropout})
			}
		}
	}
	return withDefaultsAll(ls)
}

// resNetBlocksPerStage is the resnet preset's residual blocks per stage.
const resNetBlocksPerStage = 2

func withDefaultsAll(ls []Layer) []Layer {
	out := make([]Layer, len(ls))
	for i, l := range ls {
		out[i] = l.withDefaults()
	}
	return out
}
