// Package inference serves a trained model with exactly the preprocessing
// it was trained with: it loads a checkpoint (architecture, weights, input
// schema, class names, normalization), checks new inputs against the
// schema, converts them to the training shape and scale, normalizes them
// with the stored statistics, and runs the evaluation graph. The logits it
// returns are bit-identical to those of evaluation during training.
package inference
