package searchreport

import (
	"math"
	"slices"
)

// maxBins is how many equal-count bins a numeric parameter's values are
// cut into for its importance.
const maxBins = 4

// Importance is the share of the metric's variance that the groups
// explain: the between-group sum of squares over the total (η², the
// correlation ratio). groups[i] is trial i's group. It is 0 when the
// metric does not vary.
func Importance(groups []int, metric []float64) float64 {
	n := float64(len(metric))
	if n == 0 {
		return 0
	}
	mean := 0.0
	for _, y := range metric {
		mean += y
	}
	mean /= n
	sum, count := map[int]float64{}, map[int]float64{}
	total := 0.0
	for i, y := range metric {
		sum[groups[i]] += y
		count[groups[i]]++
		total += (y - mean) * (y - mean)
	}
	if total == 0 {
		return 0
	}
	between := 0.0
	for g, s := range sum {
		m := s / count[g]
		between += count[g] * (m - mean) * (m - mean)
	}
	return between / total
}

// Bins cuts numeric values into at most maxBins bins of equal counts (by
// rank; ties stay together), at least two trials a bin, and returns each
// value's bin.
func Bins(values []float64) []int {
	n := len(values)
	bins := min(maxBins, max(1, n/2))
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case values[a] < values[b]:
			return -1
		case values[a] > values[b]:
			return 1
		}
		return 0
	})
	out := make([]int, n)
	for rank, i := range order {
		out[i] = rank * bins / n
		if rank > 0 && values[i] == values[order[rank-1]] {
			out[i] = out[order[rank-1]]
		}
	}
	return out
}

// finite keeps the indices whose metric is a number.
func finite(metric []float64) []int {
	var keep []int
	for i, y := range metric {
		if !math.IsNaN(y) && !math.IsInf(y, 0) {
			keep = append(keep, i)
		}
	}
	return keep
}
