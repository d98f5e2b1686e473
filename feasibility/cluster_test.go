package feasibility

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/practica-ml/practica/internal/stats"
)

func nmiARI(labels, assign []int) (float64, float64) {
	return stats.NMI(labels, assign), stats.ARI(labels, assign)
}

// TestClusterVerdict: CLUSTERS needs the NMI to beat the shuffled labels
// and an adjusted Rand index of at least 0.05.
func TestClusterVerdict(t *testing.T) {
	n := 630 // 70 points per (class, cluster) pair when they are unrelated
	labels := make([]int, n)
	same, unrelated := make([]int, n), make([]int, n)
	for i := range n {
		labels[i] = i % 3
		same[i] = (labels[i] + 1) % 3 // the labels, renamed: a perfect match
		unrelated[i] = (i / 3) % 3    // balanced in every class, NMI 0
	}
	// The ARI's chance term for the unrelated partition, 210 points per
	// class and per cluster: (3·C(210,2))² / C(630,2).
	chance := 65835.0 * 65835 / 198135
	for _, c := range []struct {
		name     string
		assign   []int
		verdict  string
		nmi, ari float64
		maxP     float64
		reason   string
	}{
		{"clusters are the classes", same, Clusters, 1, 1, 0.001, "form groups"},
		// ARI of 70 points in each of the 9 cells: (9·C(70,2) − chance) /
		// (3·C(210,2) − chance), slightly below 0.
		{"clusters unrelated to the classes", unrelated, NoClusters, 0, (21735 - chance) / (65835 - chance), 1, "no more than chance"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &ClusterResult{}
			r.NMI, r.ARI = nmiARI(labels, c.assign)
			if !near(r.NMI, c.nmi, 1e-12) || !near(r.ARI, c.ari, 1e-12) {
				t.Fatalf("NMI %v, ARI %v; want %v, %v", r.NMI, r.ARI, c.nmi, c.ari)
			}
			r.verdict(labels, c.assign, 1)
			if r.Verdict != c.verdict || r.PValue > c.maxP || !strings.Contains(r.Reason, c.reason) {
				t.Fatalf("verdict %s, p %v, reason %q", r.Verdict, r.PValue, r.Reason)
			}
			if r.Permutations != 999 || r.Alpha != 0.01 || r.MinARI != 0.05 {
				t.Fatalf("settings %d %v %v", r.Permutations, r.Alpha, r.MinARI)
			}
			// Shuffled labels agree with no partition: their mean NMI is
			// small, not 0 (a finite sample is never exactly independent).
			if r.ChanceNMI <= 0 || r.ChanceNMI > 0.01 {
				t.Fatalf("chance NMI %v", r.ChanceNMI)
			}
		})
	}
	// A weak association on many points: one point in five is in its own
	// class's cluster, the others spread evenly. It is far beyond chance
	// (p = 1/1000: no shuffle reaches it) but its adjusted Rand index
	// stays below 0.05.
	n = 9000
	labels, weak := make([]int, n), make([]int, n)
	for i := range n {
		labels[i], weak[i] = i%3, (i/3)%3
		if i%5 == 0 {
			weak[i] = labels[i]
		}
	}
	r := &ClusterResult{}
	r.NMI, r.ARI = nmiARI(labels, weak)
	r.verdict(labels, weak, 1)
	if r.Verdict != NoClusters || r.PValue != 0.001 || r.ARI >= 0.05 || r.ARI <= 0 || !strings.Contains(r.Reason, "barely more than chance") {
		t.Fatalf("weak association: verdict %s, p %v, ARI %v, reason %q", r.Verdict, r.PValue, r.ARI, r.Reason)
	}
	// The same inputs give the same p-value and chance NMI.
	again := &ClusterResult{NMI: r.NMI, ARI: r.ARI}
	again.verdict(labels, weak, 1)
	if again.PValue != r.PValue || again.ChanceNMI != r.ChanceNMI {
		t.Fatal("two runs of the permutation test differ")
	}
}

// TestClusteringVerdictInReport: clustering in feasibility.json has a
// verdict, shown in feasibility.md and the text summary, and it leaves the
// exit status alone: blobs form clusters, noise does not, and neither
// changes OK.
func TestClusteringVerdictInReport(t *testing.T) {
	for _, c := range []struct {
		source, verdict string
		ok              bool
	}{
		{"blobs:n=600,d=8,c=4", Clusters, true},
		{"noise:n=600,d=16,c=4", NoClusters, true},
	} {
		p := prepare(t, c.source, nil)
		rep, err := Run(context.Background(), p, Options{Clustering: true})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		var top struct {
			Clustering map[string]any `json:"clustering"`
		}
		if err := json.Unmarshal(b, &top); err != nil {
			t.Fatal(err)
		}
		if v := top.Clustering["verdict"]; v != c.verdict {
			t.Fatalf("%s: clustering.verdict %v, want %s", c.source, v, c.verdict)
		}
		if rep.OK() != c.ok || len(rep.Verdicts()) != 0 {
			t.Fatalf("%s: OK %v, verdicts %v", c.source, rep.OK(), rep.Verdicts())
		}
		if md := rep.Markdown("x"); !strings.Contains(md, "- Clustering: **"+c.verdict+"**") || !strings.Contains(md, "**"+c.verdict+".**") {
			t.Fatalf("%s: feasibility.md lacks the verdict:\n%s", c.source, md)
		}
		if !strings.Contains(rep.Text(), "clustering: "+c.verdict+": ") {
			t.Fatalf("%s: text lacks the verdict:\n%s", c.source, rep.Text())
		}
	}
}
