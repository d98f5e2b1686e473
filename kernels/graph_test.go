package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// graphInput is an input of a test graph: its shape and values (float64
// values that float32 represents exactly, so that both dtypes see the same
// numbers).
type graphInput struct {
	shape []int
	data  []float64
}

func randInput(rng *rand.Rand, shape ...int) graphInput {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return graphInput{shape: shape, data: to64(randVec(rng, n))}
}

// lossGraph is the graph of sum(r ⊙ f(inputs)) in one dtype,
// differentiated with respect to every input, on a TapeMachine: the
// gradient of the loss with respect to f's output is r.
type lossGraph struct {
	t       *testing.T
	vm      G.VM
	ins     []*G.Node
	vals    []*tensor.Dense
	out     *G.Node
	grads   G.Nodes
	r       []float64
	outVal  G.Value
	costVal G.Value
}

// newLossGraph builds the graph; rFor gives r for the output's size.
func newLossGraph(t *testing.T, dt tensor.Dtype, f func(in ...*G.Node) (*G.Node, error), rFor func(n int) []float64, args ...graphInput) *lossGraph {
	t.Helper()
	g := G.NewGraph()
	lg := &lossGraph{t: t}
	for i, a := range args {
		v := tensor.New(tensor.WithShape(a.shape...), tensor.WithBacking(convert(dt, a.data)))
		lg.vals = append(lg.vals, v)
		lg.ins = append(lg.ins, G.NewTensor(g, dt, len(a.shape), G.WithShape(a.shape...), G.WithName(string(rune('a'+i))), G.WithValue(v)))
	}
	out, err := f(lg.ins...)
	if err != nil {
		t.Fatal(err)
	}
	lg.out = out
	lg.r = rFor(out.Shape().TotalSize())
	rn := G.NewTensor(g, dt, out.Dims(), G.WithShape(out.Shape()...), G.WithName("r"), G.WithValue(tensor.New(tensor.WithShape(out.Shape()...), tensor.WithBacking(convert(dt, lg.r)))))
	prod, err := G.HadamardProd(out, rn)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := G.Sum(prod)
	if err != nil {
		t.Fatal(err)
	}
	if lg.grads, err = G.Grad(cost, lg.ins...); err != nil {
		t.Fatal(err)
	}
	G.Read(out, &lg.outVal)
	G.Read(cost, &lg.costVal)
	lg.vm = G.NewTapeMachine(g)
	t.Cleanup(func() { lg.vm.Close() })
	return lg
}

func convert(dt tensor.Dtype, v []float64) any {
	if dt == tensor.Float32 {
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(x)
		}
		return out
	}
	return append([]float64(nil), v...)
}

// run runs the graph once and returns the loss.
func (lg *lossGraph) run() float64 {
	lg.t.Helper()
	if err := lg.vm.RunAll(); err != nil {
		lg.t.Fatal(err)
	}
	lg.vm.Reset()
	return toFloats(lg.costVal.Data())[0]
}

// output is f's output of the last run.
func (lg *lossGraph) output() []float64 { return toFloats(lg.outVal.Data()) }

// grad is the loss's gradient with respect to input i of the last run.
func (lg *lossGraph) grad(i int) []float64 {
	return toFloats(lg.grads[i].Value().Data())
}

// set changes element j of input i for the next run.
func (lg *lossGraph) set(i, j int, v float64) {
	switch d := lg.vals[i].Data().(type) {
	case []float32:
		d[j] = float32(v)
	case []float64:
		d[j] = v
	}
}

// toFloats copies float32 or float64 values (or a scalar) to float64,
// exactly.
func toFloats(d any) []float64 {
	switch d := d.(type) {
	case []float32:
		return to64(d)
	case []float64:
		return append([]float64(nil), d...)
	case float32:
		return []float64{float64(d)}
	case float64:
		return []float64{d}
	}
	panic("not float data")
}

// checkFiniteDifferences compares the gradients of a float64 graph with
// central differences of its loss, element by element of every input.
func checkFiniteDifferences(t *testing.T, lg *lossGraph, names []string) {
	t.Helper()
	const eps, tol = 1e-6, 1e-6
	for i := range lg.ins {
		lg.run() // the gradient at the unperturbed point
		analytic := lg.grad(i)
		x := lg.vals[i].Data().([]float64)
		for j, orig := range x {
			lg.set(i, j, orig+eps)
			up := lg.run()
			lg.set(i, j, orig-eps)
			down := lg.run()
			lg.set(i, j, orig)
			num := (up - down) / (2 * eps)
			if math.Abs(num-analytic[j]) > tol*max(1, math.Abs(num)) {
				t.Fatalf("d/d%s[%d]: analytic %v, central difference %v", names[i], j, analytic[j], num)
			}
		}
	}
}

// rng64 returns r for a loss graph: n normal values from a fixed seed,
// exact in float32.
func rng64(seed uint64) func(n int) []float64 {
	return func(n int) []float64 { return to64(randVec(rand.New(rand.NewPCG(seed, seed)), n)) }
}

// sameBits reports the first index where a and b (float32 values held in
// float64, exactly) differ in their bits, or -1.
func sameBits(a, b []float64) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return i
		}
	}
	return -1
}

// noPanic runs f and turns a panic into a test failure naming what ran.
func noPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s panicked: %v", what, r)
		}
	}()
	f()
}
