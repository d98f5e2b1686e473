package model

import (
	"fmt"
	"sort"
	"strings"
)

// The settings a MemoryEstimate splits its bytes by (ByKey), so that a
// refusal can name the one to change.
const (
	// KeyChannels sizes the conv blocks: their weights, batch norm and
	// activations.
	KeyChannels = "model.channels"
	// KeyHidden sizes the dense hidden layers, and the output layer that
	// reads the last of them.
	KeyHidden = "model.hidden"
	// KeyData sizes the input batch, the targets and the loss, and a
	// linear model's one layer (inputs × classes).
	KeyData = "data.source"
)

// float32Bytes: models train in float32 (Options.Float64 is for gradient
// checks only).
const float32Bytes = 4

// MemoryEstimate is what training a model holds in memory at its peak,
// computed from the spec and the input shape alone: nothing is allocated
// and no graph is built, so that an experiment too large for the machine is
// refused with a message instead of ending in the Go runtime's "out of
// memory", which no recover can catch. All in float32:
//
//   - the parameters and batch-norm statistics;
//   - a gradient per learnable parameter, and for each convolution filter a
//     second one (its backward pass sums the two halves of the batch
//     separately);
//   - the optimizer's slots per learnable parameter;
//   - the training graph's activations at the training batch: every value
//     the forward pass computes with its gradient in the backward pass, and
//     the inputs it is fed once (the batch, the targets, the dropout masks);
//   - the evaluation graph's values at its batch (DefaultEvalBatch), each
//     once (the smaller evaluation graphs of 1 to 128 rows that Logits
//     builds on first use are not counted: together at most 255 rows'
//     values, under a second DefaultEvalBatch, and only those a run
//     actually needs);
//   - the checkpoint written after every epoch: a copy of the parameters,
//     statistics and optimizer state, and its encoding, 2·(parameters +
//     optimizer).
//
// Per example, the graphs hold:
//
//   - the input (its size), and in training the targets (classes);
//   - per conv block of o channels on h×w: the convolution o·h·w, batch
//     norm another o·h·w when on, the pooled o·(h/2)·(w/2);
//   - per dense hidden layer of o units: the product, the bias added and the
//     activation, 3·o; in training with dropout also the mask (o, fed) and
//     the masked output (o);
//   - the output layer: product and bias, 2·classes;
//   - in training, the loss: log-softmax and the weighted targets,
//     4·classes + 3 (the per-row maximum, sum and log).
//
// Left out, as small next to these: the max-pool's byte per pooled value,
// per-worker convolution buffers, scalars. Left out, as not the model's:
// the data (loaded before the estimate is made), the Go runtime, and
// garbage not yet collected. The
// garbage collector lets the heap grow to about twice what is live unless
// a memory limit holds it back (train sets the runtime's limit to
// --max-memory). Measured on digits, one epoch without calibration: an MLP
// of 8192-8192 hidden units is estimated at 2.62 GiB and peaked at
// 3.14 GiB resident with the runtime's limit at 2.7 GiB (4.07 GiB with
// none); a CNN of 1024-1024 channels at 0.60 GiB and 0.74 GiB (limit
// 0.65 GiB; 1.03 GiB with none).
type MemoryEstimate struct {
	// Params counts the learnable parameters; Stats the batch-norm running
	// statistics (kept, not trained: no gradient, no optimizer slot).
	Params, Stats int64
	// Batch is the training batch; OptimizerSlots the values the optimizer
	// keeps per parameter (Adam and AdamW 2, SGD 1).
	Batch, OptimizerSlots int

	ParamBytes      int64 // parameters and running statistics
	GradBytes       int64 // gradients, with the filters' second partial sums
	OptimizerBytes  int64 // OptimizerSlots per learnable parameter
	ActivationBytes int64 // the training graph at Batch, forward and backward
	EvalBytes       int64 // the evaluation graph at DefaultEvalBatch
	CheckpointBytes int64 // a checkpoint's copy and its encoding

	// ByKey splits the total by the setting that sizes it: KeyChannels,
	// KeyHidden, KeyData.
	ByKey map[string]int64
}

// Bytes is the total.
func (e MemoryEstimate) Bytes() int64 {
	return e.ParamBytes + e.GradBytes + e.OptimizerBytes + e.ActivationBytes + e.EvalBytes + e.CheckpointBytes
}

