package kernels

import "gorgonia.org/tensor"

// outBuf keeps an op's output tensor from one run of the graph to the next:
// a training step would otherwise allocate (and the kernel fault in) tens
// of megabytes of fresh memory per layer. Each node of a graph has its own
// op value, values are consumed within the run that makes them, and a graph
// is used by one goroutine, so reusing the tensor is safe. Every op using
// it writes every element of its output.
type outBuf struct{ t *tensor.Dense }

func (b *outBuf) get(dt tensor.Dtype, shape ...int) *tensor.Dense {
	if b.t != nil && b.t.Dtype() == dt && b.t.Shape().Eq(tensor.Shape(shape)) {
		return b.t
	}
	b.t = tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
	return b.t
}
