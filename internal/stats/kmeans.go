package stats

import (
	"math"
	"math/rand/v2"
)

// KMeansResult is the best of several seeded k-means++ runs.
type KMeansResult struct {
	Assign []int
	// Centers is k×dim, row-major.
	Centers []float64
	// Inertia is the sum of squared distances to the assigned centres.
	Inertia    float64
	Iterations int
}

// KMeans clusters n rows of dim values (row-major) into k clusters:
// k-means++ seeding then Lloyd iterations until no assignment changes (at
// most maxIter), restarted restarts times from one seeded generator; the
// run with the lowest inertia wins.
func KMeans(x []float64, dim, k int, seed uint64, restarts, maxIter int) KMeansResult {
	n := len(x) / dim
	k = min(k, n)
	rng := rand.New(rand.NewPCG(seed, 0x6b6d65616e73)) // "kmeans"
	best := KMeansResult{Inertia: math.Inf(1)}
	for range max(restarts, 1) {
		r := kmeansOnce(x, n, dim, k, rng, maxIter)
		if r.Inertia < best.Inertia {
			best = r
		}
	}
	return best
}
func kmeansOnce(x []float64, n, dim, k int, rng *rand.Rand, maxIter int) KMeansResult {
	row := func(i int) []float64 { return x[i*dim : (i+1)*dim] }
	centers := make([]float64, k*dim)
	// k-means++: each new centre is drawn with probability proportional to
	// the squared distance to the nearest centre so far.
	copy(centers[:dim], row(rng.IntN(n)))
	d2 := make([]float64, n)
	for i := range d2 {
		d2[i] = sqDist(row(i), centers[:dim])
	}
	for c := 1; c < k; c++ {
		var total float64
		for _, v := range d2 {
			total += v
		}
		pick := n - 1
		if total > 0 {
			u := rng.Float64() * total
			for i, v := range d2 {
				if u -= v; u < 0 {
					pick = i
					break
				}
			}
		} else {
			pick = rng.IntN(n)
		}
		copy(centers[c*dim:(c+1)*dim], row(pick))
		for i := range d2 {
			d2[i] = math.Min(d2[i], sqDist(row(i), centers[c*dim:(c+1)*dim]))
		}
	}
	assign := make([]int, n)
	for i := range assign {
		assign[i] = -1
	}
	counts := make([]int, k)
	iters := 0
	for iters < maxIter {
		iters++
		changed := false
		for i := 0; i < n; i++ {
			bc, bd := 0, math.Inf(1)
			for c := 0; c < k; c++ {
				if d := sqDist(row(i), centers[c*dim:(c+1)*dim]); d < bd {
					bc, bd = c, d
				}
			}
			if assign[i] != bc {
				assign[i], changed = bc, true
			}
			d2[i] = bd
		}
		if !changed {
			break
		}
		clear(centers)
		clear(counts)
		for i, c := range assign {
			counts[c]++
			for j, v := range row(i) {
				centers[c*dim+j] += v
			}
		}
		for c := 0; c < k; c++ {
			if counts[c] == 0 {
				// An empty cluster takes the point farthest from its centre.
				far := 0
				for i := range d2 {
					if d2[i] > d2[far] {
						far = i
					}
				}
				copy(centers[c*dim:(c+1)*dim], row(far))
				d2[far] = 0
				continue
			}
			for j := 0; j < dim; j++ {
				centers[c*dim+j] /= float64(counts[c])
			}
		}
	}
	var inertia float64
	for i, c := range assign {
		inertia += sqDist(row(i), centers[c*dim:(c+1)*dim])
	}
	return KMeansResult{Assign: assign, Centers: centers, Inertia: inertia, Iterations: iters}
}

func sqDist(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		d := v - b[i]
		s += d * d
	}
	return s
}
