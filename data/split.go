package data

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/practica-ml/practica/internal/setting"
)

// SplitConfig sets the fractions of a source held out for validation and
// testing, and the seed of the stratified draw.
type SplitConfig struct {
	// Val is the fraction of the examples held out for validation.
	Val float64 `json:"val" yaml:"val"`
	// Test is the fraction held out for testing; ignored when the source
	// has its own test split.
	Test float64 `json:"test" yaml:"test"`
	// Seed seeds the draw: the same seed gives the same split.
	Seed uint64 `json:"seed" yaml:"seed"`
}

// Splits are the training, validation and test examples of a source. A
// split whose fraction is 0 is an empty dataset (Len 0), never nil.
type Splits struct {
	Train, Val, Test *Dataset
	// index are the positions in the source's training examples of the
	// examples of each split (train, val, test), ascending; ownTest is the
	// size of the source's own test split, when it has one (then
	// index[2] is empty). IndexSHA256 hashes them.
	index   [3][]int
	ownTest int
}

// IndexSHA256 returns the hex SHA-256 of which examples of the source went
// to which split, so that a reader of a run can tell a split drawn
// otherwise from the same bytes (another seed, a reader that skips other
// rows). It hashes, for train, val and test in turn, the split's name, its
// size as 8 bytes little-endian and each index into the source's training
// examples as 8 bytes little-endian; a source's own test split is hashed
// as the name "test(source)" and its size alone.
func (s *Splits) IndexSHA256() string {
	h := sha256.New()
	var b []byte
	for i, name := range []string{"train", "val", "test"} {
		idx := s.index[i]
		n := len(idx)
		if i == 2 && s.ownTest > 0 {
			name, n = "test(source)", s.ownTest
		}
		b = append(b[:0], name...)
		b = binary.LittleEndian.AppendUint64(b, uint64(n))
		for _, k := range idx {
			b = binary.LittleEndian.AppendUint64(b, uint64(k))
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Drawn is the number of the source's training examples the splits were
// drawn from: train and val, and test unless the source has its own.
func (s *Splits) Drawn() int { return len(s.index[0]) + len(s.index[1]) + len(s.index[2]) }

// record keeps the indices a split was drawn with, for IndexSHA256.
func (s *Splits) record(src *Source, train, val, test []int) {
	s.index = [3][]int{train, val, test}
	if src.Test != nil {
		s.index[2], s.ownTest = nil, src.Test.Len()
	}
}

// splitStream tells the split generator apart from other users of a seed.
const splitStream = 0x73706c6974 // "split"

// Split divides a source by class: for each class, its examples are
// shuffled by a PCG generator seeded with cfg.Seed and round(count×Test)
// of them go to Test, round(count×Val) to Val and the rest to Train, so
// that every class is represented within one example of its exact share.
// When src.Test is set it is kept as the test split and only Val is taken
// from src.Train. Each split keeps the original order of its examples.
func Split(src *Source, cfg SplitConfig) (*Splits, error) {
	train, val, test, err := splitIndices(src, cfg)
	if err != nil {
		return nil, err
	}
	d := src.Train
	out := &Splits{Train: d.Subset(train), Val: d.Subset(val), Test: d.Subset(test)}
	if src.Test != nil {
		out.Test = src.Test
	}
	out.record(src, train, val, test)
	return out, nil
}

// SplitReusing splits like Split, with the same result, but builds the
// training split in src.Train's own memory instead of a copy: it needs no
// second copy of the training data (about 190 MB for Fashion-MNIST) at its
// peak. src.Train must not be used afterwards.
func SplitReusing(src *Source, cfg SplitConfig) (*Splits, error) {
	train, val, test, err := splitIndices(src, cfg)
	if err != nil {
		return nil, err
	}
	d := src.Train
	out := &Splits{Val: d.Subset(val), Test: d.Subset(test)}
	if src.Test != nil {
		out.Test = src.Test
	}
	out.record(src, train, val, test)
	// train is ascending, so each example moves towards the front, over
	// examples already moved or left behind.
	s := d.SampleSize()
	for j, i := range train {
		if i != j {
			copy(d.X[j*s:(j+1)*s], d.X[i*s:(i+1)*s])
			d.Y[j] = d.Y[i]
		}
	}
	kept := *d
	kept.X, kept.Y = d.X[:len(train)*s:len(train)*s], d.Y[:len(train):len(train)]
	out.Train = &kept
	src.Train = nil
	return out, nil
}

// splitIndices draws the indices of each split, each in ascending order.
func splitIndices(src *Source, cfg SplitConfig) (train, val, test []int, err error) {
	if src == nil || src.Train == nil {
		return nil, nil, nil, fmt.Errorf("split: no training data")
	}
	testFrac := cfg.Test
	if src.Test != nil {
		testFrac = 0
	}
	if err := checkFractions(cfg.Val, testFrac); err != nil {
		return nil, nil, nil, err
	}
	d := src.Train
	byClass := make([][]int, d.NumClasses())
	for i, y := range d.Y {
		if y < 0 || y >= len(byClass) {
			return nil, nil, nil, fmt.Errorf("%s: example %d has label %d, outside [0, %d)", d.Source, i, y, len(byClass))
		}
		byClass[y] = append(byClass[y], i)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, splitStream))
	for _, idx := range byClass {
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		nTest := int(math.Round(float64(len(idx)) * testFrac))
		nVal := int(math.Round(float64(len(idx)) * cfg.Val))
		test = append(test, idx[:nTest]...)
		val = append(val, idx[nTest:nTest+nVal]...)
		train = append(train, idx[nTest+nVal:]...)
	}
	for _, s := range [][]int{train, val, test} {
		slices.Sort(s)
	}
	if len(train) == 0 {
		return nil, nil, nil, fmt.Errorf("%s: the training split is empty (%d examples, val %g, test %g); lower the held-out fractions", d.Source, d.Len(), cfg.Val, testFrac)
	}
	if cfg.Val > 0 && len(val) == 0 {
		return nil, nil, nil, emptySplit("data.val", "validation", d, cfg.Val, byClass, testFrac)
	}
	if testFrac > 0 && len(test) == 0 {
		return nil, nil, nil, emptySplit("data.test", "test", d, testFrac, byClass, cfg.Val)
	}
	return train, val, test, nil
}

// emptySplit is the error for a held-out fraction frac (the setting key)
// too small to draw one example of any class of d, byClass its examples
// by class, other the other held-out fraction. It suggests the smallest
// fraction that draws one, when that leaves every class a training
// example; else more data. Only the test split may be turned off (0):
// training needs a validation split to pick its best epoch.
func emptySplit(key, split string, d *Dataset, frac float64, byClass [][]int, other float64) error {
	largest := 0
	for _, idx := range byClass {
		largest = max(largest, len(idx))
	}
	msg := fmt.Sprintf("%g leaves the %s split of %s empty: it rounds to 0 examples in every class (%d examples, at most %d in a class)",
		frac, split, d.Source, d.Len(), largest)
	off := ""
	if key == "data.test" {
		off = ", or set it to 0 for no test split"
	}
	// The smallest fraction with round(largest·f) >= 1, rounded up to two
	// significant digits.
	f := 0.5 / float64(max(largest, 1))
	scale := math.Pow(10, math.Floor(math.Log10(f))-1)
	f = math.Ceil(f/scale-1e-6) * scale
	for math.Round(float64(largest)*f) < 1 {
		f += scale
	}
	fits := f+other < 1
	for _, idx := range byClass {
		n := float64(len(idx))
		if len(idx) > 0 && len(idx)-int(math.Round(n*f))-int(math.Round(n*other)) < 1 {
			fits = false
		}
	}
	if !fits {
		return setting.Errorf(key, "%s, and a larger fraction would leave a class without a training example: use more data%s", msg, off)
	}
	return setting.Errorf(key, "%s; raise it to %s or more%s", msg, strconv.FormatFloat(f, 'g', 2, 64), off)
}

// checkFractions validates the held-out fractions.
func checkFractions(val, test float64) error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"validation", val}, {"test", test}} {
		if math.IsNaN(f.v) || f.v < 0 || f.v >= 1 {
			return fmt.Errorf("split: %s fraction %g; want a fraction in [0, 1), such as 0.1", f.name, f.v)
		}
	}
	if val+test >= 1 {
		return fmt.Errorf("split: validation (%g) + test (%g) fractions add up to %g, leaving nothing to train on; keep their sum below 1, such as 0.1 + 0.1", val, test, val+test)
	}
	return nil
}
