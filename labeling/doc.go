// Package labeling turns unlabeled examples into labels: queues that
// order the examples a person (or, in a simulation, the source's own
// labels) should label next — by clusters of an embedding, by the model's
// uncertainty, or at random — a journal that keeps every decision before
// it is acknowledged, and the local web page a person labels from with the
// keyboard. The labels it writes are the index,label CSV that train
// --labels reads, which may label some of the examples only.
//
// Simulate plays a person who labels truthfully from each queue,
// retraining briefly after every round as train does, so that the
// strategies' learning curves can be compared before anyone labels.
package labeling
