package export

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/practica-ml/practica/internal/atomicfile"
	"github.com/practica-ml/practica/model"
)

// Keys of a safetensors file's __metadata__. Each value is the JSON
// encoding of that field of the checkpoint's header, as a string: the
// format allows only string values there.
const (
	SafetensorsSpec          = "practica.spec"
	SafetensorsInput         = "practica.input"
	SafetensorsClasses       = "practica.classes"
	SafetensorsNormalization = "practica.normalization" // absent: none
	SafetensorsTemperature   = "practica.temperature"   // absent: uncalibrated (serve with 1)
	// SafetensorsFormatVersion is the checkpoint format version the other
	// values follow, so that a reader can tell a later header's fields.
	SafetensorsFormatVersion = "practica.format_version"
)

const (
	// safetensorsMetadata is the one header key that is not a tensor.
	safetensorsMetadata = "__metadata__"
	// safetensorsMaxHeader is the reference implementation's bound on the
	// JSON header: a longer one is refused on loading, so writing it would
	// only produce a file nobody reads.
	safetensorsMaxHeader = 100_000_000
	// optimizerPrefix names the optimizer state tensors the training loop
	// appends to checkpoints (train.Snapshot). They resume training and
	// serve no inference, so an export leaves them out.
	optimizerPrefix = "optimizer/"
)

// WriteSafetensors writes c's tensors in the safetensors format
// (MarshalSafetensors) to path, atomically.
func WriteSafetensors(path string, c *model.Checkpoint) error {
	b, err := MarshalSafetensors(c)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.Write(path, b)
}

// MarshalSafetensors encodes c in the safetensors format: an 8-byte
// little-endian header length N, N bytes of JSON header padded with
// spaces to a multiple of 8 (so that the data starts 8-byte aligned, as
// the reference writer does), then the tensors as contiguous little-endian
// float32, row-major.
//
// Every tensor of the model is written under its checkpoint name,
// batch-norm running statistics included; the optimizer's state is not.
// Tensors are laid out, and listed in the header, sorted by name: that is
// the reference writer's order for tensors of one dtype, so a file does
// not depend on the order the checkpoint happened to list them in. The
// header's __metadata__ comes first and holds Practica's header (the
// Safetensors* keys).
func MarshalSafetensors(c *model.Checkpoint) ([]byte, error) {
	ts := make([]*model.Tensor, 0, len(c.Tensors))
	seen := make(map[string]bool, len(c.Tensors))
	var total int64
	for i := range c.Tensors {
		t := &c.Tensors[i]
		if strings.HasPrefix(t.Name, optimizerPrefix) {
			continue
		}
		switch {
		case t.Name == safetensorsMetadata:
			return nil, fmt.Errorf("a tensor is named %s, the key safetensors keeps for metadata", safetensorsMetadata)
		case seen[t.Name]:
			return nil, fmt.Errorf("two tensors are named %q", t.Name)
		}
		seen[t.Name] = true
		n, err := stElements(t.Shape)
		if err != nil {
			return nil, fmt.Errorf("tensor %s: %w", t.Name, err)
		}
		if n != int64(len(t.Data)) {
			return nil, fmt.Errorf("tensor %s: %d values for shape %v", t.Name, len(t.Data), t.Shape)
		}
		total += n
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b *model.Tensor) int { return strings.Compare(a.Name, b.Name) })

	meta, err := stMetadata(c)
	if err != nil {
		return nil, err
	}
	var h bytes.Buffer
	h.WriteString(`{"` + safetensorsMetadata + `":`)
	if err := stJSON(&h, meta); err != nil {
		return nil, err
	}
	var off int64
	for _, t := range ts {
		h.WriteByte(',')
		if err := stJSON(&h, t.Name); err != nil {
			return nil, err
		}
		h.WriteString(`:{"dtype":"F32","shape":[`)
		for i, d := range t.Shape {
			if i > 0 {
				h.WriteByte(',')
			}
			h.WriteString(strconv.Itoa(d))
		}
		end := off + 4*int64(len(t.Data))
		fmt.Fprintf(&h, `],"data_offsets":[%d,%d]}`, off, end)
		off = end
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	if h.Len() > safetensorsMaxHeader {
		return nil, fmt.Errorf("the safetensors header is %d bytes, more than the %d readers accept", h.Len(), safetensorsMaxHeader)
	}

	out := make([]byte, 8+h.Len()+int(4*total))
	binary.LittleEndian.PutUint64(out, uint64(h.Len()))
	p := 8 + copy(out[8:], h.Bytes())
	for _, t := range ts {
		for _, v := range t.Data {
			binary.LittleEndian.PutUint32(out[p:], math.Float32bits(v))
			p += 4
		}
	}
	return out, nil
}

// stMetadata is Practica's header as safetensors metadata: each field's
// JSON encoding, as the checkpoint's header holds it (the training state
// is left out: it resumes training, which a safetensors file cannot).
func stMetadata(c *model.Checkpoint) (map[string]string, error) {
	fields := []struct {
		key string
		v   any
	}{
		{SafetensorsFormatVersion, model.CheckpointVersion},
		{SafetensorsSpec, c.Spec},
		{SafetensorsInput, c.Input},
		{SafetensorsClasses, c.Classes},
	}
	if c.Normalization != nil {
		fields = append(fields, struct {
			key string
			v   any
		}{SafetensorsNormalization, c.Normalization})
	}
	// Zero is what the checkpoint omits: no temperature was fitted.
	if c.Temperature != 0 {
		fields = append(fields, struct {
			key string
			v   any
		}{SafetensorsTemperature, c.Temperature})
	}
	meta := make(map[string]string, len(fields))
	for _, f := range fields {
		var b bytes.Buffer
		if err := stJSON(&b, f.v); err != nil {
			return nil, fmt.Errorf("metadata %s: %w", f.key, err)
		}
		meta[f.key] = b.String()
	}
	return meta, nil
}

// stJSON appends v's compact JSON encoding without escaping <, > and &:
// the header is read as JSON, never embedded in HTML.
func stJSON(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // Encode's newline
	return nil
}

// stElements is the number of values of a shape, refusing a negative
// dimension (which the format cannot express) and a product that would
// overflow. A zero dimension is allowed: the format stores such a tensor
// with equal begin and end offsets.
func stElements(shape []int) (int64, error) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", shape)
		}
		if d > 0 && n > (math.MaxInt64/4)/int64(d) {
			return 0, fmt.Errorf("shape %v has too many values", shape)
		}
		n *= int64(d)
	}
	return n, nil
}
