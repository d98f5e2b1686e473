// Package compare is what eval --compare writes: several runs' best models
// scored on their test split (package evaluation), compare.json with one
// line per run (its config facts, accuracy with its interval, macro F1,
// NLL, ECE), McNemar's test between every two runs scored on the same
// examples (a fingerprint of the examples and labels tells), and a
// report.html (package report) with the table, the validation curves
// overlaid and the accuracies with their intervals.
package compare
