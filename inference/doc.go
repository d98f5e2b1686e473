// Package inference serves a trained model with exactly the preprocessing
// it was trained with: it loads a checkpoint (architecture, weights, input
// schema, class names, normalization), checks new inputs against the
// schema, converts them to the training shape and scale, normalizes them
// with the stored statistics, and runs the evaluation graph. The logits it
// returns are bit-identical to those of evaluation during training.
//
// It also brings a dataset opened as training opens one (the run's own
// source or another) to the model's input, features and classes matched
// by name (Conform), and picks a split of it (SelectSplit): what eval
// and predict --split score.
package inference
