package search

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"math/rand/v2"

	"github.com/practica-ml/practica/config"
)

// Trial is one point of the space: its index, the value of every
// parameter (in the space's key order) and its training seed.
type Trial struct {
	Index  int
	Values []any
	Seed   uint64
}

// Trial is trial i of the space, a pure function of the space's canonical
// content (its seed included, its number of trials left out, so that a
// longer search begins with the trials of a shorter one) and i: where and
// when it runs does not matter.
//
// Random and halving draw from a PCG seeded with (a hash of the space, i):
// first the training seed, then each parameter in key order. Grid walks
// the cartesian product of the choices with the last key (in sorted
// order) changing fastest, like nested loops over the sorted keys; its
// seeds come from the same PCG.
func (s *Space) Trial(i int) Trial {
	rng := rand.New(rand.NewPCG(s.hash(), uint64(i)))
	// 31 bits: a seed a person can read and type back as --seed.
	t := Trial{Index: i, Seed: rng.Uint64() >> 33, Values: make([]any, len(s.Params))}
	if s.Method == Grid {
		rest := i
		for k := len(s.Params) - 1; k >= 0; k-- {
			c := s.Params[k].Choices
			t.Values[k] = c[rest%len(c)]
			rest /= len(c)
		}
		return t
	}
	for k, p := range s.Params {
		t.Values[k] = p.sample(rng)
	}
	return t
}

// sample draws one value of p.
func (p Param) sample(rng *rand.Rand) any {
	switch p.Kind {
	case LogUniform:
		return math.Exp(math.Log(p.Lo) + rng.Float64()*(math.Log(p.Hi)-math.Log(p.Lo)))
	case Uniform:
		return p.Lo + rng.Float64()*(p.Hi-p.Lo)
	case IntUniform:
		return int(p.Lo) + rng.IntN(int(p.Hi)-int(p.Lo)+1)
	default:
		return p.Choices[rng.IntN(len(p.Choices))]
	}
}

// hash is the FNV-1a hash of the canonical content without the number of
// trials.
func (s *Space) hash() uint64 {
	c := *s
	c.Trials = 0
	h := fnv.New64a()
	h.Write(c.Canonical())
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], s.Seed)
	h.Write(b[:])
	return h.Sum64()
}

// Config is base with the trial's parameters and seed set.
func (s *Space) Config(base config.Experiment, t Trial) (config.Experiment, error) {
	cfg := base
	// The base's lists are shared with every trial's copy: give each its own.
	cfg.Model.Hidden = append([]int(nil), base.Model.Hidden...)
	cfg.Model.Channels = append([]int(nil), base.Model.Channels...)
	if base.Model.Hidden == nil {
		cfg.Model.Hidden = nil
	}
	if base.Model.Channels == nil {
		cfg.Model.Channels = nil
	}
	for k, p := range s.Params {
		if err := config.Set(&cfg, p.Key, t.Values[k]); err != nil {
			return cfg, err
		}
	}
	cfg.Training.Seed = t.Seed
	// A trial's best epoch is the one the search ranks it by.
	cfg.Training.Monitor = s.Metric
	return cfg, cfg.Validate()
}
