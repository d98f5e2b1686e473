// Package profile describes a data source before any training, split as
// train would split it (same flags, same seed): profile.json with the
// class balance per split, every feature's min, max, mean and std,
// constant and duplicate features, duplicate rows and those with
// conflicting labels, exact duplicates shared between train, val and test
// (leakage), the NaN, infinite, empty and non-numeric cells of a CSV by
// column (package data's own cell parser, so that a file that does not
// load still gets a profile saying why), and a 2-D PCA view; and a
// report.html (package report) with a sample grid for images.
package profile
