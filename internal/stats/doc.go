// Package stats is the statistics the feasibility tests and the data
// profile share: k-means++ clustering and the scores that compare a
// partition with labels (purity, NMI, adjusted Rand index, silhouette),
// principal component analysis, cosine k-nearest-neighbour
// classification, the entropy of a count vector and the exact binomial
// tail.
//
// Everything is deterministic: the only random draws (k-means++ seeding)
// come from a generator seeded by the caller, so the same inputs give the
// same numbers, bit for bit.
package stats
