package calibration

import (
	"math"
	"slices"
	"testing"
)

func TestEntropy(t *testing.T) {
	cases := []struct {
		p    []float64
		want float64
	}{
		{[]float64{0.25, 0.25, 0.25, 0.25}, math.Log(4)},
		{[]float64{1, 0}, 0},
		{[]float64{0.5, 0.5}, math.Log(2)},
		{[]float64{0.9, 0.1}, -(0.9*math.Log(0.9) + 0.1*math.Log(0.1))},
	}
	for _, c := range cases {
		if got := Entropy(c.p); !near(got, c.want, 1e-15) {
			t.Errorf("Entropy(%v) = %v, want %v", c.p, got, c.want)
		}
	}
}

func TestSummarizeMC(t *testing.T) {
	// Example 0: the passes disagree completely (mutual information ln 2);
	// example 1: they agree on an uncertain answer (entropy ln 2, MI 0).
	passes := [][]float64{
		{1, 0, 0.5, 0.5},
		{0, 1, 0.5, 0.5},
	}
	mc, err := SummarizeMC(passes, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(mc.Mean, []float64{0.5, 0.5, 0.5, 0.5}) {
		t.Errorf("mean %v", mc.Mean)
	}
	ln2 := math.Log(2)
	if !near(mc.Entropy[0], ln2, 1e-15) || !near(mc.Entropy[1], ln2, 1e-15) {
		t.Errorf("entropy %v", mc.Entropy)
	}
	if !near(mc.MutualInformation[0], ln2, 1e-15) || mc.MutualInformation[1] != 0 {
		t.Errorf("mutual information %v", mc.MutualInformation)
	}
	if _, err := SummarizeMC([][]float64{{1, 0}, {1}}, 2); err == nil {
		t.Error("passes of different sizes were accepted")
	}
	if _, err := SummarizeMC(nil, 2); err == nil {
		t.Error("no passes were accepted")
	}
}

func TestScoreAndRank(t *testing.T) {
	probs := []float64{
		0.5, 0.3, 0.2,
		0.9, 0.05, 0.05,
		0.4, 0.4, 0.2,
		0.34, 0.33, 0.33,
	}
	mi := []float64{0.1, 0.3, 0, 0.2}
	h := func(p ...float64) float64 { return Entropy(p) }
	cases := []struct {
		method string
		want   []float64
		rank   []int
	}{
		{LeastConfident, []float64{0.5, 0.1, 0.6, 0.66}, []int{3, 2, 0, 1}},
		{Margin, []float64{0.8, 0.15, 1, 0.99}, []int{2, 3, 0, 1}},
		{MaxEntropy, []float64{h(0.5, 0.3, 0.2), h(0.9, 0.05, 0.05), h(0.4, 0.4, 0.2), h(0.34, 0.33, 0.33)}, []int{3, 2, 0, 1}},
		{BALD, mi, []int{1, 3, 0, 2}},
	}
	for _, c := range cases {
		s, err := Score(c.method, probs, 3, mi)
		if err != nil {
			t.Fatal(err)
		}
		for i := range s {
			if !near(s[i], c.want[i], 1e-12) {
				t.Errorf("%s: score %d = %v, want %v", c.method, i, s[i], c.want[i])
			}
		}
		if r := Rank(s, 0); !slices.Equal(r, c.rank) {
			t.Errorf("%s: rank %v, want %v", c.method, r, c.rank)
		}
		if r := Rank(s, 2); !slices.Equal(r, c.rank[:2]) {
			t.Errorf("%s: top 2 %v", c.method, r)
		}
	}
	if r := Rank([]float64{1, 2, 2, 0}, 10); !slices.Equal(r, []int{1, 2, 0, 3}) {
		t.Errorf("ties: %v", r)
	}
	if _, err := Score(BALD, probs, 3, nil); err == nil {
		t.Error("bald without mutual information was accepted")
	}
	if _, err := Score("random", probs, 3, nil); err == nil {
		t.Error("an unknown method was accepted")
	}
}
