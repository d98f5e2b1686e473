package feasibility

import (
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/practica-ml/practica/internal/stats"
)

// clustering settings.
const (
	kmeansRestarts = 4
	kmeansMaxIter  = 100
	// maxSilhouettePoints caps the seeded subsample the (quadratic)
	// silhouette is computed on.
	maxSilhouettePoints = 5000
	// maxScatterPoints caps the points drawn in the PCA scatter.
	maxScatterPoints = 2000
	// clusterPermutations is the number of seeded label shuffles the NMI
	// is compared with; clusterAlpha the p-value below which it beats
	// them (the probes' alpha); minARI the adjusted Rand index the
	// clusters must reach besides (0 is chance, 1 the labels exactly).
	clusterPermutations = 999
	clusterAlpha        = alpha
	minARI              = 0.05
)

// ClusterResult is clustering in feasibility.json. Its verdict, CLUSTERS
// or NO CLUSTERS, says whether the clusters agree with the labels more
// than chance does; it does not decide the exit status, because
// well-formed clusters are encouraging but their absence proves nothing
// (classes a linear probe separates need not form round clusters).
type ClusterResult struct {
	// Verdict is CLUSTERS when the NMI beats every shuffle of the labels
	// but a p-value below Alpha would allow (P(shuffled NMI ≥ NMI), with
	// the observed labelling counted among the shuffles) and the adjusted
	// Rand index is at least MinARI; NO CLUSTERS otherwise. Reason says
	// why in words.
	Verdict string `json:"verdict"`
	Reason  string `json:"reason"`
	// ChanceNMI is the mean NMI of the clusters against Permutations
	// seeded shuffles of the labels; PValue the share of shuffles (the
	// observed labelling included) whose NMI reaches the observed one.
	ChanceNMI    float64 `json:"chance_nmi"`
	PValue       float64 `json:"p_value"`
	Permutations int     `json:"permutations"`
	Alpha        float64 `json:"alpha"`
	MinARI       float64 `json:"min_ari"`
	// Embedding is the best probe's embedding, clustered on the probe's
	// training examples.
	Embedding    string  `json:"embedding"`
	Dim          int     `json:"dim"`
	K            int     `json:"k"`
	Points       int     `json:"points"`
	Restarts     int     `json:"restarts"`
	Iterations   int     `json:"iterations"`
	Inertia      float64 `json:"inertia"`
	ClusterSizes []int   `json:"cluster_sizes"`
	// Purity, NMI (arithmetic normalization) and ARI (adjusted Rand index)
	// compare the clusters with the labels.
	Purity float64 `json:"purity"`
	NMI    float64 `json:"nmi"`
	ARI    float64 `json:"ari"`
	// Silhouette is the mean silhouette on a seeded subsample of
	// SilhouettePoints ≤ 5000 points (Euclidean, in the embedding).
	Silhouette       float64 `json:"silhouette"`
	SilhouettePoints int     `json:"silhouette_points"`
	// ScatterPoints are drawn in pca_scatter.png, on the first two principal
	// components of the embedding, which explain ScatterExplained of its
	// variance.
	ScatterPoints    int     `json:"scatter_points"`
	ScatterExplained float64 `json:"scatter_explained_variance"`
	Seconds          float64 `json:"seconds"`

	// ScatterXY holds the scatter's points (ScatterPoints×2, row-major),
	// ScatterLabels their labels (indices into ClassNames). They are what
	// figures.PCAScatterPNG draws, and stay out of feasibility.json.
	ScatterXY     []float32 `json:"-"`
	ScatterLabels []int     `json:"-"`
	ClassNames    []string  `json:"-"`
}

