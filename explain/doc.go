// Package explain says what a trained model relies on, two ways.
//
// Permutation importance (Permutation) is global and needs labels: how much
// accuracy falls and the log loss rises when one feature's column is
// shuffled across the examples, breaking its link to the label while
// keeping its distribution, as scikit-learn's permutation_importance
// defines it.
//
// Integrated Gradients (IntegratedGradients; Sundararajan, Taly and Yan,
// 2017) is per prediction: each input value's share of the predicted
// class's logit, relative to a baseline input. The attributions add up to
// f(x) − f(baseline) (completeness), which is how a reader can check them.
//
// Both work on the model's input, after the run's normalization. Shuffling
// a normalized column equals normalizing a shuffled raw column, as the
// normalization is affine per column; and an attribution is in logit units
// whatever the input's scale, since Integrated Gradients is unchanged by a
// per-feature affine map of the input and its baseline.
package explain
