package labeling

import (
	"fmt"
	"math/rand/v2"

	"github.com/practica-ml/practica/data"
)

// PoolOptions say which examples to label and how to order them.
type PoolOptions struct {
	// Source is any data source train takes (--data); Open is how it is
	// read (CSV options, $PRACTICA_DATA).
	Source string
	Open   data.OpenOptions
	// Run, when set, is a run directory whose model ranks examples by
	// uncertainty and embeds them for clustering.
	Run string
	// Seed seeds the random order and the clustering.
	Seed uint64
}

// Pool is the examples to label: the source's training set, with the
// source's own labels (hidden from the person unless asked for, the
// answers of a simulation).
type Pool struct {
	Options PoolOptions
	// Data is the source's training set as data.Open returns it: the
	// rows the labels file indexes.
	Data *data.Dataset
	// Test is the source's test set, when it has one of its own.
	Test *data.Dataset
}

// OpenPool opens the source of opt.
func OpenPool(opt PoolOptions) (*Pool, error) {
	src, err := data.Open(opt.Source, opt.Open)
	if err != nil {
		return nil, err
	}
	if src.Train.Len() == 0 {
		return nil, fmt.Errorf("%s has no examples to label", opt.Source)
	}
	return &Pool{Options: opt, Data: src.Train, Test: src.Test}, nil
}

// Queue returns the queue of a strategy over the pool.
func (p *Pool) Queue(strategy string) (Queue, error) {
	switch strategy {
	case Random:
		return newRandomQueue(p.Data.Len(), p.Options.Seed), nil
	}
	return nil, fmt.Errorf("strategy %q: want %s, %s or %s", strategy, Random, Uncertain, Cluster)
}

// randomQueue offers the examples in a seeded random order.
type randomQueue struct{ order []int }

func newRandomQueue(n int, seed uint64) *randomQueue {
	rng := rand.New(rand.NewPCG(seed, 0x1abe1))
	return &randomQueue{order: rng.Perm(n)}
}

func (*randomQueue) Strategy() string { return Random }

func (q *randomQueue) Next(st State) ([]Example, bool) {
	for _, i := range q.order {
		if !st.Taken(i) {
			return []Example{{Index: i, Cluster: -1}}, true
		}
	}
	return nil, false
}
