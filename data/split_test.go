package data

import (
	"math"
	"slices"
	"testing"
)

func TestSplitStratified(t *testing.T) {
	digits, err := Open("digits", OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bc, err := Open("testdata/breast_cancer.csv", OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		src  *Source
		cfg  SplitConfig
	}{
		{"digits 10/10", digits, SplitConfig{Val: 0.1, Test: 0.1, Seed: 1}},
		{"digits 20/0", digits, SplitConfig{Val: 0.2, Seed: 2}},
		{"breast cancer 15/25", bc, SplitConfig{Val: 0.15, Test: 0.25, Seed: 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Split(tc.src, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			full := tc.src.Train.ClassCounts()
			for _, part := range []struct {
				d    *Dataset
				frac float64
			}{{s.Val, tc.cfg.Val}, {s.Test, tc.cfg.Test}} {
				for k, c := range part.d.ClassCounts() {
					if exact := float64(full[k]) * part.frac; math.Abs(float64(c)-exact) > 1 {
						t.Errorf("class %d: %d examples, exact share %.2f", k, c, exact)
					}
				}
			}
			if got := s.Train.Len() + s.Val.Len() + s.Test.Len(); got != tc.src.Train.Len() {
				t.Errorf("splits hold %d examples, want %d", got, tc.src.Train.Len())
			}
			for _, d := range []*Dataset{s.Train, s.Val, s.Test} {
				if !slices.Equal(d.Classes, tc.src.Train.Classes) || !slices.Equal(d.Shape, tc.src.Train.Shape) {
					t.Errorf("metadata lost: %q %v", d.Classes, d.Shape)
				}
			}
			// Same seed: same split; another seed: another one.
			again, _ := Split(tc.src, tc.cfg)
			if !slices.Equal(again.Val.X, s.Val.X) || !slices.Equal(again.Train.Y, s.Train.Y) || !slices.Equal(again.Test.X, s.Test.X) {
				t.Error("same seed gave a different split")
			}
			other := tc.cfg
			other.Seed++
			diff, _ := Split(tc.src, other)
			if slices.Equal(diff.Val.X, s.Val.X) {
				t.Error("a different seed gave the same validation split")
			}
			// SplitReusing gives the same splits, from a copy it may reuse.
			own := *tc.src.Train
			own.X, own.Y = slices.Clone(own.X), slices.Clone(own.Y)
			src := &Source{Train: &own, Test: tc.src.Test}
			reused, err := SplitReusing(src, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for name, pair := range map[string][2]*Dataset{"train": {reused.Train, s.Train}, "val": {reused.Val, s.Val}, "test": {reused.Test, s.Test}} {
				if !slices.Equal(pair[0].X, pair[1].X) || !slices.Equal(pair[0].Y, pair[1].Y) {
					t.Errorf("SplitReusing's %s split differs from Split's", name)
				}
			}
			if src.Train != nil {
				t.Error("SplitReusing left src.Train usable")
			}
		})
	}
}

func TestSplitKeepsOriginalOrder(t *testing.T) {
	d := &Dataset{Source: "ordered", Kind: Tabular, Shape: []int{1}, Classes: []string{"a", "b"}}
	for i := range 100 {
		d.X = append(d.X, float32(i))
		d.Y = append(d.Y, i%2)
	}
	s, err := Split(&Source{Train: d}, SplitConfig{Val: 0.2, Test: 0.2, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[float32]bool{}
	for _, part := range []*Dataset{s.Train, s.Val, s.Test} {
		if !slices.IsSorted(part.X) {
			t.Errorf("split not in original order: %v", part.X)
		}
		for _, v := range part.X {
			if seen[v] {
				t.Errorf("example %v in two splits", v)
			}
			seen[v] = true
		}
	}
	if s.Val.Len() != 20 || s.Test.Len() != 20 || s.Train.Len() != 60 {
		t.Errorf("sizes %d/%d/%d", s.Train.Len(), s.Val.Len(), s.Test.Len())
	}
}

func TestSplitOwnTestSet(t *testing.T) {
	dir := t.TempDir()
	idxPair(t, dir, "train", 100, 2, 2, 4, false)
	idxPair(t, dir, "t10k", 20, 2, 2, 4, false)
	src, err := Open(dir, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Split(src, SplitConfig{Val: 0.1, Test: 0.3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if s.Test != src.Test || s.Val.Len() != 12 || s.Train.Len() != 88 {
		t.Errorf("test kept %v, val %d, train %d", s.Test == src.Test, s.Val.Len(), s.Train.Len())
	}
}

// uneven is 20 examples of class a and one of b.
func uneven() *Dataset {
	d := &Dataset{Source: "uneven", Kind: Tabular, Shape: []int{1}, Classes: []string{"a", "b"}}
	for i := range 21 {
		d.X = append(d.X, float32(i))
		d.Y = append(d.Y, min(i/20, 1))
	}
	return d
}

// TestSplitErrors checks each message, and that a suggested fraction is
// one that works: the config accepts it and it draws a split.
func TestSplitErrors(t *testing.T) {
	small := &Dataset{Source: "small", Kind: Tabular, Shape: []int{1}, X: []float32{1, 2, 3, 4}, Y: []int{0, 1, 0, 1}, Classes: []string{"a", "b"}}
	twoRows := &Dataset{Source: "two_rows.csv", Kind: Tabular, Shape: []int{1}, X: []float32{1, 2}, Y: []int{0, 1}, Classes: []string{"a", "b"}}
	tests := []struct {
		name  string
		src   *Source
		cfg   SplitConfig
		parts []string
	}{
		{"negative val", &Source{Train: small}, SplitConfig{Val: -0.1}, []string{"validation fraction -0.1", "[0, 1)"}},
		{"NaN test", &Source{Train: small}, SplitConfig{Test: math.NaN()}, []string{"test fraction NaN"}},
		{"sum too big", &Source{Train: small}, SplitConfig{Val: 0.5, Test: 0.5}, []string{"add up to 1", "below 1"}},
		{"empty validation", &Source{Train: small}, SplitConfig{Val: 0.1}, []string{
			"data.val 0.1 leaves the validation split of small empty: it rounds to 0 examples in every class (4 examples, at most 2 in a class); raise it to 0.25 or more"}},
		{"empty test", &Source{Train: small}, SplitConfig{Val: 0.25, Test: 0.2}, []string{
			"data.test 0.2 leaves the test split of small empty: it rounds to 0 examples in every class (4 examples, at most 2 in a class), and a larger fraction would leave a class without a training example: use more data, or set it to 0 for no test split"}},
		{"empty test, room for one", &Source{Train: uneven()}, SplitConfig{Val: 0.1, Test: 0.01}, []string{
			"data.test 0.01 leaves the test split of uneven empty: it rounds to 0 examples in every class (21 examples, at most 20 in a class); raise it to 0.025 or more, or set it to 0 for no test split"}},
		{"one example per class", &Source{Train: twoRows}, SplitConfig{Val: 0.1}, []string{
			"data.val 0.1 leaves the validation split of two_rows.csv empty: it rounds to 0 examples in every class (2 examples, at most 1 in a class), and a larger fraction would leave a class without a training example: use more data"}},
		{"no data", &Source{}, SplitConfig{}, []string{"no training data"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Split(tc.src, tc.cfg)
			wantErr(t, err, tc.parts...)
		})
	}
	// The suggested fractions work.
	for _, c := range []struct {
		d        *Dataset
		val, tst float64
	}{{small, 0.25, 0}, {uneven(), 0.1, 0.025}} {
		s, err := Split(&Source{Train: c.d}, SplitConfig{Val: c.val, Test: c.tst})
		if err != nil || s.Val.Len() == 0 || (c.tst > 0) != (s.Test.Len() > 0) {
			t.Errorf("%s at val %v test %v: %v", c.d.Source, c.val, c.tst, err)
		}
	}
	// A class too small for a validation example is fine.
	s, err := Split(&Source{Train: uneven()}, SplitConfig{Val: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Val.ClassCounts(); !slices.Equal(got, []int{2, 0}) {
		t.Errorf("val class counts %v, want [2 0]", got)
	}
	if s.Test.Len() != 0 {
		t.Errorf("test split has %d examples, want 0", s.Test.Len())
	}
}
