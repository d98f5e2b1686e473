// Package metrics computes what eval reports about a classifier's decisions
// on labelled examples: accuracy with its 95% Wilson score interval,
// per-class precision, recall, F1 and support with their macro and
// weighted averages, the confusion matrix, the most-confused pairs, for
// two classes the ROC and precision-recall curves with their areas, and
// McNemar's test of whether two classifiers scored on the same examples
// really differ. It depends on nothing but the standard library; the
// calibration metrics (NLL, Brier, ECE) live in package calibration.
package metrics
