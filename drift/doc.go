// Package drift tells whether new data (served inputs, a new batch) differ
// from the data a model was trained on, and how.
//
// Tabular features are tested one by one as Evidently tests them by
// default: with at most 1,000 reference rows, the two-sample
// Kolmogorov-Smirnov test for a numeric feature with more than 5 distinct
// reference values and the chi-squared test for the others, drift at
// p < 0.05; with more, the Wasserstein-1 distance divided by the
// reference's standard deviation for numeric features and the
// Jensen-Shannon distance (natural log) for the others, drift above 0.1.
// Evidently uses a proportions Z-test for binary features; this package
// uses the chi-squared test there too, which on two categories asks the
// same question. Beside each test is the population stability index on 10
// reference-quantile bins (0.1: moderate shift, 0.25: major). The dataset
// drifts when at least a share (0.5) of the features drift.
//
// Images are compared in the model's own embedding (its last hidden layer)
// by the maximum mean discrepancy MMD² with a Gaussian kernel whose
// bandwidth is the median heuristic, and a permutation-test p-value, as
// alibi-detect's MMDDrift computes them. The predicted classes (chi-squared)
// and the confidences (Kolmogorov-Smirnov) of new against reference data
// are tested for every model.
//
// The Dataset verdict (Report.Drift) is the features' share for tabular
// data and the embedding test for images. A caller that alerts should
// use Report.Alarm, which adds the predictions' tests: the model may
// answer differently although no single feature moved enough.
//
// Written here rather than taken from gonum: the two-sample KS p-value
// (gonum has the statistic only; this package computes the exact
// probability by the lattice-path recursion that R's psmirnov uses, and
// Kolmogorov's limiting distribution when both samples are large), the
// Wasserstein-1 distance, the Jensen-Shannon distance, the PSI and the MMD,
// none of which gonum has. The chi-squared tail is gonum's distuv.
package drift
