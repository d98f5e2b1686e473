// Package modelrepo describes a trained model in a model card
// (model.json) and keeps models in a versioned model repository laid out
// as KServe and Triton lay theirs out:
//
//	<root>/<name>/<version>/model.ckpt
//	<root>/<name>/<version>/model.json
//
// where version is a positive integer written without leading zeros. The
// card pins the checkpoint by its SHA-256 and records what a server and
// its clients need to trust it: the Practica build that trained it, the
// data it was trained on, its input schema and classes, its calibration
// temperature, its test metrics and the run's resolved config.
//
// train writes a card into every run directory (its checkpoint field is
// then checkpoints/best.ckpt); Export copies a run's model and card into
// a repository as its next version; Scan lists the versions a server may
// serve. Every path this package opens comes from the caller's flags or
// from a directory listing, never from what a card or a request says: a
// card's checkpoint field must be a file name inside its own directory.
package modelrepo
