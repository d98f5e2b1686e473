package model

import (
	"fmt"
	"math"
)

// Features returns, in eval mode, the activations of the model's last
// hidden layer (the input of its output layer) for the n examples in x,
// row-major, n×dim. The feasibility tests use them as the embedding of an
// untrained network.
//
// It builds a forward-only graph once per call, reusing buildGraph: the
// last hidden layer's weights stand in for the output layer of a model one
// hidden layer shorter (same weight tensors, renamed), and its activation
// is applied here. A linear model has no hidden layer and returns error.
func (m *Model) Features(x []float32) (feats []float32, dim int, err error) {
	hidden := m.Spec.Hidden
	if m.Spec.Arch == Linear || len(hidden) == 0 {
		return nil, 0, fmt.Errorf("a %s model with hidden layers %v has no hidden layer to take features from", m.Spec.Arch, hidden)
	}
	s := size(m.InputShape)
	if len(x)%s != 0 {
		return nil, 0, fmt.Errorf("%d feature values are not whole examples of %d", len(x), s)
	}
	n := len(x) / s
	last := len(hidden) - 1
	dim = hidden[last]
	short := m.Spec
	short.Hidden = hidden[:last]
	short.Dropout = 0
	rename := map[string]string{
		fmt.Sprintf("dense%d.weight", last): "out.weight",
		fmt.Sprintf("dense%d.bias", last):   "out.bias",
	}
	var params []*Param
	for _, p := range m.params {
		if p.Name == "out.weight" || p.Name == "out.bias" {
			continue
		}
		q := *p
		if to, ok := rename[p.Name]; ok {
			q.Name = to
		}
		params = append(params, &q)
	}
	batch := min(max(n, 1), 256)
	gr, err := buildGraph(short, m.InputShape, dim, params, m.dtype, batch, false, false)
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
		dst := feats[start*dim : (start+k)*dim]
		switch d := gr.logitsVal.Data().(type) {
		case []float32:
			copy(dst, d)
		case []float64:
			for j := range dst {
				dst[j] = float32(d[j])
			}
		default:
			return nil, 0, fmt.Errorf("features are %T, not float32", d)
		}
	}
	for j, v := range feats {
		if m.Spec.Activation == "tanh" {
			feats[j] = float32(math.Tanh(float64(v)))
		} else if v < 0 {
			feats[j] = 0
		}
	}
	return feats, dim, nil
}