// Driver is the key of ByKey with the most bytes: the setting to lower
// first (the first in the order channels, hidden, data among equals).
func (e MemoryEstimate) Driver() string {
	keys := []string{KeyChannels, KeyHidden}
	var layers []string
	for k := range e.ByKey {
		if strings.HasPrefix(k, "model.layers[") {
			layers = append(layers, k)
		}
	}
	// model.layers[i] in the order of i, so that ties go to the first.
	sort.Slice(layers, func(a, b int) bool {
		return len(layers[a]) < len(layers[b]) || len(layers[a]) == len(layers[b]) && layers[a] < layers[b]
	})
	best := ""
	for _, k := range append(append(keys, layers...), KeyData) {
		if v, ok := e.ByKey[k]; ok && (best == "" || v > e.ByKey[best]) {
			best = k
		}
	}
	return best
}

// EstimateMemory estimates the memory of training spec on inputs of
// inputShape with classes classes, at a training batch of batch examples,
// with an optimizer keeping optimizerSlots values per parameter. The spec
// must be valid for the shape (Spec.Validate) and have its defaults filled
// in (Spec.WithDefaults).
func EstimateMemory(spec Spec, inputShape []int, classes, batch, optimizerSlots int) (MemoryEstimate, error) {
	if err := spec.Validate(inputShape); err != nil {
		return MemoryEstimate{}, err
	}
	switch {
	case classes < 2:
		return MemoryEstimate{}, fmt.Errorf("a classifier needs at least 2 classes, got %d", classes)
	case batch <= 0:
		return MemoryEstimate{}, fmt.Errorf("training batch size must be > 0, got %d", batch)
	case optimizerSlots < 0:
		return MemoryEstimate{}, fmt.Errorf("optimizer slots must be ≥ 0, got %d", optimizerSlots)
	}
	sts, err := spec.steps(inputShape, classes)
	if err != nil {
		return MemoryEstimate{}, err
	}
	e := MemoryEstimate{Batch: batch, OptimizerSlots: optimizerSlots, ByKey: map[string]int64{}}
	add := func(key string, field *int64, floats int64) {
		*field += floats * float32Bytes
		e.ByKey[key] += floats * float32Bytes
	}
	// Parameters: the plan New allocates from, without allocating.
	slots := int64(optimizerSlots)
	for _, st := range flatSteps(sts) {
		for _, p := range st.params {
			n := int64(size(p.shape))
			add(st.key, &e.ParamBytes, n)
			add(st.key, &e.CheckpointBytes, 2*n)
			if !p.learnable {
				e.Stats += n
				continue
			}
			e.Params += n
			add(st.key, &e.GradBytes, n)
			if st.layer.Type == Conv2D && strings.HasSuffix(p.name, ".weight") {
				add(st.key, &e.GradBytes, n)
			}
			add(st.key, &e.OptimizerBytes, slots*n)
			add(st.key, &e.CheckpointBytes, 2*slots*n)
		}
	}
	graphValues(sts, inputShape, classes, true, func(key string, n int, computed bool) {
		if computed {
			n *= 2 // and its gradient
		}
		add(key, &e.ActivationBytes, int64(batch)*int64(n))
	})
	graphValues(sts, inputShape, classes, false, func(key string, n int, _ bool) {
		add(key, &e.EvalBytes, DefaultEvalBatch*int64(n))
	})
	return e, nil
}

// graphValues calls f with the values per example that the training or the
// evaluation graph of spec holds (see MemoryEstimate): the setting that
// sizes them, their number, and whether the graph computes them (in
// training, a computed value has a gradient) or is fed them.
func graphValues(sts []*step, inputShape []int, classes int, training bool, f func(key string, n int, computed bool)) {
	f(KeyData, size(inputShape), false)
	for _, st := range flatSteps(sts) {
		switch {
		case training:
			if v := st.values; v > 0 {
				f(st.key, v, true)
			}
			if st.fed > 0 {
				f(st.key, st.fed, false)
			}
		case st.evalValues > 0:
			f(st.key, st.evalValues, true)
		}
	}
	if training {
		f(KeyData, classes, false)
		f(KeyData, 4*classes+3, true)
	}
}
