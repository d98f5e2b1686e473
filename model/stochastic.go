package model

import (
	"errors"
	"fmt"
	"math/rand/v2"
)

// StochasticLogits evaluates n examples (row-major in x) like Logits, but
// with dropout on, for MC dropout: every dense hidden unit is dropped with
// probability Spec.Dropout and the kept ones scaled by 1/(1 − Dropout), as
// in training, with masks drawn from rng example by example (layer by
// layer, unit by unit), so that the result does not depend on how the
// examples are batched. It writes n×Classes logits into out.
//
// It runs a third graph over the same weights, built on first use: the
// evaluation graph plus dropout masks. It is forward-only (no loss, no
// gradients), so the training graph's gradients and state are untouched,
// and batch norm uses its running statistics (eval mode) rather than the
// batch's, as training would: examples do not interact and dropout is the
// only randomness. A model without dropout returns an error.
func (m *Model) StochasticLogits(x []float32, rng *rand.Rand, out []float32) error {
	if !m.hasDropout() {
		return errors.New("the model has no dropout layer (model.dropout is 0, there is no dense hidden layer, or model.layers has no dropout with p > 0): MC dropout needs one")
	}
	n, err := m.examples(x, out)
	if err != nil {
		return err
	}
	s := size(m.InputShape)
	if m.stoch == nil {
		gr, err := buildGraph(m.steps, m.InputShape, m.Classes, m.params, m.dtype, m.eval.batch, false, true)
		if err != nil {
			return err
		}
		m.stoch = gr
	}
	gr := m.stoch
	for i, sp := range m.statParams() {
		if err := gr.bnOps[i].SetStats(sp[0].value, sp[1].value); err != nil {
			return fmt.Errorf("batch norm %d: %w", i, err)
		}
	}
	for start := 0; start < n; start += gr.batch {
		k := min(gr.batch, n-start)
		fill(gr.xT, x[start*s:(start+k)*s])
		for r := range gr.batch {
			for i, mt := range gr.maskT {
				p := gr.maskP[i]
				keep := 1 / (1 - p)
				units := mt.Shape().TotalSize() / gr.batch
				for u := range units {
					v := keep
					if r < k && rng.Float64() < p {
						v = 0
					}
					set(mt, r*units+u, v)
				}
			}
		}
		if err := gr.run(); err != nil {
			return err
		}
		if err := copyLogits(out[start*m.Classes:(start+k)*m.Classes], gr.logitsVal); err != nil {
			return err
		}
	}
	return nil
}

// hasDropout tells whether the model has a dropout layer that drops.
func (m *Model) hasDropout() bool {
	for _, st := range flatSteps(m.steps) {
		if st.layer.Type == Dropout && st.layer.P > 0 {
			return true
		}
	}
	return false
}
