// Package experiment runs the path of one `train` call from a resolved
// config to a finished run directory: open the data, split it, fit the
// normalization on the training split, build the model, train it with the
// loop's hooks (progress, metrics.csv, checkpoints), evaluate the best
// weights on the test split, and write summary.json.
//
// The feasibility tests, the learning-rate sweep and predict reuse Prepare,
// so every stage sees the data exactly as training did.
package experiment
