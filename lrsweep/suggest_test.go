package lrsweep

import (
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// The expected indices of the valley cases were checked against fastai's
// own valley function (Python, run by hand on the same lists).
func TestValleyIndex(t *testing.T) {
	cases := []struct {
		name   string
		losses []float64
		want   int
	}{
		// end 12, length 13, start -1: -1 + 13/3 + 13/6 = -1 + 4 + 2.
		{"strictly decreasing", []float64{13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 5},
		// end 9, length 10, start -1: -1 + 3 + 1.
		{"U shape", []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 3},
		// longest decreasing 3,1,0 or 3,2,0: end 3, start 0: 0 + 1 + 0.
		{"not contiguous", []float64{3, 1, 2, 0, 5, 4}, 1},
		// 5,4,3,2,1,0.5 over every other point: end 10, length 6, start 4.
		{"interleaved", []float64{5, 6, 4, 7, 3, 8, 2, 9, 1, 10, 0.5, 11}, 7},
		// equal losses do not extend it (strictly decreasing): 2,1,0.
		{"plateaus", []float64{2, 2, 2, 2, 1, 1, 1, 0}, 5},
		// a lone dip late: every earlier point is above 0.5, length 2.
		{"late dip", []float64{1, 2, 3, 4, 5, 6, 0.5, 7, 8, 9, 10, 11, 12, 13, 14}, 4},
		{"one point", []float64{1}, 0},
		{"rising", []float64{1, 2, 3, 4}, 0},
		// the longest is the first two points: end 1, start -1, -1 + 0 + 0;
		// fastai's lrs[-1] is the last point.
		{"first two only", []float64{2, 1, 3, 4}, 3},
	}
	for _, c := range cases {
		if got := valleyIndex(c.losses); got != c.want {
			t.Errorf("%s: valleyIndex = %d, want %d", c.name, got, c.want)
		}
	}
}

func TestSteepestIndex(t *testing.T) {
	idx := func(n int) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = float64(i)
		}
		return x
	}
	tanh := make([]float64, 21)
	for i := range tanh {
		tanh[i] = 1 - math.Tanh((float64(i)-7)/2) // steepest exactly at 7
	}
	cases := []struct {
		name          string
		logLR, losses []float64
		want          int
	}{
		{"tanh drop centred on 7", idx(21), tanh, 7},
		// central differences at 3, 4, 5: (4−5)/2 = −0.5, (3.5−4.9)/2 = −0.7,
		// (3.4−4)/2 = −0.3.
		{"one steep step", idx(8), []float64{5, 5, 5, 4.9, 4, 3.5, 3.4, 3.4}, 4},
		// one-sided at the start: (4−5)/1 beats the central (3.5−5)/2.
		{"steepest at the first point", idx(4), []float64{5, 4, 3.5, 3.4}, 0},
		// a non-uniform lr grid: the slope is per log lr, not per index.
		{"uneven spacing", []float64{0, 1, 2, 2.1, 5, 6}, []float64{3, 2.9, 2.8, 2.7, 2.5, 2.4}, 2},
		{"flat: the first", idx(5), []float64{1, 1, 1, 1, 1}, 0},
	}
	for _, c := range cases {
		if got := steepestIndex(c.logLR, c.losses); got != c.want {
			t.Errorf("%s: steepestIndex = %d, want %d", c.name, got, c.want)
		}
	}
}

func TestMinimumIndex(t *testing.T) {
	cases := []struct {
		losses []float64
		want   int
	}{
		{[]float64{3, 2, 1, 2, 3}, 2},
		{[]float64{1, 0.5, 0.5, 2}, 1}, // the first of equals
		{[]float64{4}, 0},
	}
	for _, c := range cases {
		if got := minimumIndex(c.losses); got != c.want {
			t.Errorf("minimumIndex(%v) = %d, want %d", c.losses, got, c.want)
		}
	}
}

// curve builds a range test's points over the default ramp with the given
// smoothed losses (the raw loss equal to it).
func curve(smoothed []float64) []Point {
	pts := make([]Point, len(smoothed))
	for i, s := range smoothed {
		pts[i] = Point{Step: i + 1, LR: LRAt(1e-7, 10, i, 100), Loss: s, Smoothed: s}
	}
	return pts
}