// clustering runs k-means++ (k = the number of classes) on the embedding of
// the naive probe's best classifier and compares the clusters with the
// labels.
func clustering(naive *NaiveResult, seed uint64, progress io.Writer) (*ClusterResult, error) {
	start := time.Now()
	e, ok := naive.embedding(naive.Best.Embedding)
	if !ok {
		return nil, fmt.Errorf("clustering: no embedding %q", naive.Best.Embedding)
	}
	y := naive.trainY
	k := naive.Classes
	x := stats.Float64s(e.train)
	say(progress, "clustering: k-means++ (k=%d) on %d points of the %s embedding (%d dimensions)", k, len(y), e.Name, e.Dim)
	km := stats.KMeans(x, e.Dim, k, seed, kmeansRestarts, kmeansMaxIter)
	r := &ClusterResult{Embedding: e.Name, Dim: e.Dim, K: k, Points: len(y), Restarts: kmeansRestarts, Iterations: km.Iterations,
		Inertia: km.Inertia, ClusterSizes: make([]int, k), ClassNames: naive.classNames}
	for _, c := range km.Assign {
		r.ClusterSizes[c]++
	}
	r.Purity, r.NMI, r.ARI = stats.Purity(y, km.Assign), stats.NMI(y, km.Assign), stats.ARI(y, km.Assign)
	r.verdict(y, km.Assign, seed)

	sub := sample(len(y), maxSilhouettePoints, seed, 0x73696c) // "sil"
	xs := make([]float64, 0, len(sub)*e.Dim)
	as := make([]int, len(sub))
	for j, i := range sub {
		xs = append(xs, x[i*e.Dim:(i+1)*e.Dim]...)
		as[j] = km.Assign[i]
	}
	r.Silhouette, r.SilhouettePoints = stats.Silhouette(xs, e.Dim, as, k), len(sub)

	pca, err := stats.FitPCA(e.train, e.Dim, 1, 2)
	if err != nil {
		return nil, err
	}
	r.ScatterExplained = pca.Explained
	pts := sample(len(y), maxScatterPoints, seed, 0x736374) // "sct"
	sel := make([]float32, 0, len(pts)*e.Dim)
	for _, i := range pts {
		sel = append(sel, e.train[i*e.Dim:(i+1)*e.Dim]...)
		r.ScatterLabels = append(r.ScatterLabels, y[i])
	}
	r.ScatterXY = pca.Transform(sel)
	if pca.K() < 2 { // a one-dimensional embedding: plot against zero
		xy := make([]float32, 2*len(pts))
		for i := range pts {
			xy[2*i] = r.ScatterXY[i]
		}
		r.ScatterXY = xy
	}
	r.ScatterPoints = len(pts)
	r.Seconds = time.Since(start).Seconds()
	return r, nil
}

// verdict compares the NMI of the clusters with that of seeded shuffles
// of the labels (a permutation test: the NMI of unrelated partitions is
// above 0, and more so with few points or many clusters, so 0 is not the
// baseline) and sets the verdict and its reason.
func (r *ClusterResult) verdict(y, assign []int, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x6e6d69)) // "nmi"
	shuffled := append([]int(nil), y...)
	reached, sum := 1, 0.0 // the observed labelling counts as one
	for range clusterPermutations {
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		nmi := stats.NMI(shuffled, assign)
		sum += nmi
		if nmi >= r.NMI {
			reached++
		}
	}
	r.Permutations, r.Alpha, r.MinARI = clusterPermutations, clusterAlpha, minARI
	r.ChanceNMI = sum / clusterPermutations
	r.PValue = float64(reached) / float64(clusterPermutations+1)
	desc := fmt.Sprintf("NMI %.3f against %.3f for shuffled labels (p = %.3g, %d shuffles), adjusted Rand index %.3f", r.NMI, r.ChanceNMI, r.PValue, clusterPermutations, r.ARI)
	switch {
	case r.PValue < clusterAlpha && r.ARI >= minARI:
		r.Verdict, r.Reason = Clusters, desc+"; the classes form groups k-means finds without the labels"
	case r.PValue >= clusterAlpha:
		r.Verdict, r.Reason = NoClusters, desc+fmt.Sprintf(": p not below %g; the clusters agree with the labels no more than chance", clusterAlpha)
	default:
		r.Verdict, r.Reason = NoClusters, desc+fmt.Sprintf(": below %g; the clusters agree with the labels barely more than chance", minARI)
	}
}
