package drift

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// MMDResult is the outcome of the permutation MMD test.
type MMDResult struct {
	// MMD2 is the unbiased MMD² estimate, Bandwidth the kernel's σ, P the
	// share of permutations whose MMD² is at least MMD2, Null their values.
	MMD2, Bandwidth, P float64
	Null               []float64
}

// MMDTest compares x (n×dim) with y (m×dim), row-major, by the unbiased
// MMD² with the Gaussian kernel exp(-‖a-b‖²/(2σ²)), σ² half the median
// squared distance between distinct pairs of the pooled sample (the
// median heuristic), and a p-value from perms random relabellings of the
// pooled sample drawn with seed, as alibi-detect's MMDDrift does.
func MMDTest(x, y []float64, dim, perms int, seed uint64) (MMDResult, error) {
	if dim <= 0 || len(x)%dim != 0 || len(y)%dim != 0 || len(x) < 2*dim || len(y) < 2*dim {
		return MMDResult{}, fmt.Errorf("MMD needs at least two examples of %d values on each side, got %d and %d values", dim, len(x), len(y))
	}
	n, m := len(x)/dim, len(y)/dim
	pooled := append(append([]float64(nil), x...), y...)
	sq := squaredDistances(pooled, dim)
	N := n + m
	var off []float64
	for i := range N {
		off = append(off, sq[i*N+i+1:(i+1)*N]...)
	}
	med := Median(off)
	if !(med > 0) {
		// Every example the same: any bandwidth gives MMD² 0.
		med = 1
	}
	k := make([]float64, len(sq))
	for i, v := range sq {
		k[i] = math.Exp(-v / med)
	}
	order := make([]int, N)
	for i := range order {
		order[i] = i
	}
	res := MMDResult{MMD2: mmd2(k, N, order, n), Bandwidth: math.Sqrt(med / 2)}
	rng := rand.New(rand.NewPCG(seed, 0x6d6d64))
	res.Null = make([]float64, perms)
	above := 0
	for p := range perms {
		perm := slices.Clone(order)
		rng.Shuffle(N, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		res.Null[p] = mmd2(k, N, perm, n)
		if res.Null[p] >= res.MMD2 {
			above++
		}
	}
	if perms > 0 {
		res.P = float64(above) / float64(perms)
	} else {
		res.P = math.NaN()
	}
	return res, nil
}

// squaredDistances is the N×N matrix of squared Euclidean distances
// between the rows of x.
func squaredDistances(x []float64, dim int) []float64 {
	N := len(x) / dim
	out := make([]float64, N*N)
	for i := range N {
		a := x[i*dim : (i+1)*dim]
		for j := i + 1; j < N; j++ {
			b := x[j*dim : (j+1)*dim]
			s := 0.0
			for t := range a {
				d := a[t] - b[t]
				s += d * d
			}
			out[i*N+j], out[j*N+i] = s, s
		}
	}
	return out
}

// mmd2 is the unbiased MMD² of the kernel matrix k (N×N) between the
// examples order[:n] and order[n:], the diagonal left out of the
// within-sample means.
func mmd2(k []float64, N int, order []int, n int) float64 {
	m := N - n
	var xx, yy, xy float64
	for a, i := range order {
		row := k[i*N : (i+1)*N]
		for b, j := range order {
			if a == b {
				continue
			}
			switch {
			case a < n && b < n:
				xx += row[j]
			case a >= n && b >= n:
				yy += row[j]
			case a < n:
				xy += row[j]
			}
		}
	}
	return xx/float64(n*(n-1)) + yy/float64(m*(m-1)) - 2*xy/float64(n*m)
}
