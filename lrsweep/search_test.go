package lrsweep

import (
	"context"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fakeRuns trains nothing: each rate's validation loss per epoch follows a
// made-up response curve, so that search's choices can be checked by hand.
// It records what it was asked to train.
type fakeRuns struct {
	curve func(lr float64, epoch int) float64
	asked [][2]float64 // {lr, epochs}
}

func (f *fakeRuns) run(_ context.Context, values []float64, epochs int) ([]GridRun, error) {
	var out []GridRun
	for _, lr := range values {
		f.asked = append(f.asked, [2]float64{lr, float64(epochs)})
		var losses []float64
		var metrics []float64
		for e := 1; e <= epochs; e++ {
			losses = append(losses, f.curve(lr, e))
			metrics = append(metrics, 0)
		}
		r := GridRun{LR: lr, ValLoss: losses, ValAccuracy: metrics}
		for i, v := range losses {
			if math.IsInf(v, 1) {
				r.ValLoss, r.Diverged = losses[:i], true
				break
			}
			if r.BestValLoss == nil || v < *r.BestValLoss {
				v := v
				r.BestValLoss, r.BestEpoch = &v, i+1
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// bowl is a loss that falls with the epochs and is lowest at lr = at
// (log-parabola), rising steeply beyond 30× at.
func bowl(at float64) func(lr float64, epoch int) float64 {
	return func(lr float64, epoch int) float64 {
		d := math.Log10(lr / at)
		if d > math.Log10(30) {
			return math.Inf(1)
		}
		return (0.1 + d*d) * (1 + 1/float64(epoch))
	}
}

func TestSearch(t *testing.T) {
	cases := []struct {
		name      string
		values    []float64
		curve     func(lr float64, epoch int) float64
		maxExtend int
		halving   bool
		best      float64
		extended  []float64
		turnsUp   float64
		reason    string
		trained   int // how many values were trained, rungs included
	}{
		{"best inside: no extension", []float64{1e-3, 3e-3, 9e-3}, bowl(3e-3), 2, false, 3e-3, nil, 9e-3, "the lowest validation loss", 3},
		{"best at the top: extended twice, the loss turns up", []float64{1e-4, 3e-4, 9e-4}, bowl(3e-3), 2, false, 2.7e-3, []float64{2.7e-3, 8.1e-3}, 8.1e-3, "extended past its edge to 0.0027, 0.0081", 5},
		{"best at the top, no extension allowed", []float64{1e-4, 3e-4, 9e-4}, bowl(3e-3), 0, false, 9e-4, nil, 0, "the lowest validation loss", 3},
		{"best at the bottom: extended down", []float64{1e-2, 3e-2, 9e-2}, bowl(3e-3), 1, false, 1e-2 / 3, []float64{1e-2 / 3}, 1e-2, "extended past its edge", 4},
		{"a plateau: the larger rate, its curve not rising", []float64{1e-3, 2e-3, 8e-3},
			func(lr float64, e int) float64 {
				return map[float64]float64{1e-3: 0.500, 2e-3: 0.505, 8e-3: 0.9}[lr] / float64(e)
			}, 0, false, 2e-3, nil, 8e-3, "not rising at the end", 3},
		{"a plateau, but the larger rate's curve rises at the end", []float64{1e-3, 2e-3, 8e-3},
			func(lr float64, e int) float64 {
				return map[float64][]float64{1e-3: {0.5, 0.3, 0.25}, 2e-3: {0.5, 0.24, 0.252}, 8e-3: {0.9, 0.8, 0.7}}[lr][e-1]
			}, 0, false, 1e-3, nil, 8e-3, "the lowest validation loss", 3},
		{"a lucky first epoch does not win: the grid ranks by the end of each run", []float64{1e-3, 3e-3, 9e-3},
			func(lr float64, e int) float64 {
				return map[float64][]float64{1e-3: {0.6, 0.4, 0.3}, 3e-3: {0.4, 0.2, 0.1}, 9e-3: {0.01, 0.5, 2.0}}[lr][e-1]
			}, 2, false, 3e-3, nil, 9e-3, "the lowest validation loss after 3 epoch(s): 0.1000", 3},
		{"halving: a third (at least two) promoted", []float64{1e-4, 1e-3, 3e-3, 1e-2, 3e-2}, bowl(3e-3), 0, true, 3e-3, nil, 1e-2, "the lowest validation loss", 5 + 2},
		{"every run diverged", []float64{1, 3}, bowl(1e-6), 2, false, 0, nil, 0, "every run diverged", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeRuns{curve: c.curve}
			g := &GridResult{}
			if err := search(context.Background(), g, c.values, 3, c.maxExtend, c.halving, f.run, nil); err != nil {
				t.Fatal(err)
			}
			if math.Abs(g.Best-c.best) > 1e-12 || !closeAll(g.Extended, c.extended) || math.Abs(g.TurnsUpAt-c.turnsUp) > 1e-12 ||
				!strings.Contains(g.Reason, c.reason) || len(f.asked) != c.trained {
				t.Errorf("best %v, extended %v, turns up at %v, reason %q, %d trained; want %v, %v, %v, %q, %d",
					g.Best, g.Extended, g.TurnsUpAt, g.Reason, len(f.asked), c.best, c.extended, c.turnsUp, c.reason, c.trained)
			}
			if !slices.IsSortedFunc(g.Runs, func(a, b GridRun) int { return compareFloat(a.LR, b.LR) }) {
				t.Errorf("runs not sorted by rate: %+v", g.Runs)
			}
		})
	}
}

// TestSearchHalvingRungs checks the rung by hand: five candidates train one
// epoch, the two best by loss go on to three epochs, the rest keep their
// one-epoch record.
func TestSearchHalvingRungs(t *testing.T) {
	f := &fakeRuns{curve: bowl(3e-3)}
	g := &GridResult{}
	values := []float64{3e-2, 1e-4, 1e-3, 3e-3, 1e-2}
	if err := search(context.Background(), g, values, 3, 0, true, f.run, nil); err != nil {
		t.Fatal(err)
	}
	want := []Rung{{Epochs: 1, LRs: []float64{1e-4, 1e-3, 3e-3, 1e-2, 3e-2}, Promoted: []float64{1e-3, 3e-3}}}
	if !reflect.DeepEqual(g.Rungs, want) {
		t.Fatalf("rungs %+v, want %+v", g.Rungs, want)
	}
	for _, r := range g.Runs {
		wantEpochs := 1
		if r.LR == 1e-3 || r.LR == 3e-3 {
			wantEpochs = 3
		}
		if len(r.ValLoss) != wantEpochs && !r.Diverged {
			t.Errorf("lr %v: %d epochs, want %d", r.LR, len(r.ValLoss), wantEpochs)
		}
	}
}

func TestCandidates(t *testing.T) {
	rep := &Report{Suggestions: map[string]RuleReport{
		Steepest:     {PerSeed: []SeedValue{{LR: 5e-3}}, Spread: Spread{Median: 5e-3}},
		Valley:       {PerSeed: []SeedValue{{LR: 4e-4}}, Spread: Spread{Median: 4e-4}},
		MinimumTenth: {PerSeed: []SeedValue{{LR: 7e-3}}, Spread: Spread{Median: 7e-3}},
	}}
	got := Candidates(rep, 1e-3)
	want := []Candidate{{4e-4, []string{Valley}}, {1e-3, []string{"default"}}, {5e-3, []string{Steepest, MinimumTenth}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Candidates = %+v, want %+v", got, want)
	}
	// The default merges into a rule's value within a factor of 1.5.
	if got := Candidates(rep, 6e-4); len(got) != 2 || !slices.Equal(got[0].Sources, []string{Valley, "default"}) {
		t.Errorf("default 6e-4: %+v", got)
	}
}

func closeAll(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-12*math.Max(1, b[i]) {
			return false
		}
	}
	return true
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
