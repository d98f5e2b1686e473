package stats

import (
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// KNNPredict classifies each query row by a majority vote of its k most
// cosine-similar reference rows (ties go to the class with the larger
// summed similarity, then the smaller index).
func KNNPredict(ref []float32, refY []int, query []float32, dim, k, classes int) []int {
	n, q := len(ref)/dim, len(query)/dim
	k = min(k, n)
	r := unitRows(ref, dim)
	const block = 512
	pred := make([]int, q)
	votes := make([]int, classes)
	sims := make([]float64, classes)
	idx := make([]int, 0, k+1)
	for start := 0; start < q; start += block {
		b := min(block, q-start)
		qm := unitRows(query[start*dim:(start+b)*dim], dim)
		var s mat.Dense
		s.Mul(qm, r.T())
		for i := 0; i < b; i++ {
			row := s.RawRowView(i)
			top := topK(row, k, idx[:0])
			clear(votes)
			clear(sims)
			for _, j := range top {
				votes[refY[j]]++
				sims[refY[j]] += row[j]
			}
			best := 0
			for c := 1; c < classes; c++ {
				if votes[c] > votes[best] || votes[c] == votes[best] && sims[c] > sims[best] {
					best = c
				}
			}
			pred[start+i] = best
		}
	}
	return pred
}

// topK returns the indices of the k largest values of row, largest first
// (on ties the lower index first), in buf.
func topK(row []float64, k int, buf []int) []int {
	top := buf[:0]
	for j, v := range row {
		if len(top) == k && v <= row[top[k-1]] {
			continue
		}
		pos := len(top)
		for pos > 0 && v > row[top[pos-1]] {
			pos--
		}
		if len(top) < k {
			top = append(top, 0)
		}
		copy(top[pos+1:], top[pos:len(top)-1])
		top[pos] = j
	}
	return top
}

// unitRows copies rows into a float64 matrix scaled to unit length (zero
// rows stay zero).
func unitRows(x []float32, dim int) *mat.Dense {
	n := len(x) / dim
	out := mat.NewDense(n, dim, Float64s(x))
	for i := 0; i < n; i++ {
		row := out.RawRowView(i)
		// Summed in order rather than by floats.Dot, whose unrolled sum
		// rounds differently: neighbours at equal similarity would swap.
		var ss float64
		for _, v := range row {
			ss += v * v
		}
		if ss > 0 {
			floats.Scale(1/math.Sqrt(ss), row)
		}
	}
	return out
}
