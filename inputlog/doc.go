// Package inputlog keeps the inputs a server was asked about, as data
// files that the data sources read back exactly (float32 bit for bit), so
// that served traffic can be profiled (eval --data), evaluated, trained
// on, or compared with the training data for drift.
//
// A Log writes under its directory, for each model and version,
// DIR/<model>/<version>/:
//
//   - inputs-000001.csv, for a tabular model: the training CSV's format
//     (its delimiter; its ignored columns, left empty; the feature names
//     as header; the label column last), each value in its shortest
//     float32 form, a missing cell (NaN, for a model that fills them)
//     empty, and the predicted class's name as the label;
//   - inputs-000001/, for an image model: an IDX directory whose
//     train-images-idx3-ubyte holds the raw pixels as float32 (element
//     type 0x0D; N×H×W, or N×C×H×W for several channels), so that a scale
//     such as the digits' 0..16 is kept exactly, and whose
//     train-labels-idx1-ubyte holds the predicted class indices;
//   - inputs-000001.meta.jsonl next to each, one JSON object per example
//     in the data file's order: row (its place in the data file, from 0),
//     time (RFC 3339, nanoseconds, UTC), model, version, predicted (the
//     class name) and confidence (the predicted class's probability). The
//     data file stays a clean data source.
//
// The label of a logged example is the class the model predicted, not a
// truth: a profile of the files shows the predictions' balance, and a
// labels file (train --labels) puts true labels in their place.
//
// A file holds at most Options.MaxRows examples (and never more values
// than data.DefaultMaxIDXValues, so that it reads back within the
// default limits); the next one takes the next number. Numbers are six
// digits wide (up to 999,999), so that names sort in the order written,
// and a Log opened on a directory that already holds files goes on after
// the highest number there rather than overwriting.
//
// A file being written has a hidden name, ".inputs-000001.csv.part" (or
// ".inputs-000001.part/" and ".inputs-000001.meta.jsonl.part"), which no
// reader takes for a data file. When it is full, or at Close, it is
// flushed, synced and renamed to its final name, the sidecar first: a
// finished data file always has its sidecar, and a crash leaves only a
// hidden .part behind, never a corrupt finished file. A .part found when
// a Log is opened is left alone (it holds what the crashed process wrote
// before the crash), and its number is not reused.
//
// Sampling keeps a fraction of the examples by a hash of the seed, the
// model, the version and the example's count within that model version:
// the same sequence of calls keeps the same examples, however it is cut
// into requests.
//
// One process owns a directory at a time; a Log is safe for concurrent
// use by many goroutines.
package inputlog
