// Package driftreport writes what eval --drift found (package drift) into
// a directory: drift.json, drift.png (the most drifted features'
// histograms, or for images samples of each side and the embedding test's
// permutation null) and a report.html that says it in plain words.
package driftreport
