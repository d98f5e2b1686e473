package labeling

import (
	"math"
	"sort"

	"github.com/practica-ml/practica/internal/stats"
)

// The Cluster queue's k-means: the best of kmeansRestarts seeded k-means++
// runs of at most kmeansMaxIter Lloyd iterations; ChooseK's bounds.
const (
	kmeansRestarts = 3
	kmeansMaxIter  = 100
	minClusters    = 4
	maxClusters    = 64
)

// ChooseK is the number of clusters for a pool of n examples of classes
// classes: twice the number of classes, so that a class drawn in two
// styles (a 7 with and without its bar) can take two clusters rather than
// share one with another class, bounded to [4, 64] and to n.
func ChooseK(classes, n int) int {
	return min(max(2*classes, minClusters), maxClusters, n)
}

// clusterQueue offers one k-means cluster of an embedding at a time.
type clusterQueue struct {
	// members are each cluster's examples, the closest to its centre
	// first (ties by index); closeness is each example's Score.
	members   [][]int
	closeness []float64
}

// newClusterQueue clusters emb into k clusters (k-means, seeded).
func newClusterQueue(emb *Embedding, k int, seed uint64) *clusterQueue {
	n := len(emb.X) / emb.Dim
	res := stats.KMeans(emb.X, emb.Dim, k, seed, kmeansRestarts, kmeansMaxIter)
	k = len(res.Centers) / emb.Dim
	q := &clusterQueue{members: make([][]int, k), closeness: make([]float64, n)}
	dist := make([]float64, n)
	sumSq := make([]float64, k)
	for i, c := range res.Assign {
		var s float64
		for j, v := range emb.X[i*emb.Dim : (i+1)*emb.Dim] {
			d := v - res.Centers[c*emb.Dim+j]
			s += d * d
		}
		dist[i], sumSq[c] = math.Sqrt(s), sumSq[c]+s
		q.members[c] = append(q.members[c], i)
	}
	for c, m := range q.members {
		// Closeness is 1 at the centre and 1/2 at the cluster's RMS
		// radius, so that scores compare across clusters of any spread.
		r := math.Sqrt(sumSq[c] / float64(max(len(m), 1)))
		for _, i := range m {
			q.closeness[i] = 1
			if r > 0 {
				q.closeness[i] = 1 / (1 + dist[i]/r)
			}
		}
		sort.SliceStable(m, func(a, b int) bool { return dist[m[a]] < dist[m[b]] })
	}
	return q
}

func (*clusterQueue) Strategy() string { return Cluster }

// Next offers the cluster least covered so far: the one with the fewest
// taken members in proportion to its size (every cluster gets a first
// label before any gets a second, then labels spread in proportion to
// the clusters' sizes), ties to the larger cluster, then the lower
// index. Its untaken members come most typical first, each suggested the
// cluster's majority label so far.
func (q *clusterQueue) Next(st State) ([]Example, bool) {
	best, bestTaken := -1, 0
	for c, m := range q.members {
		taken := 0
		for _, i := range m {
			if st.Taken(i) {
				taken++
			}
		}
		if taken == len(m) {
			continue
		}
		if best >= 0 {
			// taken/len(m) against bestTaken/len(best), without division.
			l, r := taken*len(q.members[best]), bestTaken*len(m)
			if l > r || (l == r && len(m) <= len(q.members[best])) {
				continue
			}
		}
		best, bestTaken = c, taken
	}
	if best < 0 {
		return nil, false
	}
	suggested := majority(q.members[best], st)
	var group []Example
	for _, i := range q.members[best] {
		if !st.Taken(i) {
			group = append(group, Example{Index: i, Suggested: suggested, Score: q.closeness[i], Cluster: best})
		}
	}
	return group, true
}

// majority is the most frequent label among the labeled members (ties to
// the label that sorts first), or "" when none is labeled.
func majority(members []int, st State) string {
	counts := map[string]int{}
	for _, i := range members {
		if l, ok := st.Label(i); ok {
			counts[l]++
		}
	}
	best := ""
	for l, n := range counts {
		if n > counts[best] || (n == counts[best] && l < best) {
			best = l
		}
	}
	return best
}
