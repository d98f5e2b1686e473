package labeling

// Strategies: the orders a Queue offers examples in.
const (
	// Random offers examples in a seeded random order: labels that give an
	// unbiased estimate of accuracy.
	Random = "random"
	// Uncertain offers the examples a run's model is least sure of first
	// (margin, entropy or BALD), one at a time with its top classes.
	Uncertain = "uncertain"
	// Cluster offers one cluster of an embedding at a time, its most
	// typical members first, so that a person labels a cluster at once.
	Cluster = "cluster"
)

// ClassScore is one of a model's top classes for an example.
type ClassScore struct {
	Class       string  `json:"class"`
	Probability float64 `json:"probability"`
}

// Example is one example a queue offers.
type Example struct {
	// Index is the example's row in the source's training set (as
	// data.Open returns it): the index of the labels file.
	Index int `json:"index"`
	// Suggested is the label proposed for it: the model's prediction, or
	// the labeled majority of its cluster; empty when there is none.
	Suggested string `json:"suggested,omitempty"`
	// Top are the model's most probable classes (Uncertain).
	Top []ClassScore `json:"top,omitempty"`
	// Score is what the queue ranked it by (higher first): the
	// uncertainty, or the closeness to its cluster's centre.
	Score float64 `json:"score"`
	// Cluster is its cluster (Cluster), else -1.
	Cluster int `json:"cluster"`
}

// State is what a queue needs to know of the labeling so far.
type State interface {
	// Taken reports an example that must not be offered: labeled, skipped,
	// or leased to another page.
	Taken(index int) bool
	// Label is an example's label, when it has one.
	Label(index int) (label string, ok bool)
}

// Queue is one strategy's order over the examples.
type Queue interface {
	// Strategy is Random, Uncertain or Cluster.
	Strategy() string
	// Next returns the next group to offer among the examples st has not
	// taken: for Cluster the remaining members of one cluster, most
	// typical first, suggested the majority label of its labeled members;
	// otherwise one example. ok is false when none remains.
	Next(st State) (group []Example, ok bool)
}
