package stats

import (
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// contingency counts the pairs (label, cluster).
func contingency(labels, clusters []int) (table [][]int, rows, cols []int) {
	nl, nc := 0, 0
	for i := range labels {
		nl, nc = max(nl, labels[i]+1), max(nc, clusters[i]+1)
	}
	table = make([][]int, nl)
	for i := range table {
		table[i] = make([]int, nc)
	}
	rows, cols = make([]int, nl), make([]int, nc)
	for i, l := range labels {
		table[l][clusters[i]]++
		rows[l]++
		cols[clusters[i]]++
	}
	return table, rows, cols
}

// Purity is the share of points whose cluster's most common label is
// their own.
func Purity(labels, clusters []int) float64 {
	table, _, cols := contingency(labels, clusters)
	hit := 0
	for c := range cols {
		best := 0
		for l := range table {
			best = max(best, table[l][c])
		}
		hit += best
	}
	return float64(hit) / float64(len(labels))
}

// NMI is the normalized mutual information of labels and clusters, with
// the arithmetic mean of the two entropies as normalizer (1 when both are
// a single group).
func NMI(labels, clusters []int) float64 {
	table, rows, cols := contingency(labels, clusters)
	n := float64(len(labels))
	var mi float64
	for l := range table {
		for c, k := range table[l] {
			if k > 0 {
				mi += float64(k) / n * math.Log(float64(k)*n/(float64(rows[l])*float64(cols[c])))
			}
		}
	}
	hl, hc := Entropy(rows), Entropy(cols)
	if hl == 0 && hc == 0 {
		return 1
	}
	return math.Max(0, mi/((hl+hc)/2))
}

// ARI is the adjusted Rand index of labels and clusters (Hubert and
// Arabie): 1 for identical partitions, about 0 for independent ones.
func ARI(labels, clusters []int) float64 {
	table, rows, cols := contingency(labels, clusters)
	pairs := func(k int) float64 { return float64(k) * float64(k-1) / 2 }
	var index, a, b float64
	for l := range table {
		for _, k := range table[l] {
			index += pairs(k)
		}
	}
	for _, k := range rows {
		a += pairs(k)
	}
	for _, k := range cols {
		b += pairs(k)
	}
	expected := a * b / pairs(len(labels))
	maxIndex := (a + b) / 2
	if maxIndex == expected {
		return 1
	}
	return (index - expected) / (maxIndex - expected)
}

// Silhouette is the mean silhouette (b-a)/max(a,b) of n rows of dim values
// under an assignment to k clusters, by Euclidean distance: a is a point's
// mean distance to the rest of its cluster, b the smallest mean distance to
// another cluster. A point alone in its cluster scores 0. It is quadratic
// in n: callers pass a subsample.
func Silhouette(x []float64, dim int, assign []int, k int) float64 {
	n := len(assign)
	if n < 2 {
		return 0
	}
	all := mat.NewDense(n, dim, x)
	norms := make([]float64, n)
	for i := range norms {
		r := all.RawRowView(i)
		norms[i] = dot(r, r)
	}
	sizes := make([]int, k)
	for _, c := range assign {
		sizes[c]++
	}
	const block = 256
	sums := make([]float64, k)
	var total float64
	for start := 0; start < n; start += block {
		b := min(block, n-start)
		var g mat.Dense
		g.Mul(all.Slice(start, start+b, 0, dim), all.T())
		for i := 0; i < b; i++ {
			gi := g.RawRowView(i)
			clear(sums)
			p := start + i
			for j := 0; j < n; j++ {
				if j != p {
					sums[assign[j]] += math.Sqrt(math.Max(norms[p]+norms[j]-2*gi[j], 0))
				}
			}
			own := assign[p]
			if sizes[own] < 2 {
				continue
			}
			a := sums[own] / float64(sizes[own]-1)
			bd := math.Inf(1)
			for c := 0; c < k; c++ {
				if c != own && sizes[c] > 0 {
					bd = math.Min(bd, sums[c]/float64(sizes[c]))
				}
			}
			if math.IsInf(bd, 1) {
				continue
			}
			if m := math.Max(a, bd); m > 0 {
				total += (bd - a) / m
			}
		}
	}
	return total / float64(n)
}

func dot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// Entropy is the entropy (nats) of the distribution the counts give; 0
// when they are all zero.
func Entropy(counts []int) float64 {
	total := 0
	for _, k := range counts {
		total += k
	}
	if total == 0 {
		return 0
	}
	p := make([]float64, len(counts))
	for i, k := range counts {
		p[i] = float64(k) / float64(total)
	}
	return stat.Entropy(p)
}
