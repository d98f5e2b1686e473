// Package feasibility answers, before any long experiment, whether an
// approach can work at all, with a verdict and its reasons:
//
//   - Overfit (overfit-one, overfit-batch): can the configured model
//     memorize one example, or a small batch, within a step budget? PASS
//     when the eval-mode loss on those examples falls below max(0.01, 1% of
//     the initial loss) with every example classified correctly; FAIL with
//     the reason otherwise (the plateau value, a NaN, an initial loss far
//     from ln C). On a batch, the same training with the inputs zeroed must
//     end clearly worse (at least 10× and 0.1 above), or the model is
//     flagged as not needing its inputs.
//   - Naive embeddings: is there signal in the data? Linear and k-NN probes
//     on simple embeddings (raw features, a seeded Gaussian random
//     projection, PCA, the untrained CNN for images), scored on the
//     validation split against the majority-class rate with an exact
//     binomial test (Bonferroni-corrected) and a 5-point margin: SIGNAL or
//     NO SIGNAL.
//   - Clustering: k-means++ on the best embedding, with purity, NMI,
//     adjusted Rand index and silhouette, and a 2-D PCA scatter. CLUSTERS
//     when the NMI beats 999 seeded shuffles of the labels (p < 0.01) and
//     the adjusted Rand index is at least 0.05, NO CLUSTERS otherwise: a
//     verdict that informs but does not decide the exit status, since
//     separable classes need not form round clusters.
//
// Run runs the tests a command line asks for on a prepared experiment and
// returns a Report, which renders as JSON (feasibility.json), Markdown
// (feasibility.md) and a plain-text summary; figures.WriteFeasibility
// draws its PNG plots. Every random draw is seeded from the experiment's
// seed: the same command gives the same numbers.
package feasibility
