// Package report is what eval writes: the evaluation of a run's best model
// on a split (metrics.json, predictions.csv, the figures and one
// self-contained report.html with every image embedded as a data URI and
// nothing fetched from a network), the profile of a data source before any
// training (class balance, feature statistics, duplicates and leakage
// between splits, a sample grid, a 2-D PCA view), and the comparison of
// several runs (a table, overlaid curves, McNemar's test between runs
// scored on the same test split).
//
// The decision metrics come from package metrics, the calibration metrics
// and the reliability diagram from package calibration, the figures from
// gonum/plot with package figures' style.
package report
