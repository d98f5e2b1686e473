package data

import (
	"math"
	"testing"
)

func TestFitNormalizationStandardizesTrain(t *testing.T) {
	digits, err := Open("digits", OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	iris, err := Open("testdata/iris.csv", OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Digits as tabular: 64 per-feature statistics, three features constant.
	tab := *digits.Train
	tab.Kind = Tabular
	tests := []struct {
		name   string
		d      *Dataset
		groups int
	}{
		{"iris", iris.Train, 4},
		{"digits per channel", digits.Train, 1},
		{"digits per feature", &tab, 64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Split(&Source{Train: tc.d}, SplitConfig{Val: 0.1, Test: 0.1, Seed: 5})
			if err != nil {
				t.Fatal(err)
			}
			n, err := FitNormalization(s.Train)
			if err != nil {
				t.Fatal(err)
			}
			if n.Groups != tc.groups || n.Check(s.Train.SampleSize()) != nil {
				t.Fatalf("%d groups, check %v", n.Groups, n.Check(s.Train.SampleSize()))
			}
			if err := n.Apply(s.Train); err != nil {
				t.Fatal(err)
			}
			mean, std := groupStats(s.Train, n.Groups, n.GroupSize)
			constant := 0
			for g := range mean {
				if math.Abs(mean[g]) > 1e-4 {
					t.Errorf("group %d: mean %v after normalization", g, mean[g])
				}
				switch {
				case std[g] == 0:
					constant++ // a constant feature maps to 0, not NaN
				case math.Abs(std[g]-1) > 1e-3:
					t.Errorf("group %d: std %v after normalization", g, std[g])
				}
			}
			if err := s.Train.Validate(); err != nil {
				t.Errorf("non-finite values after normalization: %v", err)
			}
			if tc.groups == 64 && constant == 0 {
				t.Error("expected constant digit pixels in the training split")
			}
			if err := n.Apply(s.Val); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestFitNormalizationSmall(t *testing.T) {
	d := &Dataset{Source: "s", Kind: Tabular, Shape: []int{2}, X: []float32{1, 5, 3, 5}, Y: []int{0, 1}, Classes: []string{"a", "b"}}
	n, err := FitNormalization(d)
	if err != nil {
		t.Fatal(err)
	}
	if n.Mean[0] != 2 || n.Std[0] != 1 || n.Mean[1] != 5 || n.Std[1] != MinStd {
		t.Errorf("mean %v std %v", n.Mean, n.Std)
	}
	if _, err := FitNormalization(&Dataset{Source: "none", Shape: []int{2}}); err == nil {
		t.Error("fitting no examples: no error")
	}
	if err := n.Check(3); err == nil {
		t.Error("Check(3) on a 2-feature normalization: no error")
	}
}

// groupStats computes the mean and standard deviation of each group.
func groupStats(d *Dataset, groups, size int) (mean, std []float64) {
	mean, std = make([]float64, groups), make([]float64, groups)
	s := d.SampleSize()
	count := float64(d.Len() * size)
	for k, v := range d.X {
		mean[(k%s)/size] += float64(v) / count
	}
	for k, v := range d.X {
		dv := float64(v) - mean[(k%s)/size]
		std[(k%s)/size] += dv * dv / count
	}
	for g := range std {
		std[g] = math.Sqrt(std[g])
	}
	return mean, std
}
