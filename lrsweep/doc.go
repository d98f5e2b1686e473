// Package lrsweep finds a learning rate: the range test (Smith 2015, as
// fastai and others run it), rules that read a suggestion off its curve,
// repeats with several seeds to show how far the suggestions move, and short
// grid runs that check a suggestion against real training.
//
// The range test trains one batch per step while the learning rate grows
// exponentially from a minimum to a maximum, and records the raw loss and an
// exponentially smoothed, bias-corrected loss. It stops early when the
// smoothed loss exceeds a multiple of its minimum (4 by default) or stops
// being finite. It runs through train.Loop (so the batches, targets,
// dropout and augmentation are the training run's own) and leaves the model
// and the optimizer exactly as it found them.
//
// Suggestions are read off the smoothed curve in fastai's window: after
// skipping the first tenth of the steps asked for (10 of 100, however many
// were recorded), the last 5 points recorded, and everything from the first
// non-finite value on (see window for how a NaN loss counts):
//
//   - steepest: the most negative slope d loss / d log lr;
//   - valley: fastai's rule, a third of the way (plus a sixth of that) into
//     the longest decreasing subsequence of the smoothed losses;
//   - minimum/10: the learning rate at the minimum, divided by ten.
//
// Run ties it together for one prepared experiment: K seeds, the spread of
// each suggestion, the recommendation, the optional grid. It writes no
// file: package experiment writes the Result into the run directory
// (lr_sweep.csv from FormatCSV, lr_sweep.json) and figures.WriteLRSweep
// draws lr_sweep.png and lr_grid.png.
package lrsweep
