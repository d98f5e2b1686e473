// Package evaluation is what eval --run writes: a run's model (its
// best.ckpt, served by package inference with its training preprocessing)
// scored on a split of its own data, drawn exactly as training drew it, or
// on another source matched to it by name. metrics.json holds the
// decision metrics (package metrics: accuracy with its Wilson interval,
// per-class precision, recall and F1, the confusion matrix, ROC and PR for
// two classes) and the calibration before and after temperature scaling in
// the schema of the run's calibration.json (package calibration), with the
// bins, bootstrap resamples and seed of the run's config unless overridden.
// Every top-level number is of the probabilities predict serves, at the
// checkpoint's temperature (T = 1 when it has none); for a checkpoint
// without one, what a temperature eval fits on the validation split would
// change goes only into a what_if_calibrated block labelled as not served,
// since a reader takes the top-level numbers for the model's.
// predictions.csv holds the probabilities predict serves; the figures and one
// self-contained report.html (package report) say the same in plain
// words, next to what the run directory recorded about its training.
package evaluation
