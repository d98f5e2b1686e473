package model

import "fmt"

// MaxInputValues bounds the values of one example an input shape may
// describe (a billion: 4 GiB per example in float32). Together with the
// per-setting bounds of Spec.Validate it keeps every size MemoryEstimate
// computes far from overflowing int64.
const MaxInputValues = 1 << 30

// CheckInputShape reports an input shape that no model can be built for:
// no dimensions, a dimension below 1, or more than MaxInputValues values,
// computed without overflowing.
func CheckInputShape(shape []int) error {
	if len(shape) == 0 || len(shape) > maxDims {
		return fmt.Errorf("input shape %v: want 1 to %d dimensions", shape, maxDims)
	}
	n := 1
	for _, d := range shape {
		if d < 1 {
			return fmt.Errorf("input shape %v: dimension %d is below 1", shape, d)
		}
		// Divide rather than multiply, so that huge dimensions cannot wrap
		// round to a small product.
		if d > MaxInputValues/n {
			return fmt.Errorf("input shape %v: more than %d values per example", shape, MaxInputValues)
		}
		n *= d
	}
	return nil
}

// CheckBuild reports whether the model the header of c describes (spec,
// input shape, classes) can be built from c and within maxBytes, without
// building it: the shape and spec must be valid, every parameter the
// model would allocate must be among c's tensors with its exact shape,
// and model.EstimateMemory of the model built for evaluation (a training
// batch of 1, no optimizer) must not exceed maxBytes (0 or less: no
// bound). The parameters the model allocates are then no larger than the
// file that holds them, and a header that describes a huge model over
// small tensors is refused before any allocation: building first would
// cost the huge model's memory (or end the process, which no recover
// catches) only to find the mismatch afterwards.
func (c *Checkpoint) CheckBuild(maxBytes int64) error {
	shape, classes := c.Input.Shape, len(c.Classes)
	if err := CheckInputShape(shape); err != nil {
		return err
	}
	if classes < 2 {
		return fmt.Errorf("a classifier needs at least 2 classes, the header names %d", classes)
	}
	describe := func() string {
		s := fmt.Sprintf("%s, input %v, %d classes", c.Spec.Arch, shape, classes)
		switch c.Spec.Arch {
		case CNN:
			s += ", channels " + brief(c.Spec.Channels) + ", hidden " + brief(c.Spec.Hidden)
		case MLP:
			s += ", hidden " + brief(c.Spec.Hidden)
		case ResNet:
			s += ", channels " + brief(c.Spec.Channels)
		case Custom:
			s += fmt.Sprintf(", %d layers", countLayers(c.Spec.Layers))
		}
		return s
	}
	// Counted before anything else looks at the layers, so that a header
	// listing millions of them is refused without going through them.
	if n := planCount(c.Spec); n > len(c.Tensors) {
		return fmt.Errorf("the header's model (%s) has %d parameter tensors, the file holds %d tensors", describe(), n, len(c.Tensors))
	}
	if err := c.Spec.Validate(shape); err != nil {
		return err
	}
	byName := make(map[string]*Tensor, len(c.Tensors))
	for i := range c.Tensors {
		byName[c.Tensors[i].Name] = &c.Tensors[i]
	}
	for _, p := range plan(c.Spec, shape, classes) {
		t, ok := byName[p.name]
		switch {
		case !ok:
			return fmt.Errorf("the header's model (%s) has parameter %s %v, which the file lacks", describe(), p.name, p.shape)
		case !equalShape(t.Shape, p.shape):
			return fmt.Errorf("the header's model (%s) has parameter %s of shape %v, the file's is %v", describe(), p.name, p.shape, t.Shape)
		}
	}
	if maxBytes <= 0 {
		return nil
	}
	e, err := EstimateMemory(c.Spec, shape, classes, 1, 0)
	if err != nil {
		return err
	}
	if e.Bytes() > maxBytes {
		return fmt.Errorf("the header's model (%s) is estimated to need %.1f GiB to evaluate, more than the %.1f GiB allowed (mostly %s)",
			describe(), gib(e.Bytes()), gib(maxBytes), e.Driver())
	}
	return nil
}

// planCount is a lower bound of len(plan(spec, ...)), counted without
// inferring any shape (a residual block's projection, which depends on
// them, is not counted).
func planCount(spec Spec) int {
	if len(spec.Layers) == 0 && spec.Arch != Custom {
		n := 2 // out.weight, out.bias
		if spec.Arch == CNN {
			per := 2 // weight, bias
			if spec.BatchNorm {
				per = 5 // weight, scale, shift, two running statistics; no bias
			}
			n += per * len(spec.Channels)
		}
		if spec.Arch == ResNet {
			// stem conv and batch norm, and per block two of each
			n += 5 + 10*resNetBlocksPerStage*len(spec.Channels)
		}
		if spec.Arch == MLP || spec.Arch == CNN {
			n += 2 * len(spec.Hidden)
		}
		return n
	}
	return 2 + layerParamCount(spec.Layers)
}

// layerParamCount counts the parameter tensors of ls (projections aside),
// the dense layer that ends a list as if it were the implied output layer.
func layerParamCount(ls []Layer) int {
	n := 0
	for i, l := range ls {
		switch l.Type {
		case Conv2D, Dense:
			if l.Type == Dense && i == len(ls)-1 {
				n -= 2 // it is the output layer, counted by the caller
			}
			n++
			if l.hasBias() {
				n++
			}
		case BatchNorm:
			n += 4
		case LayerNorm:
			n += 2
		case Residual:
			n += layerParamCount(l.Layers)
			if k := len(l.Layers); k > 0 && l.Layers[k-1].Type == Dense {
				n += 2 // a block's last dense layer is not an output layer
			}
		}
	}
	return n
}

// brief prints a list of sizes, eliding all but the first few of a long
// one so that a message stays one readable line.
func brief(xs []int) string {
	const keep = 8
	if len(xs) <= keep {
		return fmt.Sprint(xs)
	}
	return fmt.Sprintf("%v… (%d in all)", xs[:keep], len(xs))
}

func gib(b int64) float64 { return float64(b) / (1 << 30) }
