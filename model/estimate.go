package model

import (
	"fmt"
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

// MemoryEstimate is what one training step of a model holds in memory,
// computed from the spec and the input shape alone: nothing is allocated and
// no graph is built, so that an experiment too large for the machine is
// refused with a message instead of ending in the Go runtime's "out of
// memory", which no recover can catch.
//
// It counts, in float32, the parameters and batch-norm statistics, one
// gradient per learnable parameter, the optimizer's slots, and the
// activations of the training graph at the training batch: every value the
// forward pass computes together with its gradient in the backward pass,
// plus the inputs the graph is fed once (the batch, the targets, the dropout
// masks). Per example:
//
//   - the input (its size) and the targets (classes), held once;
//   - per conv block of o channels on h×w: the convolution o·h·w, batch
//     norm another o·h·w when on, the pooled o·(h/2)·(w/2); computed;
//   - per dense hidden layer of o units: the product, the bias added and the
//     activation, 3·o, computed; with dropout also the mask (o, held) and the
//     masked output (o, computed);
//   - the output layer: product and bias, 2·classes, computed;
//   - the loss: log-softmax and the weighted targets, 4·classes + 3 (the
//     per-row maximum, sum and log), computed.
//
// It leaves out what is small or transient next to these (the max-pool's
// one byte per pooled value, per-worker convolution buffers, scalars), the
// evaluation graph's forward pass, and the copies a stage makes besides
// the step (checkpoints, the best weights, the range test's saved weights);
// a limit below the machine's memory leaves room for them.
type MemoryEstimate struct {
	// Params counts the learnable parameters; Stats the batch-norm running
	// statistics (kept, not trained: no gradient, no optimizer slot).
	Params, Stats int64
	// Batch is the training batch; OptimizerSlots the values the optimizer
	// keeps per parameter (Adam and AdamW 2, SGD 1).
	Batch, OptimizerSlots int

	ParamBytes      int64 // parameters and running statistics
	GradBytes       int64 // a gradient per learnable parameter
	OptimizerBytes  int64 // OptimizerSlots per learnable parameter
	ActivationBytes int64 // at Batch, forward and backward

	// ByKey splits the total by the setting that sizes it: KeyChannels,
	// KeyHidden, KeyData.
	ByKey map[string]int64
}

// Bytes is the total.
func (e MemoryEstimate) Bytes() int64 {
	return e.ParamBytes + e.GradBytes + e.OptimizerBytes + e.ActivationBytes
}

// Driver is the key of ByKey with the most bytes: the setting to lower
// first (the first in the order channels, hidden, data among equals).
func (e MemoryEstimate) Driver() string {
	best := ""
	for _, k := range []string{KeyChannels, KeyHidden, KeyData} {
		if v, ok := e.ByKey[k]; ok && (best == "" || v > e.ByKey[best]) {
			best = k
		}
	}
	return best
}

// EstimateMemory estimates the memory of one training step of spec on
// inputs of inputShape with classes classes, at a training batch of batch
// examples, with an optimizer keeping optimizerSlots values per parameter.
// The spec must be valid for the shape (Spec.Validate) and have its
// defaults filled in (Spec.WithDefaults).
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
	e := MemoryEstimate{Batch: batch, OptimizerSlots: optimizerSlots, ByKey: map[string]int64{}}
	outKey := KeyHidden
	if spec.Arch == Linear || len(spec.Hidden) == 0 {
		outKey = KeyData
	}
	// Parameters: the same plan New allocates from, without allocating.
	for _, p := range plan(spec, inputShape, classes) {
		n := int64(size(p.shape))
		key := outKey
		switch {
		case strings.HasPrefix(p.name, "conv"), strings.HasPrefix(p.name, "bn"):
			key = KeyChannels
		case strings.HasPrefix(p.name, "dense"):
			key = KeyHidden
		}
		if p.learnable {
			e.Params += n
			e.ByKey[key] += n * float32Bytes * int64(2+optimizerSlots)
		} else {
			e.Stats += n
			e.ByKey[key] += n * float32Bytes
		}
	}
	e.ParamBytes = (e.Params + e.Stats) * float32Bytes
	e.GradBytes = e.Params * float32Bytes
	e.OptimizerBytes = e.Params * int64(optimizerSlots) * float32Bytes

	// Activations per example, then times the batch.
	b := int64(batch)
	held := func(key string, n int) {
		v := b * int64(n) * float32Bytes
		e.ActivationBytes += v
		e.ByKey[key] += v
	}
	computed := func(key string, n int) { held(key, 2*n) } // the value and its gradient
	held(KeyData, size(inputShape))
	if spec.Arch == CNN {
		h, w := inputShape[1], inputShape[2]
		for _, o := range spec.Channels {
			computed(KeyChannels, o*h*w)
			if spec.BatchNorm {
				computed(KeyChannels, o*h*w)
			}
			h, w = h/2, w/2
			computed(KeyChannels, o*h*w)
		}
	}
	if spec.Arch != Linear {
		for _, o := range spec.Hidden {
			computed(KeyHidden, 3*o)
			if spec.Dropout > 0 {
				held(KeyHidden, o)
				computed(KeyHidden, o)
			}
		}
	}
	computed(outKey, 2*classes)
	held(KeyData, classes)
	computed(KeyData, 4*classes+3)
	return e, nil
}
