package model

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gorgonia.org/tensor"
)

// Param is one named tensor of a model: a learnable weight (with a gradient)
// or a batch-norm running statistic (without one).
type Param struct {
	Name  string
	Shape []int
	// value is the tensor both graphs read; optimizers update its data in
	// place through Float32s. It stays unexported so that gorgonia's types
	// do not leak out of this package.
	value *tensor.Dense
	// Learnable is false for running statistics.
	Learnable bool
	// Frozen parameters are kept fixed while fine-tuning: optimizers skip
	// them, and a frozen batch-norm layer's running statistics are not
	// updated either (see Model.Freeze).
	Frozen bool
}

// Float32s returns the values of a float32 parameter (a view).
func (p *Param) Float32s() []float32 { return p.value.Data().([]float32) }

// paramPlan lists the parameters of a spec in a fixed order (the order an
// optimizer's state is indexed by) with how each is initialized.
type paramPlan struct {
	name      string
	shape     []int
	fanIn     int
	init      string // "he", "glorot", "small", "zeros", "ones"
	fanOut    int
	learnable bool
}

func plan(spec Spec, inputShape []int, classes int) []paramPlan {
	var ps []paramPlan
	add := func(p paramPlan) { ps = append(ps, p) }
	in := size(inputShape)
	hiddenInit := "he"
	if spec.Activation == "tanh" {
		hiddenInit = "glorot"
	}
	if spec.Arch == CNN {
		c, h, w := inputShape[0], inputShape[1], inputShape[2]
		for i, out := range spec.Channels {
			add(paramPlan{name: fmt.Sprintf("conv%d.weight", i), shape: []int{out, c, 3, 3}, fanIn: c * 9, fanOut: out * 9, init: "he", learnable: true})
			if spec.BatchNorm {
				add(paramPlan{name: fmt.Sprintf("bn%d.scale", i), shape: []int{1, out, 1, 1}, init: "ones", learnable: true})
				add(paramPlan{name: fmt.Sprintf("bn%d.shift", i), shape: []int{1, out, 1, 1}, init: "zeros", learnable: true})
				add(paramPlan{name: fmt.Sprintf("bn%d.running_mean", i), shape: []int{out}, init: "zeros"})
				add(paramPlan{name: fmt.Sprintf("bn%d.running_var", i), shape: []int{out}, init: "ones"})
			} else {
				add(paramPlan{name: fmt.Sprintf("conv%d.bias", i), shape: []int{1, out, 1, 1}, init: "zeros", learnable: true})
			}
			c, h, w = out, h/2, w/2
		}
		in = c * h * w
	}
	if spec.Arch != Linear {
		for i, out := range spec.Hidden {
			add(paramPlan{name: fmt.Sprintf("dense%d.weight", i), shape: []int{in, out}, fanIn: in, fanOut: out, init: hiddenInit, learnable: true})
			add(paramPlan{name: fmt.Sprintf("dense%d.bias", i), shape: []int{1, out}, init: "zeros", learnable: true})
			in = out
		}
	}
	add(paramPlan{name: "out.weight", shape: []int{in, classes}, fanIn: in, fanOut: classes, init: "small", learnable: true})
	add(paramPlan{name: "out.bias", shape: []int{1, classes}, init: "zeros", learnable: true})
	return ps
}

// newParams allocates and initializes the parameters of a plan from a
// seeded generator (gorgonia's initializers use an unseeded global one).
// A float32 model's values are drawn straight into float32: a float64
// copy of each tensor first would double the memory of its largest layer
// while it is built, which MemoryEstimate does not count.
func newParams(pl []paramPlan, dt tensor.Dtype, seed uint64) []*Param {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	out := make([]*Param, len(pl))
	for i, p := range pl {
		n := size(p.shape)
		var bound, fill float64
		switch p.init {
		case "he":
			bound = math.Sqrt(6 / float64(p.fanIn))
		case "glorot":
			bound = math.Sqrt(6 / float64(p.fanIn+p.fanOut))
		case "small":
			bound = 1 / math.Sqrt(float64(p.fanIn))
		case "ones":
			fill = 1
		}
		draw := func() float64 {
			if bound > 0 {
				return (2*rng.Float64() - 1) * bound
			}
			return fill
		}
		var t *tensor.Dense
		if dt == tensor.Float64 {
			vals := make([]float64, n)
			for k := range vals {
				vals[k] = draw()
			}
			t = tensor.New(tensor.WithShape(p.shape...), tensor.WithBacking(vals))
		} else {
			f := make([]float32, n)
			for k := range f {
				f[k] = float32(draw())
			}
			t = tensor.New(tensor.WithShape(p.shape...), tensor.WithBacking(f))
		}
		out[i] = &Param{Name: p.name, Shape: append([]int(nil), p.shape...), value: t, Learnable: p.learnable}
	}
	return out
}
