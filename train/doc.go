// Package train runs the training loop: seeded mini-batches through a
// model's training graph, an optimizer of our own over the raw float32
// weights (Adam, AdamW, SGD with momentum; gradient clipping by norm), and
// per-epoch metrics from the evaluation graph. Frozen parameters
// (model.Param.Frozen, which Loop.Freeze and Loop.UnfreezeAt set by the
// epoch when fine-tuning) are skipped by every optimizer: no update, no
// weight decay, no advance of their moments or of Adam's per-parameter
// bias correction.
//
// Everything else plugs in as a Hook (embed NopHook and implement what is
// needed): learning-rate schedules before each step; progress, the range
// test's recorder, the WeightGuard and stop conditions after each step;
// metrics.csv, checkpoints and early stopping after each epoch; the
// interrupted run's position when training stops early. Per-epoch
// evaluation is optional (EpochEval), so the overfit tests, the range test
// and the LR grid run on this same loop and never a copy of it.
//
// The loop is deterministic: the order of examples, the dropout masks and
// the augmentation of an epoch are drawn from generators seeded by (seed,
// epoch), so the same seed and config give the same bits, and a resumed
// run sees exactly the batches an uninterrupted one would.
package train
