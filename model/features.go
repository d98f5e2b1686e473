package model

import (
	"fmt"
)

// Features returns, in eval mode, the activations that enter the model's
// output layer (flattened) for the n examples in x, row-major, n×dim. The
// feasibility tests use them as the embedding of an untrained network.
//
// It builds a forward-only graph once per call over the same weights: the
// model's layers without the output layer. A model whose output layer
// reads the input directly (linear) has no features and returns an error.
func (m *Model) Features(x []float32) (feats []float32, dim int, err error) {
	last := len(m.steps) - 1
	sts := m.steps[:last]
	if len(planOf(sts)) == 0 {
		return nil, 0, fmt.Errorf("a %s model has no hidden layer to take features from", m.Spec.Arch)
	}
	s := size(m.InputShape)
	if len(x)%s != 0 {
		return nil, 0, fmt.Errorf("%d feature values are not whole examples of %d", len(x), s)
	}
	n := len(x) / s
	in := m.steps[last].in
	dim = size(in)
	if len(in) > 1 {
		sts = append(sts[:last:last], &step{layer: Layer{Type: Flatten}, index: fmt.Sprint(last), in: in, out: []int{dim}})
	}
	batch := min(max(n, 1), 256)
	gr, err := buildGraph(sts, m.InputShape, dim, m.params, m.dtype, batch, false, false)
	if err != nil {
		return nil, 0, err
	}
	defer gr.vm.Close()
	for i, sp := range m.statParams() {
		if err := gr.bnOps[i].SetStats(sp[0].value, sp[1].value); err != nil {
			return nil, 0, fmt.Errorf("batch norm %d: %w", i, err)
		}
	}
	feats = make([]float32, n*dim)
	for start := 0; start < n; start += batch {
		k := min(batch, n-start)
		fill(gr.xT, x[start*s:(start+k)*s])
		if err := gr.run(); err != nil {
			return nil, 0, err
		}
		if err := copyLogits(feats[start*dim:(start+k)*dim], gr.logitsVal); err != nil {
			return nil, 0, err
		}
	}
	return feats, dim, nil
}
