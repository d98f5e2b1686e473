package labeling

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/practica-ml/practica/calibration"
	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/inference"
)

// DefaultMCPasses is PoolOptions.MCPasses when left 0: the MC dropout
// passes BALD averages over.
const DefaultMCPasses = 20

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
	// Score is how the Uncertain queue measures uncertainty:
	// calibration.Margin ("margin", the default: 1 − the gap between the
	// top two probabilities), calibration.MaxEntropy ("entropy"),
	// calibration.BALD ("bald", MC dropout, for a model with dropout) or
	// calibration.LeastConfident.
	Score string
	// MCPasses is the number of MC dropout passes of bald (0:
	// DefaultMCPasses).
	MCPasses int
	// Clusters is the number of clusters of the Cluster queue (0: chosen
	// from the number of classes, see ChooseK).
	Clusters int
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

	// predictor is the run's model, loaded on first use.
	predictor *inference.Predictor
}

// OpenPool opens the source of opt. A labels file in opt.Open is
// ignored: the pool is the source's examples with the source's labels.
func OpenPool(opt PoolOptions) (*Pool, error) {
	if err := checkScore(opt.Score); err != nil {
		return nil, err
	}
	open := opt.Open
	open.LabelsFile = ""
	src, err := data.Open(opt.Source, open)
	if err != nil {
		return nil, err
	}
	if src.Train.Len() == 0 {
		return nil, fmt.Errorf("%s has no examples to label", opt.Source)
	}
	return &Pool{Options: opt, Data: src.Train, Test: src.Test}, nil
}

// checkScore refuses an uncertainty score calibration does not know.
func checkScore(score string) error {
	if score != "" && !slices.Contains(calibration.Methods(), score) {
		return fmt.Errorf("uncertainty score %q: want %s, %s or %s (or %s)", score, calibration.Margin, calibration.MaxEntropy, calibration.BALD, calibration.LeastConfident)
	}
	return nil
}

// Queue returns the queue of a strategy over the pool: Random, a seeded
// permutation; Uncertain, the run's model's least sure first (it needs
// Options.Run); Cluster, k-means clusters of the run's embedding (or,
// without a run, of principal components of the normalized inputs).
func (p *Pool) Queue(strategy string) (Queue, error) {
	switch strategy {
	case Random:
		return newRandomQueue(p.Data.Len(), p.Options.Seed), nil
	case Uncertain:
		if p.Options.Run == "" {
			return nil, fmt.Errorf("the %s queue ranks the examples by a model's uncertainty, and no run was given: give a run directory (--run DIR), or use the %s or %s queue", Uncertain, Cluster, Random)
		}
		pr, err := p.runPredictor()
		if err != nil {
			return nil, err
		}
		return newUncertainQueue(pr, p.Data, p.Options.Score, p.Options.MCPasses, p.Options.Seed)
	case Cluster:
		emb, err := p.Embed()
		if err != nil {
			return nil, err
		}
		k := p.Options.Clusters
		if k <= 0 {
			k = ChooseK(emb.Classes, p.Data.Len())
		}
		return newClusterQueue(emb, k, p.Options.Seed), nil
	}
	return nil, fmt.Errorf("strategy %q: want %s, %s or %s", strategy, Random, Uncertain, Cluster)
}

// runPredictor loads the run's model once.
func (p *Pool) runPredictor() (*inference.Predictor, error) {
	if p.predictor == nil {
		pr, _, err := inference.LoadRun(p.Options.Run, "")
		if err != nil {
			return nil, err
		}
		p.predictor = pr
	}
	return p.predictor, nil
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
