// Package search runs a hyper-parameter search over config keys (train
// --search SPACE.yaml), sharded over processes or machines that share one
// directory, and gathers what the shards wrote (eval --search).
//
// A space names config keys by their dotted path and gives each a
// distribution (log_uniform, uniform, int_uniform, choice); ParseSpace
// refuses anything a trial could not run with, naming the file and key.
// Trial i's parameters and training seed are a pure function of the
// space's canonical content and i (Space.Trial), so any process computes
// any trial. Trial i is an ordinary run directory,
// <out>/search-<name>/trials/<i> (four digits, zero-padded), trained with
// the base config, the trial's parameters, training.seed set to the
// trial's seed and training.monitor set to the search's metric.
//
// Sharding: shard K of N owns the trials i with i mod N = K, so no two
// shards write the same run directory. A shard that starts again skips
// its trials whose summary.json says they are finished and resumes the
// others from their last.ckpt.
//
// Halving is synchronous successive halving on ASHA's rungs: rung r
// trains its trials to min_epochs·eta^r epochs (the last rung to
// max_epochs); once every trial of a rung has reported (reached the
// rung's epochs, stopped for good, or failed), the top 1/eta of the rung
// (at least one) by the metric's best value within the rung's epochs,
// ties to the lower index, are promoted and continue from their own
// last.ckpt. Unlike ASHA, a shard waits (polls the directory) for the
// rung to complete, which is what makes N shards run exactly the rungs of
// one process. The rule that makes the decision once: whoever finds the
// rung complete writes rungs/<r>.json to a temporary file and hard-links
// it to its name; link(2) fails when the name exists, so exactly one
// shard's decision is recorded, and the others read it (they would have
// computed the same). A rung with a decision is never decided again,
// which also lets a restarted shard skip straight to the open rung.
//
// The trials are trained by functions the command supplies (TrainFunc,
// ResumeFunc): this package does not import experiment.
package search
