package feasibility

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/internal/stats"
)

func TestNaiveEmbeddingsVerdicts(t *testing.T) {
	cases := []struct {
		name       string
		source     string
		verdict    string
		embeddings []string
		check      func(t *testing.T, r *NaiveResult)
	}{
		{
			name: "digits have signal", source: "digits", verdict: Signal,
			embeddings: []string{embedRaw, embedRandom, embedPCA, embedUntrainedCNN},
			check: func(t *testing.T, r *NaiveResult) {
				for _, p := range r.Probes {
					// Every naive probe reads digits well above 85%.
					if p.Accuracy < 0.85 || !p.Significant {
						t.Errorf("%s on %s: accuracy %.3f, significant %v", p.Classifier, p.Embedding, p.Accuracy, p.Significant)
					}
				}
				if r.Best.Accuracy < 0.97 || r.Best.PValue > 1e-100 {
					t.Errorf("best probe %+v", r.Best)
				}
				// 95% of the variance of the 64 standardized pixels takes 28
				// components.
				if pca := r.Embeddings[2]; pca.Dim != 28 || pca.ExplainedVariance < 0.95 {
					t.Errorf("pca embedding %+v", pca)
				}
				if cnn := r.Embeddings[3]; cnn.Dim != 128 {
					t.Errorf("untrained cnn embedding has %d dimensions, want the 128 of the dense layer", cnn.Dim)
				}
			},
		},
		{
			name: "pure noise has none", source: "noise", verdict: NoSignal,
			embeddings: []string{embedRaw, embedRandom, embedPCA},
			check: func(t *testing.T, r *NaiveResult) {
				for _, p := range r.Probes {
					if p.Significant || p.Accuracy >= r.SignalAccuracy || math.Abs(p.Accuracy-r.Chance) > 0.06 {
						t.Errorf("%s on %s: accuracy %.3f (chance %.3f), needed %.3f", p.Classifier, p.Embedding, p.Accuracy, r.Chance, r.SignalAccuracy)
					}
				}
				// 64 independent features: 95% of the variance needs almost all.
				if pca := r.Embeddings[2]; pca.Dim < 55 || pca.Dim > 64 {
					t.Errorf("pca embedding %+v", pca)
				}
			},
		},
		{
			name: "blobs are separable", source: "blobs:n=600,d=8,c=4", verdict: Signal,
			embeddings: []string{embedRaw, embedRandom, embedPCA},
			check: func(t *testing.T, r *NaiveResult) {
				if r.Best.Accuracy != 1 {
					t.Errorf("best accuracy %v, want 1 on blobs 8 sd apart", r.Best.Accuracy)
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := prepare(t, c.source, nil)
			r, err := naiveEmbeddings(context.Background(), p, naiveConfig{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %s", r.Verdict, r.Reason)
			if r.Verdict != c.verdict {
				t.Fatalf("verdict %s, want %s", r.Verdict, c.verdict)
			}
			var names []string
			for _, e := range r.Embeddings {
				names = append(names, e.Name)
			}
			if !slices.Equal(names, c.embeddings) || r.ProbesTried != 2*len(c.embeddings) || len(r.Probes) != r.ProbesTried {
				t.Fatalf("embeddings %v, %d probes", names, r.ProbesTried)
			}
			if r.CorrectedAlpha != alpha/float64(r.ProbesTried) {
				t.Errorf("corrected alpha %v", r.CorrectedAlpha)
			}
			// The majority rate is the validation split's largest class share.
			counts := p.Splits.Val.ClassCounts()
			if want := float64(slices.Max(counts)) / float64(p.Splits.Val.Len()); r.MajorityRate != want {
				t.Errorf("majority rate %v, want %v", r.MajorityRate, want)
			}
			if r.ValExamples != p.Splits.Val.Len() || r.TrainExamples != p.Splits.Train.Len() {
				t.Errorf("%d/%d examples used", r.TrainExamples, r.ValExamples)
			}
			for _, pr := range r.Probes {
				if pr.Accuracy > r.Best.Accuracy {
					t.Errorf("best %v is not the best (%+v)", r.Best, pr)
				}
				if want := stats.BinomialTail(pr.Correct, r.ValExamples, r.MajorityRate); pr.PValue != want {
					t.Errorf("p-value %v, want %v", pr.PValue, want)
				}
			}
			c.check(t, r)
		})
	}
}

func TestClustering(t *testing.T) {
	cases := []struct {
		name            string
		source          string
		minNMI, maxNMI  float64
		minSil, maxSil  float64
		minPurity       float64
		wantSilhouetteN int
	}{
		// Well-separated blobs: k-means finds the classes exactly (the
		// silhouette is modest: standardizing shrinks the separation to
		// about 2 sd in the informative features, against 4 noise ones).
		{"blobs", "blobs:n=600,d=8,c=4", 1, 1, 0.25, 0.5, 1, 480},
		// Digits: clusters agree with the classes well but not perfectly.
		{"digits", "digits", 0.6, 0.9, 0.1, 0.4, 0.65, 1439},
		// Noise: no agreement beyond chance; 5,600 training points, so the
		// probes keep 5,000 and the silhouette all of them.
		{"noise", "noise:n=7000,d=8,c=4", 0, 0.01, -0.1, 0.2, 0, maxSilhouettePoints},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := prepare(t, c.source, func(cfg *config.Experiment) { cfg.Model.Arch = "mlp" })
			naive, err := naiveEmbeddings(context.Background(), p, naiveConfig{})
			if err != nil {
				t.Fatal(err)
			}
			r, err := clustering(naive, 1, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: purity %.3f NMI %.3f ARI %.3f silhouette %.3f on %s", c.name, r.Purity, r.NMI, r.ARI, r.Silhouette, r.Embedding)
			if r.NMI < c.minNMI-1e-9 || r.NMI > c.maxNMI+1e-9 || r.Silhouette < c.minSil || r.Silhouette > c.maxSil || r.Purity < c.minPurity {
				t.Errorf("purity %v NMI %v silhouette %v", r.Purity, r.NMI, r.Silhouette)
			}
			if r.Embedding != naive.Best.Embedding || r.K != naive.Classes || r.SilhouettePoints != c.wantSilhouetteN || r.Points != min(p.Splits.Train.Len(), maxProbeTrain) {
				t.Errorf("embedding %s k %d, %d points, silhouette on %d", r.Embedding, r.K, r.Points, r.SilhouettePoints)
			}
			total := 0
			for _, n := range r.ClusterSizes {
				total += n
			}
			if total != r.Points || len(r.ScatterXY) != 2*r.ScatterPoints || r.ScatterPoints != min(r.Points, maxScatterPoints) {
				t.Errorf("cluster sizes %v, %d scatter values for %d points", r.ClusterSizes, len(r.ScatterXY), r.ScatterPoints)
			}
		})
	}
}
