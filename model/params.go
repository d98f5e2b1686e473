package model

import (
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
	sts, err := spec.steps(inputShape, classes)
	if err != nil {
		return nil // callers validate the spec first
	}
	return planOf(sts)
}

// planOf lists the parameters of steps, depth first.
func planOf(sts []*step) []paramPlan {
	var ps []paramPlan
	for _, st := range flatSteps(sts) {
		ps = append(ps, st.params...)
	}
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