func TestWindow(t *testing.T) {
	flat := make([]float64, 100)
	for i := range flat {
		flat[i] = 1
	}
	cases := []struct {
		name         string
		n, steps     int
		nonFinite    int     // index of a non-finite point ending the curve (-1: none)
		loss         float64 // its raw loss
		lo, hi       int
		wantTooShort bool
	}{
		{"100 of 100 steps", 100, 100, -1, 0, 10, 95, false},
		// A tenth of the steps asked for, not of the 81 recorded.
		{"stopped after 81 of 100", 81, 100, -1, 0, 10, 76, false},
		{"stopped after 55 of 60", 55, 60, -1, 0, 6, 50, false},
		// fastai records NaN to step 100 and cuts at the first: no 5 skipped.
		{"NaN at index 60", 61, 100, 60, math.NaN(), 10, 60, false},
		{"NaN at index 97: the last 5 of 100 skipped", 98, 100, 97, math.NaN(), 10, 95, false},
		// fastai stops at an infinite smoothed loss and skips 5 with it.
		{"+Inf at index 60", 61, 100, 60, math.Inf(1), 10, 56, false},
		{"NaN at index 13: too short", 14, 100, 13, math.NaN(), 10, 13, true},
		{"18 of 100: too short", 18, 100, -1, 0, 10, 13, true},
		{"19 of 100: the least that works", 19, 100, -1, 0, 10, 14, false},
		{"9 of 9 steps", 9, 9, -1, 0, 0, 4, false},
		{"8 of 9: too short", 8, 9, -1, 0, 0, 3, true},
	}
	for _, c := range cases {
		pts := curve(flat[:c.n])
		if c.nonFinite >= 0 {
			pts[c.nonFinite].Loss, pts[c.nonFinite].Smoothed = c.loss, math.NaN()
		}
		lo, hi, err := window(pts, c.steps)
		if lo != c.lo || hi != c.hi || errors.Is(err, errTooShort) != c.wantTooShort {
			t.Errorf("%s: window = [%d, %d) err %v, want [%d, %d) too short %v", c.name, lo, hi, err, c.lo, c.hi, c.wantTooShort)
		}
	}
}

// fastaiValleyCases are the output of testdata/fastai_valley.py, which runs
// fastai's own lr_find window and valley function (transcribed from
// fastai/callback/schedule.py) on range tests we recorded; see its
// docstring to regenerate. cut > 0 keeps the curve's first cut points and
// adds one with raw loss cutLoss and a NaN smoothed loss, as our range test
// records a non-finite step.
var fastaiValleyCases = []struct {
	name    string
	file    string
	seed    int
	steps   int
	cut     int
	cutLoss float64
	lo, hi  int
	step    int
	lr      float64
}{
	// name, file, seed, steps, cut (0: none; else the points kept), the cut's raw loss,
	// fastai's window [lo, hi), the valley's step and lr.
	{"cnn seed 1: diverged at 81", "digits_cnn_100.csv", 1, 100, 0, 0.0, 10, 76, 51, 0.0010974987654930556},
	{"cnn seed 2: completed", "digits_cnn_100.csv", 2, 100, 0, 0.0, 10, 95, 46, 0.0004328761281083064},
	{"cnn seed 3: completed", "digits_cnn_100.csv", 3, 100, 0, 0.0, 10, 95, 45, 0.0003593813663804628},
	{"mlp seed 1: diverged at 55 of 60", "digits_mlp_60.csv", 1, 60, 0, 0.0, 6, 50, 30, 0.0008554672535565685},
	{"mlp seed 2: diverged at 58 of 60", "digits_mlp_60.csv", 2, 60, 0, 0.0, 6, 53, 30, 0.0008554672535565685},
	{"cnn seed 1 cut: NaN loss at 61", "digits_cnn_100.csv", 1, 100, 60, math.NaN(), 10, 60, 42, 0.00020565123083486522},
	{"cnn seed 1 cut: +Inf loss at 61", "digits_cnn_100.csv", 1, 100, 60, math.Inf(1), 10, 56, 41, 0.00017073526474706911},
	{"cnn seed 2 cut: NaN loss at 98", "digits_cnn_100.csv", 2, 100, 97, math.NaN(), 10, 95, 46, 0.0004328761281083064},
}

