package data

import "math/rand/v2"

// EpochOrder is the order in which the examples of a dataset of n examples
// are visited in the given epoch: a permutation drawn from a generator
// seeded by (seed, epoch) when shuffling, the identity otherwise. Deriving it
// from the epoch number (not from a running generator) lets a resumed run
// visit exactly the batches an uninterrupted one would.
func EpochOrder(n int, seed uint64, epoch int, shuffle bool) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if shuffle {
		r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15^uint64(epoch)))
		r.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	return order
}

// Batch is one mini-batch: Size examples copied into X (row-major) and Y.
type Batch struct {
	X       []float32
	Y       []int
	Indices []int
	Size    int
}

// Batches cuts an order of example indices into mini-batches of batchSize;
// the last batch may be smaller. The buffers of the returned batches are
// fresh; use Fill to reuse one buffer.
func Batches(order []int, batchSize int) [][]int {
	var out [][]int
	for start := 0; start < len(order); start += batchSize {
		end := min(start+batchSize, len(order))
		out = append(out, order[start:end])
	}
	return out
}

// Fill copies the examples at indices into b, reusing its buffers.
func (d *Dataset) Fill(b *Batch, indices []int) {
	s := d.SampleSize()
	if cap(b.X) < len(indices)*s {
		b.X = make([]float32, len(indices)*s)
	}
	if cap(b.Y) < len(indices) {
		b.Y = make([]int, len(indices))
	}
	b.X = b.X[:len(indices)*s]
	b.Y = b.Y[:len(indices)]
	for j, i := range indices {
		copy(b.X[j*s:(j+1)*s], d.X[i*s:(i+1)*s])
		b.Y[j] = d.Y[i]
	}
	b.Indices = indices
	b.Size = len(indices)
}
