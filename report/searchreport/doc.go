// Package searchreport writes the report of a hyper-parameter search
// (eval --search, package search): the metric against each parameter,
// a parallel-coordinates plot, every trial's validation curve, and each
// parameter's importance, into report.html and its PNGs.
package searchreport
