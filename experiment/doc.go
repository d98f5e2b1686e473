// Package experiment is the one orchestrator of Practica: it owns a run
// directory's life for every mode of the train command. Each mode opens
// the data through package setup, creates the run directory and writes
// what identifies the run (config.yaml, command.txt, meta.json), calls the
// stages, writes their results and figures, and records the end time:
//
//   - Train: the training loop with its hooks (progress, metrics.csv,
//     checkpoints, early stopping, schedules), the best weights scored on
//     the test split, temperature scaling, curves.png and summary.json;
//     a fine-tuned run (training.init_from) starts from another run's
//     best.ckpt and records it, with what it froze, in meta.json and
//     model.json;
//   - TrainLRAuto: the learning-rate range test first, in the same run
//     directory, then Train with its recommendation;
//   - Resume: Train continued from a run's last.ckpt;
//   - Feasibility: the overfit tests, naive-embedding probes and clustering;
//   - Sweep: the learning-rate range test and grid on their own.
//
// Nothing below the commands imports this package; the stages it calls
// return data and never touch the run directory themselves.
package experiment
