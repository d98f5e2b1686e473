package figures

import (
	"fmt"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/practica-ml/practica/feasibility"
	"github.com/practica-ml/practica/rundir"
)

// feasibilityReport is a report of every test, shaped like those of a run
// on noise: memorized (PASS), the zero-input baseline stopped at its floor,
// no probe above the majority rate (NO SIGNAL), scattered classes.
func feasibilityReport(classes int) *feasibility.Report {
	curve := func(from, rate float64, n int) []feasibility.Float {
		out := make([]feasibility.Float, n)
		for i := range out {
			out[i] = feasibility.Float(from * math.Exp(-rate*float64(i)))
		}
		return out
	}
	names := make([]string, classes)
	for k := range names {
		names[k] = fmt.Sprint(k)
	}
	r := &feasibility.Report{
		OverfitOne: &feasibility.OverfitResult{Verdict: feasibility.Pass, Examples: 1, Threshold: 0.0139, LossCurve: curve(1.39, 0.4, 25)},
		OverfitBatch: &feasibility.OverfitResult{Verdict: feasibility.Pass, Examples: 16, Threshold: 0.0139, LossCurve: curve(1.39, 0.05, 140),
			ZeroInput: &feasibility.BaselineResult{AtFloor: true, LabelEntropy: 1.37, LossCurve: curve(1.39, 0.01, 30)}},
		NaiveEmbeddings: &feasibility.NaiveResult{Verdict: feasibility.NoSignal, Classes: classes, ValExamples: 120, Chance: 1 / float64(classes),
			MajorityRate: 0.3, MajorityClass: "2", CorrectedAlpha: 0.05 / 6, MinMargin: 0.05, KNN: 5, SignalAccuracy: 0.39},
	}
	n := r.NaiveEmbeddings
	for i, e := range []string{"raw", "standardized", "pca"} {
		n.Embeddings = append(n.Embeddings, feasibility.EmbeddingInfo{Name: e, Dim: 16})
		n.Probes = append(n.Probes, feasibility.ProbeResult{Embedding: e, Classifier: feasibility.ClassifierLinear, Accuracy: 0.25 + 0.01*float64(i)},
			feasibility.ProbeResult{Embedding: e, Classifier: feasibility.ClassifierKNN, Accuracy: 0.27 - 0.01*float64(i)})
	}
	c := &feasibility.ClusterResult{Embedding: "standardized", ScatterPoints: 400, ClassNames: names}
	rng := rand.New(rand.NewPCG(1, 2))
	for range c.ScatterPoints {
		c.ScatterXY = append(c.ScatterXY, float32(rng.NormFloat64()), float32(rng.NormFloat64()))
		c.ScatterLabels = append(c.ScatterLabels, rng.IntN(classes))
	}
	r.Clustering = c
	return r
}

// TestWriteFeasibility: every test's plot is written under its name and is
// a real PNG, with 4 classes and with more classes than Tab10 has colours.
func TestWriteFeasibility(t *testing.T) {
	for _, classes := range []int{4, 12} {
		dir, err := rundir.Create(t.TempDir(), "feasibility", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		files, err := WriteFeasibility(dir, feasibilityReport(classes))
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{rundir.OverfitLossPlot, rundir.ProbePlot, rundir.PCAScatterPlot}; !slices.Equal(files, want) {
			t.Fatalf("files %v, want %v", files, want)
		}
		for _, f := range files {
			fh, err := os.Open(dir.Join(f))
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(fh)
			fh.Close()
			if err != nil || img.Bounds().Dx() < 600 || img.Bounds().Dy() < 400 {
				t.Errorf("%s: %v, %v", f, err, img.Bounds())
			}
		}
	}
}

// TestWriteFeasibilityOnlyWhatRan: a report of overfit-one alone gets its
// loss plot and nothing else.
func TestWriteFeasibilityOnlyWhatRan(t *testing.T) {
	dir, err := rundir.Create(t.TempDir(), "feasibility", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	files, err := WriteFeasibility(dir, &feasibility.Report{OverfitOne: feasibilityReport(4).OverfitOne})
	if err != nil || !slices.Equal(files, []string{rundir.OverfitLossPlot}) {
		t.Fatalf("files %v, %v", files, err)
	}
}

func TestStepTicks(t *testing.T) {
	cases := []struct {
		lo, hi float64
		labels []string
	}{
		{0, 5, []string{"0", "1", "2", "3", "4", "5"}},
		{0, 28, []string{"0", "5", "10", "15", "20", "25"}},
		{0, 300, []string{"0", "50", "100", "150", "200", "250", "300"}},
		{0, 1, []string{"0", "1"}},
	}
	for _, c := range cases {
		var got []string
		for _, tk := range (stepTicks{}).Ticks(c.lo, c.hi) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if !slices.Equal(got, c.labels) {
			t.Errorf("ticks on [%v, %v]: %v, want %v", c.lo, c.hi, got, c.labels)
		}
	}
}
