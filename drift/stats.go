package drift

import (
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// exactKSCells bounds n·m for the exact Kolmogorov-Smirnov p-value, whose
// recursion costs n·m steps; above it the limiting distribution is as
// good to the third decimal and far cheaper.
const exactKSCells = 10_000_000

// KS returns the two-sample Kolmogorov-Smirnov statistic D (the largest
// distance between the two empirical CDFs) and its two-sided p-value.
// Both samples must be non-empty.
func KS(ref, cur []float64) (d, p float64) {
	a, b := sorted(ref), sorted(cur)
	d = stat.KolmogorovSmirnov(a, nil, b, nil)
	n, m := len(a), len(b)
	if n*m <= exactKSCells {
		return d, math.Min(1, math.Max(0, 1-smirnovCDF(d, n, m)))
	}
	return d, kolmogorovTail(math.Sqrt(float64(n*m)/float64(n+m)) * d)
}

// smirnovCDF is P(D < d) for samples of n and m without ties: the share
// of the monotone lattice paths from (0,0) to (n,m) that keep
// |i/n - j/m| < d, counted with weights that keep every cell at most 1
// (R's psmirnov2x).
func smirnovCDF(d float64, n, m int) float64 {
	if m > n {
		n, m = m, n
	}
	md, nd := float64(m), float64(n)
	// q is d rounded down to the lattice's resolution, so that float noise
	// in d does not move a path across the boundary.
	q := (0.5 + math.Floor(d*md*nd-1e-7)) / (md * nd)
	u := make([]float64, n+1)
	for j := range u {
		if float64(j)/nd <= q {
			u[j] = 1
		}
	}
	for i := 1; i <= m; i++ {
		w := float64(i) / float64(i+n)
		if float64(i)/md > q {
			u[0] = 0
		} else {
			u[0] *= w
		}
		for j := 1; j <= n; j++ {
			if math.Abs(float64(i)/md-float64(j)/nd) > q {
				u[j] = 0
			} else {
				u[j] = w*u[j] + u[j-1]
			}
		}
	}
	return u[n]
}

// kolmogorovTail is P(K > x) of Kolmogorov's limiting distribution:
// 2 Σ (-1)^(k-1) exp(-2k²x²).
func kolmogorovTail(x float64) float64 {
	if x < 0.2 {
		return 1
	}
	sum := 0.0
	for k := 1; k <= 100; k++ {
		t := math.Exp(-2 * float64(k*k) * x * x)
		if k%2 == 1 {
			sum += t
		} else {
			sum -= t
		}
		if t < 1e-16 {
			break
		}
	}
	return math.Min(1, math.Max(0, 2*sum))
}

// ChiSquared tests the counts of cur against the proportions of ref over
// the union of their categories, as Evidently's chisquare test does:
// expected counts are ref's scaled to cur's total, and the statistic has
// categories - 1 degrees of freedom. A category that cur has and ref
// never saw makes the statistic infinite and p 0. Fewer than two
// categories leave nothing to test: statistic 0, p 1.
func ChiSquared(ref, cur []float64) (stat, p float64) {
	keys, rc, cc := counts(ref, cur)
	if len(keys) < 2 {
		return 0, 1
	}
	scale := float64(len(cur)) / float64(len(ref))
	for i := range keys {
		exp := rc[i] * scale
		diff := cc[i] - exp
		if exp == 0 {
			return math.Inf(1), 0
		}
		stat += diff * diff / exp
	}
	return stat, distuv.ChiSquared{K: float64(len(keys) - 1)}.Survival(stat)
}

// ChiSquaredTwoSample is the chi-squared test of homogeneity of the
// 2×k table of ref's and cur's counts: unlike ChiSquared it treats the
// reference as a sample too, so that two samples of one distribution, of
// a thousand each, do not differ twice as often as the p-value says.
func ChiSquaredTwoSample(ref, cur []float64) (stat, p float64) {
	keys, rc, cc := counts(ref, cur)
	if len(keys) < 2 {
		return 0, 1
	}
	nr, nc := float64(len(ref)), float64(len(cur))
	for i := range keys {
		col := rc[i] + cc[i]
		for _, side := range [][2]float64{{rc[i], nr}, {cc[i], nc}} {
			exp := side[1] * col / (nr + nc)
			stat += (side[0] - exp) * (side[0] - exp) / exp
		}
	}
	return stat, distuv.ChiSquared{K: float64(len(keys) - 1)}.Survival(stat)
}

// counts returns the distinct values of ref and cur together, sorted, and
// how often each occurs in ref and in cur.
func counts(ref, cur []float64) (keys, rc, cc []float64) {
	keys = append(sorted(ref), cur...)
	sort.Float64s(keys)
	keys = slices.Compact(keys)
	idx := func(v float64) int { i, _ := slices.BinarySearch(keys, v); return i }
	rc, cc = make([]float64, len(keys)), make([]float64, len(keys))
	for _, v := range ref {
		rc[idx(v)]++
	}
	for _, v := range cur {
		cc[idx(v)]++
	}
	return keys, rc, cc
}

// Wasserstein returns the Wasserstein-1 (earth mover's) distance between
// the empirical distributions of a and b: the area between their CDFs.
func Wasserstein(a, b []float64) float64 {
	x, y := sorted(a), sorted(b)
	all := append(append([]float64(nil), x...), y...)
	sort.Float64s(all)
	dist := 0.0
	i, j := 0, 0
	for k := 0; k+1 < len(all); k++ {
		for i < len(x) && x[i] <= all[k] {
			i++
		}
		for j < len(y) && y[j] <= all[k] {
			j++
		}
		fa, fb := float64(i)/float64(len(x)), float64(j)/float64(len(y))
		dist += math.Abs(fa-fb) * (all[k+1] - all[k])
	}
	return dist
}

// NormedWasserstein is Evidently's wasserstein test statistic: the
// Wasserstein-1 distance divided by ref's (population) standard
// deviation, floored at 0.001 so that a constant feature does not divide
// by zero.
func NormedWasserstein(ref, cur []float64) float64 {
	return Wasserstein(ref, cur) / math.Max(stat.PopStdDev(ref, nil), 0.001)
}

// zeroShare stands for an empty category or bin in the Jensen-Shannon
// distance and the PSI, whose logarithms would be infinite, as Evidently
// does.
const zeroShare = 0.0001

// JensenShannon returns the Jensen-Shannon distance (the square root of
// the divergence, natural log) between the category shares of ref and cur.
func JensenShannon(ref, cur []float64) float64 {
	_, rc, cc := counts(ref, cur)
	p, q := shares(rc, len(ref)), shares(cc, len(cur))
	return jensenShannon(p, q)
}

func jensenShannon(p, q []float64) float64 {
	// scipy's jensenshannon normalizes both to sum 1 first.
	p, q = normalized(p), normalized(q)
	js := 0.0
	for i := range p {
		m := (p[i] + q[i]) / 2
		js += (kl(p[i], m) + kl(q[i], m)) / 2
	}
	return math.Sqrt(math.Max(js, 0))
}

func kl(p, m float64) float64 {
	if p == 0 {
		return 0
	}
	return p * math.Log(p/m)
}

func normalized(p []float64) []float64 {
	s := 0.0
	for _, v := range p {
		s += v
	}
	out := make([]float64, len(p))
	for i, v := range p {
		out[i] = v / s
	}
	return out
}

// shares divides counts by n, with zeroShare for an empty one.
func shares(c []float64, n int) []float64 {
	out := make([]float64, len(c))
	for i, v := range c {
		out[i] = v / float64(n)
		if out[i] == 0 {
			out[i] = zeroShare
		}
	}
	return out
}

// PSIBins is the number of reference-quantile bins of PSI.
const PSIBins = 10

// PSI returns the population stability index of cur against ref,
// Σ (c - r) ln(c / r) over the shares r and c of ref and cur in bins cut
// at ref's deciles (fewer bins when deciles coincide, as for a feature of
// few values; an empty bin's share is zeroShare).
func PSI(ref, cur []float64) float64 {
	s := sorted(ref)
	var edges []float64
	for k := 1; k < PSIBins; k++ {
		e := stat.Quantile(float64(k)/PSIBins, stat.Empirical, s, nil)
		if len(edges) == 0 || e > edges[len(edges)-1] {
			edges = append(edges, e)
		}
	}
	// A value equal to an edge goes to the bin below it, so that a
	// feature of two values 0 and 1 with deciles at 0 splits as 0 | 1.
	bin := func(v float64) int { i, _ := slices.BinarySearch(edges, v); return i }
	rc, cc := make([]float64, len(edges)+1), make([]float64, len(edges)+1)
	for _, v := range ref {
		rc[bin(v)]++
	}
	for _, v := range cur {
		cc[bin(v)]++
	}
	r, c := shares(rc, len(ref)), shares(cc, len(cur))
	psi := 0.0
	for i := range r {
		psi += (c[i] - r[i]) * math.Log(c[i]/r[i])
	}
	return psi
}

// PSILevel names a PSI: "none" below 0.1, "moderate" below 0.25, "major".
func PSILevel(psi float64) string {
	switch {
	case psi >= 0.25:
		return "major"
	case psi >= 0.1:
		return "moderate"
	}
	return "none"
}

// Distinct counts the distinct values of x.
func Distinct(x []float64) int {
	return len(slices.Compact(sorted(x)))
}

// Median is the middle value of x (the lower of the two middle ones for
// an even count, as stat.Empirical quantiles are).
func Median(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	return stat.Quantile(0.5, stat.Empirical, sorted(x), nil)
}

func sorted(x []float64) []float64 {
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	return s
}

func sqrtPos(v float64) float64 { return math.Sqrt(math.Max(v, 0)) }
