// Package setup holds what every stage of the workflow shares: the data of
// an experiment opened, split and normalized exactly as training sees it,
// the model and optimizer built from the config, the class weights, and the
// one constructor of a training loop. The orchestrator (experiment), the
// stages (feasibility, lrsweep), inference and the reports all start from a
// Prepared, so none of them can drift from what training did.
package setup
