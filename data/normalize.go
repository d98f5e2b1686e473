package data

import (
	"fmt"
	"math"
)

// MinStd is the floor on a fitted standard deviation, so that a constant
// feature (the digits have three) maps to 0 instead of NaN or Inf.
const MinStd = 1e-6

// Normalization is a per-feature (tabular) or per-channel (image) affine
// transform x' = (x - Mean[g]) / Std[g], fitted on a training split and
// stored with a model so that serving applies exactly the same transform.
type Normalization struct {
	// Groups is the number of statistics: features for tabular data,
	// channels for images.
	Groups int `json:"groups"`
	// GroupSize is how many consecutive values of one example share a
	// statistic: 1 for tabular data, H*W for images.
	GroupSize int       `json:"group_size"`
	Mean      []float32 `json:"mean"`
	Std       []float32 `json:"std"`
}

// FitNormalization computes the statistics of d (in float64) with the
// standard deviation floored at MinStd.
func FitNormalization(d *Dataset) (*Normalization, error) {
	if d.Len() == 0 {
		return nil, fmt.Errorf("%s: cannot fit a normalization on no examples", d.Source)
	}
	groups, size := d.SampleSize(), 1
	if d.Kind == Image && len(d.Shape) == 3 {
		groups, size = d.Shape[0], d.Shape[1]*d.Shape[2]
	}
	sum := make([]float64, groups)
	sq := make([]float64, groups)
	s := d.SampleSize()
	for i := 0; i < d.Len(); i++ {
		row := d.X[i*s : (i+1)*s]
		for g := range sum {
			acc := sum[g]
			for _, v := range row[g*size : (g+1)*size] {
				acc += float64(v)
			}
			sum[g] = acc
		}
	}
	count := float64(d.Len() * size)
	mean := make([]float64, groups)
	for g := range mean {
		mean[g] = sum[g] / count
	}
	for i := 0; i < d.Len(); i++ {
		row := d.X[i*s : (i+1)*s]
		for g := range sq {
			acc, mg := sq[g], mean[g]
			for _, v := range row[g*size : (g+1)*size] {
				dv := float64(v) - mg
				acc += dv * dv
			}
			sq[g] = acc
		}
	}
	n := &Normalization{Groups: groups, GroupSize: size, Mean: make([]float32, groups), Std: make([]float32, groups)}
	for g := range mean {
		n.Mean[g] = float32(mean[g])
		n.Std[g] = float32(math.Max(math.Sqrt(sq[g]/count), MinStd))
	}
	return n, nil
}

// Check verifies that n fits examples of the given sample size.
func (n *Normalization) Check(sampleSize int) error {
	if n.Groups*n.GroupSize != sampleSize || len(n.Mean) != n.Groups || len(n.Std) != n.Groups {
		return fmt.Errorf("normalization for %d×%d values does not fit examples of %d values", n.Groups, n.GroupSize, sampleSize)
	}
	for g, s := range n.Std {
		if !(s > 0) || math.IsInf(float64(s), 0) || math.IsNaN(float64(n.Mean[g])) {
			return fmt.Errorf("normalization group %d has mean %v and std %v", g, n.Mean[g], s)
		}
	}
	return nil
}

// ApplyRows transforms a block of whole examples in place.
func (n *Normalization) ApplyRows(x []float32) {
	s := n.Groups * n.GroupSize
	for off := 0; off+s <= len(x); off += s {
		row := x[off : off+s]
		for g := 0; g < n.Groups; g++ {
			m, inv := n.Mean[g], 1/n.Std[g]
			seg := row[g*n.GroupSize : (g+1)*n.GroupSize]
			for k := range seg {
				seg[k] = (seg[k] - m) * inv
			}
		}
	}
}

// Apply transforms every example of d in place.
func (n *Normalization) Apply(d *Dataset) error {
	if err := n.Check(d.SampleSize()); err != nil {
		return fmt.Errorf("%s: %w", d.Source, err)
	}
	n.ApplyRows(d.X)
	return nil
}