// TestValleyMatchesFastai: on recorded curves, our window and valley pick
// exactly the point fastai's lr_find picks. The first case is the one where
// skipping 10% of the points recorded (8 of 81) instead of a tenth of the
// steps asked for (10) moved the pick by one step (to 9.1e-4 at step 50).
func TestValleyMatchesFastai(t *testing.T) {
	files := map[string]map[int][]Point{}
	for _, c := range fastaiValleyCases {
		if files[c.file] == nil {
			files[c.file] = readCurves(t, filepath.Join("testdata", c.file))
		}
		pts := files[c.file][c.seed]
		if c.cut > 0 {
			next := pts[c.cut]
			next.Loss, next.Smoothed = c.cutLoss, math.NaN()
			pts = append(slices.Clone(pts[:c.cut]), next)
		}
		lo, hi, err := window(pts, c.steps)
		if err != nil || lo != c.lo || hi != c.hi {
			t.Errorf("%s: window [%d, %d) err %v, want fastai's [%d, %d)", c.name, lo, hi, err, c.lo, c.hi)
			continue
		}
		sugg, err := Suggest(pts, c.steps)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		v := sugg[slices.IndexFunc(sugg, func(s Suggestion) bool { return s.Name == Valley })]
		if v.Step != c.step || v.LR != c.lr {
			t.Errorf("%s: valley at step %d lr %v, fastai's at step %d lr %v", c.name, v.Step, v.LR, c.step, c.lr)
		}
	}
}

// readCurves reads an lr_sweep.csv into each seed's points.
func readCurves(t *testing.T, path string) map[int][]Point {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	curves := map[int][]Point{}
	for _, r := range rows[1:] { // seed,step,lr,loss,smoothed
		var v [5]float64
		for i := range v {
			if v[i], err = strconv.ParseFloat(r[i], 64); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
		seed := int(v[0])
		curves[seed] = append(curves[seed], Point{Step: int(v[1]), LR: v[2], Loss: v[3], Smoothed: v[4]})
	}
	return curves
}

// TestSuggestParabola: a smoothed loss (i−70)²/1000 + 1 over the default
// ramp of 100 steps. The window is points 10..94. The minimum is at 70, so
// minimum/10 is lr(70)/10 = 10^(560/99 − 8) ≈ 4.53e-3; the slope is most negative
// at the window's first point (10); the longest decreasing run is 10..70,
// 61 points, so in window indices end 60, start −1 and the valley is
// −1 + 61/3 + 61/6 = 29, i.e. point 39.
func TestSuggestParabola(t *testing.T) {
	sm := make([]float64, 100)
	for i := range sm {
		d := float64(i - 70)
		sm[i] = d*d/1000 + 1
	}
	got, err := Suggest(curve(sm), 100)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		lr   float64
		step int
	}{
		Steepest:     {LRAt(1e-7, 10, 10, 100), 11},
		Valley:       {LRAt(1e-7, 10, 39, 100), 40},
		MinimumTenth: {LRAt(1e-7, 10, 70, 100) / 10, 59}, // a decade is 99/8 steps: lr(70)/10 = lr(57.625), nearest point 58
	}
	if len(got) != 3 {
		t.Fatalf("got %d suggestions", len(got))
	}
	for i, s := range got {
		if s.Name != RuleNames()[i] {
			t.Errorf("suggestion %d is %s, want %s", i, s.Name, RuleNames()[i])
		}
		w := want[s.Name]
		if s.LR != w.lr || s.Step != w.step {
			t.Errorf("%s: lr %v at step %d, want %v at step %d", s.Name, s.LR, s.Step, w.lr, w.step)
		}
	}
	if math.Abs(got[2].LR/0.004534878508128578-1) > 1e-12 {
		t.Errorf("minimum/10 = %v, want 1e-7·10^(560/99)/10 = 0.004534878508128578", got[2].LR)
	}
}

// TestSuggestIgnoresTheDivergedTail: after the first non-finite loss
// nothing counts, even a lower loss.
func TestSuggestIgnoresTheDivergedTail(t *testing.T) {
	sm := make([]float64, 100)
	for i := range sm {
		sm[i] = 3 - float64(i)/100 // falling all the way
	}
	sm[50] = math.NaN()
	for i := 51; i < 100; i++ {
		sm[i] = 0.01
	}
	got, err := Suggest(curve(sm), 100)
	if err != nil {
		t.Fatal(err)
	}
	// A NaN at index 50: fastai's window is 10..49 (it would record NaN to
	// step 100, and cuts at the first); the minimum is its last point.
	if want := LRAt(1e-7, 10, 49, 100) / 10; got[2].LR != want {
		t.Errorf("minimum/10 = %v, want %v (lr of point 49 / 10)", got[2].LR, want)
	}
}

