package model

import (
	"fmt"
	"slices"
	"strings"

	"gorgonia.org/tensor"
)

// Mismatch is a parameter of a model that InitFrom did not load: the
// checkpoint lacks it (CheckpointShape nil) or holds it with another
// shape.
type Mismatch struct {
	Name string `json:"name"`
	// Shape is the model's shape of the parameter.
	Shape []int `json:"shape"`
	// CheckpointShape is the checkpoint's shape of it; nil when the
	// checkpoint has no tensor of that name.
	CheckpointShape []int `json:"checkpoint_shape,omitempty"`
	// Reason, when set, is why a parameter the checkpoint holds with the
	// right shape was not loaded (an output layer of other classes).
	Reason string `json:"reason,omitempty"`
}

// Absent reports whether the checkpoint has no tensor of the parameter's
// name.
func (s Mismatch) Absent() bool { return s.CheckpointShape == nil }

// String says why the parameter was not loaded: "out.weight: model [128
// 5], checkpoint [128 10]", or "dense1.weight [128 64]: absent in the
// checkpoint".
func (s Mismatch) String() string {
	if s.Reason != "" {
		return fmt.Sprintf("%s %v: %s", s.Name, s.Shape, s.Reason)
	}
	if s.Absent() {
		return fmt.Sprintf("%s %v: absent in the checkpoint", s.Name, s.Shape)
	}
	return fmt.Sprintf("%s: model %v, checkpoint %v", s.Name, s.Shape, s.CheckpointShape)
}

// InitFrom copies into m every parameter that c holds under the same name
// with the same shape, learnable weights and batch-norm running statistics
// alike (the evaluation graphs see the statistics at once), and leaves the
// others as they are. It returns the names it loaded and the parameters it
// did not, each in the model's order. Tensors of c that the model does not
// have (another model's layers, optimizer state) are ignored: fine-tuning
// starts with a fresh optimizer. Unlike SetTensors it asks for no
// parameter in particular; whether what it loaded is enough is the
// caller's call.
func (m *Model) InitFrom(c *Checkpoint) (loaded []string, skipped []Mismatch, err error) {
	if c == nil {
		return nil, nil, fmt.Errorf("no checkpoint to initialize from")
	}
	if m.dtype != tensor.Float32 {
		return nil, nil, fmt.Errorf("the model is %v, not float32: only a float32 model can be initialized from a checkpoint", m.dtype)
	}
	byName := make(map[string]*Tensor, len(c.Tensors))
	for i := range c.Tensors {
		t := &c.Tensors[i]
		n := 1
		for _, d := range t.Shape {
			n *= d
		}
		if len(t.Data) != n {
			return nil, nil, fmt.Errorf("tensor %s: %d values for shape %v", t.Name, len(t.Data), t.Shape)
		}
		byName[t.Name] = t
	}
	type copyOp struct {
		dst []float32
		src []float32
	}
	var ops []copyOp
	for _, p := range m.Params() {
		t, ok := byName[p.Name]
		switch {
		case !ok:
			skipped = append(skipped, Mismatch{Name: p.Name, Shape: slices.Clone(p.Shape)})
		case !equalShape(t.Shape, p.Shape):
			skipped = append(skipped, Mismatch{Name: p.Name, Shape: slices.Clone(p.Shape), CheckpointShape: slices.Clone(t.Shape)})
		default:
			ops = append(ops, copyOp{p.Float32s(), t.Data})
			loaded = append(loaded, p.Name)
		}
	}
	// Nothing is written before every parameter has been checked, so an
	// error leaves the model as it was.
	for _, op := range ops {
		copy(op.dst, op.src)
	}
	if err := m.pushStats(); err != nil {
		return nil, nil, err
	}
	return loaded, skipped, nil
}

// LayerNames are the layers of the model's parameter names, in order: the
// part before the first dot (conv0, bn0, dense0, out), which a prefix of
// Freeze can name.
func (m *Model) LayerNames() []string {
	var out []string
	for _, p := range m.Params() {
		l, _, _ := strings.Cut(p.Name, ".")
		if len(out) == 0 || out[len(out)-1] != l {
			out = append(out, l)
		}
	}
	return out
}
