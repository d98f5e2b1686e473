package calibration

import (
	"context"
	"errors"
	"math"
	"reflect"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// repeat returns k copies of a probability row with the given labels.
func rows(spec ...struct {
	p []float64
	y []int
}) ([]float64, []int) {
	var probs []float64
	var labels []int
	for _, s := range spec {
		for _, y := range s.y {
			probs = append(probs, s.p...)
			labels = append(labels, y)
		}
	}
	return probs, labels
}

type group = struct {
	p []float64
	y []int
}

func TestEvaluateHandComputed(t *testing.T) {
	ln := math.Log
	// Perfectly calibrated: 10 examples at confidence 0.8 of which 8 are
	// right, 5 at 0.6 of which 3 are right.
	calProbs, calLabels := rows(
		group{[]float64{0.8, 0.2}, []int{0, 0, 0, 0, 0, 0, 0, 0, 1, 1}},
		group{[]float64{0.6, 0.4}, []int{0, 0, 0, 1, 1}},
	)
	// Four examples of three classes, hand-binned into 5 bins:
	// confidences .5 (right), .7 (wrong), .6 (right), .9 (wrong).
	mixProbs := []float64{
		0.5, 0.3, 0.2,
		0.1, 0.7, 0.2,
		0.2, 0.2, 0.6,
		0.9, 0.05, 0.05,
	}
	mixLabels := []int{0, 2, 2, 1}
	cases := []struct {
		name    string
		probs   []float64
		labels  []int
		classes int
		bins    int
		want    Report
		// wantBins checks (index → count, accuracy, confidence).
		wantBins map[int][3]float64
	}{
		{
			name: "empty", probs: nil, labels: nil, classes: 3, bins: 15,
			want: Report{},
		},
		{
			name: "perfectly calibrated", probs: calProbs, labels: calLabels, classes: 2, bins: 15,
			want: Report{N: 15, Accuracy: 11.0 / 15, Confidence: 11.0 / 15,
				NLL:   -(8*ln(0.8) + 2*ln(0.2) + 3*ln(0.6) + 2*ln(0.4)) / 15,
				Brier: (8*0.08 + 2*1.28 + 3*0.32 + 2*0.72) / 15,
				ECE:   0, MCE: 0, ClasswiseECE: 0,
				// 15 equal-mass bins of one example each: mean |hit − conf|.
				ACE: (8*0.2 + 2*0.8 + 3*0.4 + 2*0.6) / 15},
			// 0.8 sits on the edge 12/15: it belongs to (11/15, 12/15].
			wantBins: map[int][3]float64{11: {10, 0.8, 0.8}, 8: {5, 0.6, 0.6}, 0: {0, 0, 0}, 14: {0, 0, 0}},
		},
		{
			name: "perfectly calibrated, one bin", probs: calProbs, labels: calLabels, classes: 2, bins: 1,
			want: Report{N: 15, Accuracy: 11.0 / 15, Confidence: 11.0 / 15,
				NLL:   -(8*ln(0.8) + 2*ln(0.2) + 3*ln(0.6) + 2*ln(0.4)) / 15,
				Brier: (8*0.08 + 2*1.28 + 3*0.32 + 2*0.72) / 15},
			wantBins: map[int][3]float64{0: {15, 11.0 / 15, 11.0 / 15}},
		},
		{
			name: "confidently wrong", probs: []float64{0.999, 0.001, 0.001, 0.999}, labels: []int{1, 0}, classes: 2, bins: 15,
			want: Report{N: 2, Accuracy: 0, Confidence: 0.999, NLL: -ln(0.001), Brier: 2 * 0.999 * 0.999,
				ECE: 0.999, MCE: 0.999, ACE: 0.999, ClasswiseECE: 0.999},
			wantBins: map[int][3]float64{14: {2, 0, 0.999}},
		},
		{
			name: "certain and wrong", probs: []float64{1, 0, 0, 0, 1, 0}, labels: []int{2, 0}, classes: 3, bins: 10,
			want: Report{N: 2, Accuracy: 0, Confidence: 1, NLL: -ln(probFloor), Brier: 2,
				ECE: 1, MCE: 1, ACE: 1,
				// class 0: p (1, 0) vs y (0, 1): bins 9 and 0 each gap 1;
				// class 1: p (0, 1) vs y (0, 0): gaps 0 and 1;
				// class 2: p (0, 0) vs y (1, 0): one bin, acc .5, conf 0.
				ClasswiseECE: (1 + 0.5 + 0.5) / 3},
		},
		{
			name: "mixed, 5 bins", probs: mixProbs, labels: mixLabels, classes: 3, bins: 5,
			want: Report{N: 4, Accuracy: 0.5, Confidence: 0.675,
				NLL:   -(ln(0.5) + ln(0.2) + ln(0.6) + ln(0.05)) / 4,
				Brier: (0.38 + 1.14 + 0.24 + 1.715) / 4,
				// bins: (.4,.6] holds .5 and .6, both right: gap .45;
				// (.6,.8] holds .7, wrong; (.8,1] holds .9, wrong.
				ECE: (2*0.45 + 0.7 + 0.9) / 4, MCE: 0.9,
				// 4 equal-mass bins of one example: mean |hit − conf|.
				ACE:          (0.5 + 0.7 + 0.4 + 0.9) / 4,
				ClasswiseECE: (1.7/4 + 1.75/4 + 0.95/4) / 3},
			wantBins: map[int][3]float64{0: {0, 0, 0}, 1: {0, 0, 0}, 2: {2, 1, 0.55}, 3: {1, 0, 0.7}, 4: {1, 0, 0.9}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Evaluate(c.probs, c.labels, c.classes, c.bins)
			const tol = 1e-12
			got := []float64{float64(r.N), r.Accuracy, r.Confidence, r.NLL, r.Brier, r.ECE, r.MCE, r.ACE, r.ClasswiseECE}
			want := []float64{float64(c.want.N), c.want.Accuracy, c.want.Confidence, c.want.NLL, c.want.Brier, c.want.ECE, c.want.MCE, c.want.ACE, c.want.ClasswiseECE}
			names := []string{"n", "accuracy", "confidence", "nll", "brier", "ece", "mce", "ace", "classwise_ece"}
			for i := range got {
				if !near(got[i], want[i], tol) {
					t.Errorf("%s = %.15g, want %.15g", names[i], got[i], want[i])
				}
			}
			if len(r.Bins) != c.bins {
				t.Fatalf("%d bins, want %d", len(r.Bins), c.bins)
			}
			for i, b := range r.Bins {
				if !near(b.Lo, float64(i)/float64(c.bins), 1e-15) || !near(b.Hi, float64(i+1)/float64(c.bins), 1e-15) {
					t.Errorf("bin %d is (%v, %v]", i, b.Lo, b.Hi)
				}
			}
			for i, w := range c.wantBins {
				b := r.Bins[i]
				if b.Count != int(w[0]) || !near(b.Accuracy, w[1], tol) || !near(b.Confidence, w[2], tol) {
					t.Errorf("bin %d = %+v, want count %v accuracy %v confidence %v", i, b, w[0], w[1], w[2])
				}
			}
			if r.Binning == "" {
				t.Error("no binning description")
			}
		})
	}
}

func TestBinIndexEdges(t *testing.T) {
	cases := []struct {
		c    float64
		bins int
		want int
	}{
		{0, 15, 0}, {1e-9, 15, 0}, {1.0 / 15, 15, 0}, {1.0/15 + 1e-12, 15, 1},
		{0.8, 15, 11}, {0.6, 5, 2}, {0.2, 5, 0}, {1, 15, 14}, {1, 1, 0}, {0.5, 2, 0}, {0.5000001, 2, 1},
	}
	for _, c := range cases {
		if got := binIndex(c.c, c.bins); got != c.want {
			t.Errorf("binIndex(%v, %d) = %d, want %d", c.c, c.bins, got, c.want)
		}
	}
}

func TestBootstrap(t *testing.T) {
	// Every resample of identical examples has the same ECE.
	wrongProbs, wrongLabels := rows(group{[]float64{1, 0}, []int{1, 1, 1, 1}})
	if lo, hi := Bootstrap(wrongProbs, wrongLabels, 2, 15, 50, 1); lo != 1 || hi != 1 {
		t.Errorf("confidently wrong: interval (%v, %v), want (1, 1)", lo, hi)
	}
	rightProbs, rightLabels := rows(group{[]float64{0, 1}, []int{1, 1, 1}})
	if lo, hi := Bootstrap(rightProbs, rightLabels, 2, 15, 50, 1); lo != 0 || hi != 0 {
		t.Errorf("certain and right: interval (%v, %v), want (0, 0)", lo, hi)
	}
	if lo, hi := Bootstrap(nil, nil, 2, 15, 50, 1); lo != 0 || hi != 0 {
		t.Errorf("empty: (%v, %v)", lo, hi)
	}
	probs, labels := rows(
		group{[]float64{0.9, 0.1}, []int{0, 0, 0, 0, 0, 0, 1, 1, 1, 0}},
		group{[]float64{0.3, 0.7}, []int{1, 0, 0, 1, 1, 0, 1}},
	)
	lo, hi := Bootstrap(probs, labels, 2, 15, 200, 7)
	lo2, hi2 := Bootstrap(probs, labels, 2, 15, 200, 7)
	lo3, hi3 := Bootstrap(probs, labels, 2, 15, 200, 8)
	if lo != lo2 || hi != hi2 {
		t.Errorf("same seed, different intervals: (%v, %v) and (%v, %v)", lo, hi, lo2, hi2)
	}
	if lo == lo3 && hi == hi3 {
		t.Errorf("seeds 7 and 8 gave the same interval (%v, %v)", lo, hi)
	}
	if !(0 <= lo && lo < hi && hi <= 1) {
		t.Errorf("interval (%v, %v)", lo, hi)
	}
	if got := quantile([]float64{0, 1, 2, 3, 4}, 0.975); !near(got, 3.9, 1e-12) {
		t.Errorf("quantile = %v, want 3.9", got)
	}
}

// TestCompareContextStops: a cancelled context stops the bootstrap with
// the context's error; a live one gives Compare's answer.
func TestCompareContextStops(t *testing.T) {
	logits := []float32{2, 0, 0, 1, 1, 0, 0, 0, 3, 1, 2, 0}
	labels := []int{0, 1, 2, 0}
	want := Compare(logits, labels, 3, 15, 50, 7, 1.5)
	got, err := CompareContext(context.Background(), logits, labels, 3, 15, 50, 7, 1.5)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v (%v), want %+v", got, err, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := CompareContext(ctx, logits, labels, 3, 15, 50, 7, 1.5); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}
