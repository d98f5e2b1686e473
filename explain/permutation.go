package explain

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/practica-ml/practica/calibration"
	"github.com/practica-ml/practica/train"
)

// DefaultRepeats is the number of shuffles of each feature.
const DefaultRepeats = 5

// LogitsFunc returns the n×classes logits of n examples (model input,
// row-major).
type LogitsFunc func(x []float32) ([]float32, error)

// FeatureImportance is one feature's permutation importance: the drop in
// accuracy and the rise in mean log loss (NLL) when its column is
// shuffled, mean and standard deviation (population, as NumPy's std) over
// the repeats.
type FeatureImportance struct {
	Feature          string  `json:"feature"`
	AccuracyDropMean float64 `json:"accuracy_drop_mean"`
	AccuracyDropStd  float64 `json:"accuracy_drop_std"`
	NLLRiseMean      float64 `json:"nll_rise_mean"`
	NLLRiseStd       float64 `json:"nll_rise_std"`
}

// Importance is the permutation importance of every feature on one set
// of examples.
type Importance struct {
	// Accuracy and NLL are the model's on the examples as they are.
	Accuracy float64 `json:"accuracy"`
	NLL      float64 `json:"nll"`
	Repeats  int     `json:"repeats"`
	Seed     uint64  `json:"seed"`
	// Features are sorted by accuracy drop, then NLL rise, largest first.
	Features []FeatureImportance `json:"features"`
}

// PermutationOptions are the settings of Permutation.
type PermutationOptions struct {
	// Names name the features (the columns of x), in order.
	Names   []string
	Classes int
	// Temperature divides the logits before the softmax of the NLL (the
	// probabilities predict serves); 0 means 1.
	Temperature float64
	// Repeats is the number of shuffles of each column (DefaultRepeats
	// when 0) and Seed their seed: column j's shuffles are drawn from
	// (Seed, j), so a feature's numbers do not depend on the others.
	Repeats int
	Seed    uint64
}

// Permutation computes the permutation importance of each column of x
// (n examples of len(opt.Names) values, labels y) for the model whose
// logits logits computes.
func Permutation(logits LogitsFunc, x []float32, y []int, opt PermutationOptions) (*Importance, error) {
	d := len(opt.Names)
	switch {
	case d == 0:
		return nil, fmt.Errorf("permutation importance needs named features, got none")
	case len(y) < 2 || len(x) != len(y)*d:
		return nil, fmt.Errorf("permutation importance needs at least 2 labelled examples of %d features, got %d values and %d labels", d, len(x), len(y))
	case opt.Classes < 2:
		return nil, fmt.Errorf("permutation importance needs at least 2 classes, got %d", opt.Classes)
	}
	if opt.Repeats == 0 {
		opt.Repeats = DefaultRepeats
	}
	if opt.Repeats < 1 || opt.Repeats > 1000 {
		return nil, fmt.Errorf("repeats must be between 1 and 1000, got %d", opt.Repeats)
	}
	if !(opt.Temperature > 0) {
		opt.Temperature = 1
	}
	score := func(x []float32) (acc, nll float64, err error) {
		l, err := logits(x)
		if err != nil {
			return 0, 0, err
		}
		right := 0
		for i, label := range y {
			if train.Argmax(l[i*opt.Classes:(i+1)*opt.Classes]) == label {
				right++
			}
		}
		return float64(right) / float64(len(y)), calibration.NLL(l, y, opt.Classes, opt.Temperature), nil
	}
	imp := &Importance{Repeats: opt.Repeats, Seed: opt.Seed}
	var err error
	if imp.Accuracy, imp.NLL, err = score(x); err != nil {
		return nil, err
	}
	n := len(y)
	shuffled := slices.Clone(x)
	column := make([]float32, n)
	drops, rises := make([]float64, opt.Repeats), make([]float64, opt.Repeats)
	for j, name := range opt.Names {
		rng := rand.New(rand.NewPCG(opt.Seed, uint64(j)))
		for i := range n {
			column[i] = x[i*d+j]
		}
		for r := range opt.Repeats {
			for i, k := range rng.Perm(n) {
				shuffled[i*d+j] = column[k]
			}
			acc, nll, err := score(shuffled)
			if err != nil {
				return nil, err
			}
			drops[r], rises[r] = imp.Accuracy-acc, nll-imp.NLL
		}
		for i := range n {
			shuffled[i*d+j] = column[i]
		}
		f := FeatureImportance{Feature: name}
		f.AccuracyDropMean, f.AccuracyDropStd = meanStd(drops)
		f.NLLRiseMean, f.NLLRiseStd = meanStd(rises)
		imp.Features = append(imp.Features, f)
	}
	slices.SortStableFunc(imp.Features, func(a, b FeatureImportance) int {
		if c := cmp.Compare(b.AccuracyDropMean, a.AccuracyDropMean); c != 0 {
			return c
		}
		return cmp.Compare(b.NLLRiseMean, a.NLLRiseMean)
	})
	return imp, nil
}

// meanStd is the mean and the population standard deviation of v.
func meanStd(v []float64) (mean, std float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(v)))
}