func TestSmoother(t *testing.T) {
	s := Smoother{Beta: 0.98}
	cases := []struct{ in, want float64 }{
		{1, 1},                   // bias correction: the first value is itself
		{2, 0.0596 / 0.0396},     // (0.98·0.02 + 0.02·2) / (1 − 0.98²)
		{2, 0.098408 / 0.058808}, // (0.98·0.0596 + 0.04) / (1 − 0.98³)
	}
	for i, c := range cases {
		if got := s.Add(c.in); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("step %d: smoothed %v, want %v", i+1, got, c.want)
		}
	}
	flat := Smoother{Beta: 0.98}
	for i := range 50 {
		if got := flat.Add(2.5); math.Abs(got-2.5) > 1e-12 {
			t.Fatalf("a constant loss smooths to %v at step %d, want 2.5", got, i+1)
		}
	}
}

func TestLRAt(t *testing.T) {
	cases := []struct {
		lo, hi float64
		i, n   int
		want   float64
	}{
		{1e-7, 10, 0, 100, 1e-7},
		{1e-7, 10, 99, 100, 10},
		{1e-4, 1e4, 4, 9, 1},
		{1e-4, 1e4, 2, 9, 1e-2},
		{1e-3, 1, 0, 1, 1e-3},
	}
	for _, c := range cases {
		if got := LRAt(c.lo, c.hi, c.i, c.n); math.Abs(got/c.want-1) > 1e-12 {
			t.Errorf("LRAt(%v, %v, %d, %d) = %v, want %v", c.lo, c.hi, c.i, c.n, got, c.want)
		}
	}
}

func TestSpreadOf(t *testing.T) {
	cases := []struct {
		lrs  []float64
		want Spread
	}{
		{[]float64{1e-3, 4e-3, 2e-3}, Spread{Min: 1e-3, Median: 2e-3, Max: 4e-3, Ratio: 4, Disagree: true}},
		{[]float64{3e-3, 1e-3}, Spread{Min: 1e-3, Median: math.Sqrt(3e-6), Max: 3e-3, Ratio: 3, Disagree: false}},
		{[]float64{5e-4}, Spread{Min: 5e-4, Median: 5e-4, Max: 5e-4, Ratio: 1}},
		{nil, Spread{}},
	}
	for _, c := range cases {
		got := SpreadOf(c.lrs)
		if math.Abs(got.Ratio-c.want.Ratio) > 1e-12 || got.Min != c.want.Min || got.Max != c.want.Max ||
			math.Abs(got.Median-c.want.Median) > 1e-18 || got.Disagree != c.want.Disagree {
			t.Errorf("SpreadOf(%v) = %+v, want %+v", c.lrs, got, c.want)
		}
	}
}

func TestParseGrid(t *testing.T) {
	cases := []struct {
		in     string
		values []float64
		auto   bool
		bad    bool
	}{
		{"auto", nil, true, false},
		{"1e-4,3e-4,1e-3,3e-3", []float64{1e-4, 3e-4, 1e-3, 3e-3}, false, false},
		{" 0.01 , 0.1 ", []float64{0.01, 0.1}, false, false},
		{"1e-4,fast", nil, false, true},
		{"0", nil, false, true},
		{"-1e-3", nil, false, true},
		{"", nil, false, true},
		{"1e-3,,1e-2", nil, false, true},
	}
	for _, c := range cases {
		v, auto, err := ParseGrid(c.in)
		if (err != nil) != c.bad || auto != c.auto || len(v) != len(c.values) {
			t.Errorf("ParseGrid(%q) = %v, %v, %v", c.in, v, auto, err)
			continue
		}
		for i := range v {
			if v[i] != c.values[i] {
				t.Errorf("ParseGrid(%q)[%d] = %v, want %v", c.in, i, v[i], c.values[i])
			}
		}
	}
	if g := AutoGrid(3e-3); g[0] != 1e-3 || g[1] != 3e-3 || math.Abs(g[2]/9e-3-1) > 1e-12 {
		t.Errorf("AutoGrid(3e-3) = %v", g)
	}
}
