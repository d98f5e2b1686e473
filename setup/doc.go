// Package setup holds what every stage of the workflow shares: the data of
// an experiment opened, split and normalized exactly as training sees it,
// the model and optimizer built from the config, the class weights, and the
// one constructor of a training loop. The orchestrator (experiment), the
// stages (feasibility, lrsweep), inference and the reports all start from a
// Prepared, so none of them can drift from what training did.
//
// Prepare also makes a run independent of the working directory it was
// started in: a source or labels file given as a path becomes absolute in
// the config a run records, and the data are fingerprinted (the bytes
// read and the split drawn) so that the readers of a run (OpenRunSplits,
// CheckData) can refuse data that are no longer those it was trained on.
//
// A fine-tuned run reads its training.init_from checkpoint once
// (LoadInitFrom), and every model NewModel then builds starts from its
// parameters of matching name and shape; NewLoop carries training.freeze
// and training.unfreeze_at to the loop.
package setup
