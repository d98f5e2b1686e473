// Package calibration measures how well predicted probabilities match
// observed frequencies and corrects them.
//
// Metrics (Evaluate) are computed on the top label of N×C row-major
// probabilities against integer labels: accuracy, negative log-likelihood,
// the multiclass Brier score (mean over examples of Σ_k (p_k − y_k)²),
// ECE and MCE over M equal-width confidence bins (lo, hi] (Guo et al. 2017),
// ACE over M equal-mass bins, and classwise ECE (Kull et al. 2019). Every
// Report names its binning. Bootstrap gives a seeded 95% percentile
// interval for ECE.
//
// Calibrators map logits to probabilities without changing the predicted
// class (except Platt and vector scaling, which may):
//   - temperature scaling (FitTemperature, Softmax): one scalar T > 0 found
//     by a 1-D search over log T minimizing the NLL; what train fits on the
//     validation split and stores in the checkpoint, and predict applies;
//   - vector scaling (FitVectorScaling): a scale and a bias per class;
//   - Platt scaling (FitPlatt): a sigmoid of the logit margin, for two
//     classes.
//
// Uncertainty (MCSummary, Entropy) summarizes K stochastic forward passes
// (MC dropout): the mean probabilities, the predictive entropy and the
// mutual information between the prediction and the weights (BALD). Score
// and Rank order examples by how much labelling them is worth (active
// learning): least-confident, margin, entropy or bald.
//
// The package draws nothing: figures.ReliabilityPNG draws a Split's
// reliability diagrams.
package calibration
