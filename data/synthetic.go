package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
)

// Bounds on the parameters of the synthetic generators.
const (
	maxSyntheticN      = 10_000_000
	maxSyntheticD      = 100_000
	maxSyntheticC      = 10_000
	maxSyntheticValues = 1 << 28
)

// synthStream tells the synthetic generators apart from other users of a
// seed.
const synthStream = 0x73796e7468 // "synth"

// Blobs generates n examples of d features in c classes: one isotropic
// gaussian (standard deviation 1) per class around well-separated centres.
// Centre k lies on axis k mod d at ±8, ±16, ... so that any two centres are
// at least 8 standard deviations apart. Labels are balanced (k mod c) in a
// shuffled order.
func Blobs(n, d, c int, seed uint64) (*Dataset, error) {
	if err := checkSynthetic("blobs", n, d, c, 1); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, synthStream))
	ds := newSynthetic(fmt.Sprintf("blobs:n=%d,d=%d,c=%d", n, d, c), n, d, c)
	balancedLabels(ds.Y, c, rng)
	for i, y := range ds.Y {
		row := ds.X[i*d : (i+1)*d]
		for j := range row {
			row[j] = float32(rng.NormFloat64())
		}
		ring := y / d
		r := 8 * float32(1+ring/2)
		if ring%2 == 1 {
			r = -r
		}
		row[y%d] += r
	}
	return ds, nil
}

// Spirals generates n examples of c interleaved spiral arms in the plane
// (c = 2 is the classic two-spirals problem): arm k starts at the origin at
// angle 2πk/c and winds 1.5 turns outwards, with gaussian jitter. Features
// beyond the first two (d > 2) are gaussian noise dimensions. Labels are
// balanced in a shuffled order.
func Spirals(n, d, c int, seed uint64) (*Dataset, error) {
	if err := checkSynthetic("spirals", n, d, c, 2); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, synthStream))
	ds := newSynthetic(fmt.Sprintf("spirals:n=%d,d=%d,c=%d", n, d, c), n, d, c)
	balancedLabels(ds.Y, c, rng)
	for i, y := range ds.Y {
		row := ds.X[i*d : (i+1)*d]
		t := rng.Float64()
		theta := 2*math.Pi*float64(y)/float64(c) + 3*math.Pi*t + 0.15*rng.NormFloat64()
		row[0] = float32(t*math.Cos(theta) + 0.02*rng.NormFloat64())
		row[1] = float32(t*math.Sin(theta) + 0.02*rng.NormFloat64())
		for j := 2; j < d; j++ {
			row[j] = float32(0.5 * rng.NormFloat64())
		}
	}
	return ds, nil
}

// Noise generates n examples of d standard gaussian features whose labels
// (uniform over c classes) are drawn independently of them: nothing can be
// learnt, so a model should stay at chance on held-out data.
func Noise(n, d, c int, seed uint64) (*Dataset, error) {
	if err := checkSynthetic("noise", n, d, c, 1); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, synthStream))
	ds := newSynthetic(fmt.Sprintf("noise:n=%d,d=%d,c=%d", n, d, c), n, d, c)
	for i := range ds.Y {
		ds.Y[i] = rng.IntN(c)
	}
	for i := range ds.X {
		ds.X[i] = float32(rng.NormFloat64())
	}
	return ds, nil
}

// checkSynthetic validates generator parameters.
func checkSynthetic(name string, n, d, c, minD int) error {
	switch {
	case n < 1 || n > maxSyntheticN:
		return fmt.Errorf("%s: n=%d examples; want 1..%d", name, n, maxSyntheticN)
	case d < minD || d > maxSyntheticD:
		return fmt.Errorf("%s: d=%d features; want %d..%d", name, d, minD, maxSyntheticD)
	case c < 2 || c > maxSyntheticC:
		return fmt.Errorf("%s: c=%d classes; want 2..%d", name, c, maxSyntheticC)
	case n > maxSyntheticValues/d:
		return fmt.Errorf("%s: n×d = %d×%d values; want at most %d", name, n, d, maxSyntheticValues)
	}
	return nil
}

// newSynthetic allocates a tabular dataset with features f0.. and classes
// "0"..
func newSynthetic(source string, n, d, c int) *Dataset {
	names := make([]string, d)
	for j := range names {
		names[j] = "f" + strconv.Itoa(j)
	}
	return &Dataset{
		Source:       source,
		Kind:         Tabular,
		Shape:        []int{d},
		X:            make([]float32, n*d),
		Y:            make([]int, n),
		Classes:      numberedClasses(c),
		FeatureNames: names,
	}
}

// balancedLabels fills y with i mod c and shuffles it.
func balancedLabels(y []int, c int, rng *rand.Rand) {
	for i := range y {
		y[i] = i % c
	}
	rng.Shuffle(len(y), func(i, j int) { y[i], y[j] = y[j], y[i] })
}
