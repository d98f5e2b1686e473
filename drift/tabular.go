package drift

import (
	"fmt"
	"math"
	"sort"
)

// SmallReference is the largest reference on which features get
// p-value tests; above it, p-values call every tiny difference
// significant, so distances with a fixed threshold are used.
const SmallReference = 1000

// numericDistinct: a feature with more distinct reference values than
// this is numeric; with fewer, categorical.
const numericDistinct = 5

// Features tests each column of ref against the same column of cur
// (row-major, len(names) columns, raw values) and returns one Feature per
// name, in order.
func Features(names []string, ref, cur []float32, t Thresholds) ([]Feature, error) {
	d := len(names)
	if d == 0 || len(ref)%d != 0 || len(cur)%d != 0 || len(ref) == 0 || len(cur) == 0 {
		return nil, fmt.Errorf("%d reference and %d new values are not non-empty rows of %d features", len(ref), len(cur), d)
	}
	n := len(ref) / d
	out := make([]Feature, d)
	for j, name := range names {
		r, c := column(ref, d, j), column(cur, d, j)
		if len(r) == 0 || len(c) == 0 {
			return nil, fmt.Errorf("feature %q has no value (every cell missing) in the reference or the new data", name)
		}
		numeric := Distinct(r) > numericDistinct
		var tst Test
		switch {
		case n <= SmallReference && numeric:
			s, p := KS(r, c)
			tst = pTest("ks", s, p, t.PValue)
		case n <= SmallReference:
			s, p := ChiSquared(r, c)
			tst = pTest("chisquare", s, p, t.PValue)
		case numeric:
			tst = distanceTest("wasserstein", NormedWasserstein(r, c), t.Distance)
		default:
			tst = distanceTest("jensenshannon", JensenShannon(r, c), t.Distance)
		}
		psi := PSI(r, c)
		out[j] = Feature{Name: name, Test: tst, PSI: psi, PSILevel: PSILevel(psi), ReferenceMedian: Median(r), NewMedian: Median(c)}
	}
	return out, nil
}

// column copies column j of a row-major matrix of d columns, leaving out
// missing cells (NaN): a model that imputes them was trained on what was
// there, and the tests compare what is there.
func column(x []float32, d, j int) []float64 {
	out := make([]float64, 0, len(x)/d)
	for i := j; i < len(x); i += d {
		if v := float64(x[i]); !math.IsNaN(v) {
			out = append(out, v)
		}
	}
	return out
}

// MostDrifted returns the indices of up to k features, the drifted first
// and among them the most changed (smallest p-value, then largest
// distance), then by PSI.
func MostDrifted(fs []Feature, k int) []int {
	idx := make([]int, len(fs))
	for i := range idx {
		idx[i] = i
	}
	severity := func(f Feature) float64 {
		if f.PValue != nil {
			return 1 - *f.PValue + f.Statistic*1e-9
		}
		return f.Statistic
	}
	sort.SliceStable(idx, func(a, b int) bool {
		fa, fb := fs[idx[a]], fs[idx[b]]
		if fa.Drift != fb.Drift {
			return fa.Drift
		}
		if sa, sb := severity(fa), severity(fb); sa != sb {
			return sa > sb
		}
		return fa.PSI > fb.PSI
	})
	return idx[:min(k, len(idx))]
}
