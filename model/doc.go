// Package model turns an architecture spec (a layer list, model.layers,
// or a preset — linear, mlp, cnn, resnet — that expands to one) into two
// gorgonia graphs over one set of weights: a training graph with a fixed
// batch size that computes the loss and its gradients, and a forward-only
// evaluation graph (dropout off, batch norm on its running statistics) that
// shares the same weight tensors, so that it sees every optimizer step.
//
// Models made only of dense, relu, dropout, flatten, 3×3 same convolution
// and 2×2 max-pool layers (the linear, mlp and cnn presets among them)
// train and evaluate on a direct executor (direct.go) instead of
// gorgonia's tape machine: the same kernels and the same operations in
// the same order, so the same bits (TestDirectMatchesGraph, the pinned
// preset hashes), in buffers laid out once and without the machine's
// allocations, copies and thread hand-offs, which cost as much as the
// arithmetic on these models. A convolution followed by a max-pool runs
// as one pass each way, image by image, its output and that output's
// gradient never stored. Their graphs are still built: the input
// gradient, the features, MC dropout and every other model use them.
//
// Every workaround for a fault of gorgonia v0.9.18 lives here, each next to
// a test that fails if the fault comes back:
//   - SoftMax/LogSoftMax overflow: the log-softmax is built from Max, Exp,
//     Sum and Log (logSoftmax in graph.go);
//   - Dropout has a wrong gradient and clock-seeded randomness: dropout is a
//     mask bound per batch, drawn from the caller's seeded generator;
//   - gorgonia's weight initializers use a global unseeded generator: weights
//     are drawn here from the model's seed;
//   - batch-norm running statistics live in the op and are reset by every
//     new training machine: they are copied explicitly (SetStats) into the
//     evaluation graph and into and out of checkpoints;
//   - gorgonia's batch-norm gradient on N×C×H×W inputs divides by the last
//     training batch's statistics even in eval mode: the input-gradient
//     graph (inputgrad.go) builds eval-mode batch norm as the per-channel
//     affine map of the running statistics instead, checked against finite
//     differences (TestInputGradientFiniteDifferences, with batch norm);
//   - gorgonia panics on some errors: every call into it is wrapped so a
//     panic becomes an error.
//
// Every layer's output shape, parameters and cost are inferred from the
// input shape before anything is built (walk.go); the graphs, the
// parameter plan, the memory estimate and the summary all read those
// steps, so that they cannot disagree.
//
// A checkpoint (checkpoint.go) stores the spec, the input schema, the class
// names, the data normalization, every tensor by name and shape, and the
// optimizer state, in a bounded binary format with a checksum. Its header
// is not trusted either: Checkpoint.CheckBuild (buildable.go) checks that
// the model it describes is the one its tensors hold, and what building it
// would cost, before anything is built.
package model
