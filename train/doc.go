// Package train runs the training loop: seeded mini-batches through a
// model's training graph, an optimizer of our own over the raw float32
// weights (Adam, AdamW, SGD with momentum; gradient clipping by norm), and
// per-epoch metrics from the evaluation graph.
//
// What later stages add (early stopping, learning-rate schedules, the range
// test, checkpointing, progress) plugs in as hooks: small interfaces the
// loop calls before each step and after each epoch, never special cases
// inside it.
//
// The loop is deterministic: the order of examples, the dropout masks and
// the augmentation of an epoch are drawn from generators seeded by (seed,
// epoch), so the same seed and config give the same bits, and a resumed
// run sees exactly the batches an uninterrupted one would.
package train
