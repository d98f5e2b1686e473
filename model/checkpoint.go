package model

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/internal/atomicfile"
)

// CheckpointVersion is the format version written into every checkpoint.
const CheckpointVersion = 1

const (
	ckptMagic     = "PRCTCKPT"
	maxHeaderSize = 64 << 20 // the JSON header
	maxTensors    = 1 << 16
	maxDims       = 8
)

// InputSchema is what a model expects of its inputs, so that serving can
// check and convert them exactly as training saw them.
type InputSchema struct {
	Kind  data.Kind `json:"kind"`
	Shape []int     `json:"shape"`
	// FeatureNames are the tabular columns in training order.
	FeatureNames []string `json:"feature_names,omitempty"`
	// LabelColumn is the tabular label column's name, so that a CSV in the
	// training format gives its labels to predict.
	LabelColumn string `json:"label_column,omitempty"`
	// RawMax is the raw pixel scale of the training images (16 for digits).
	RawMax float32 `json:"raw_max,omitempty"`
	// Delimiter is the training CSV's field separator when it is not a
	// comma (data.delimiter), so that predict reads new rows alike.
	Delimiter string `json:"delimiter,omitempty"`
	// IgnoredColumns are the CSV columns training left out of the features
	// (data.ignore_columns): new rows may carry them, and predict passes
	// the first one through as each row's id.
	IgnoredColumns []string `json:"ignored_columns,omitempty"`
	// Missing fills missing cells of new rows as training filled them
	// (data.missing mean or median); nil when training filled none. Its
	// columns are FeatureNames, the CSV's; Shape is the model's input,
	// those columns and then the missing-cell indicators.
	Missing *data.Imputation `json:"missing,omitempty"`
}

// Tensor is a named float32 array with its shape.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// Checkpoint is everything needed to rebuild a model, serve it with the
// same preprocessing, and resume its training.
type Checkpoint struct {
	Version       int                 `json:"format_version"`
	Spec          Spec                `json:"spec"`
	Input         InputSchema         `json:"input"`
	Classes       []string            `json:"classes"`
	Normalization *data.Normalization `json:"normalization,omitempty"`
	// Temperature is the calibration temperature (1 when uncalibrated).
	Temperature float64 `json:"temperature,omitempty"`
	// State holds what the training loop needs to resume (epoch, step,
	// optimizer hyper-parameters, random state), opaque to this package.
	State json.RawMessage `json:"state,omitempty"`
	// Tensors are the model's parameters and running statistics by name,
	// then any optimizer state tensors (named by the optimizer).
	Tensors []Tensor `json:"-"`
}

type tensorEntry struct {
	Name   string `json:"name"`
	Shape  []int  `json:"shape"`
	DType  string `json:"dtype"`
	Offset int64  `json:"offset"`
	Count  int64  `json:"count"`
}

type header struct {
	Checkpoint
	Entries []tensorEntry `json:"tensors"`
}

// Tensor returns the tensor with the given name, or nil.
func (c *Checkpoint) Tensor(name string) *Tensor {
	for i := range c.Tensors {
		if c.Tensors[i].Name == name {
			return &c.Tensors[i]
		}
	}
	return nil
}

// Marshal encodes the checkpoint: a magic string, the header length, a
// JSON header, the tensors as little-endian float32, and a CRC-32 of all
// that precedes it.
func (c *Checkpoint) Marshal() ([]byte, error) {
	h := header{Checkpoint: *c}
	h.Version = CheckpointVersion
	var off int64
	for _, t := range c.Tensors {
		if int64(len(t.Data)) != int64(size(t.Shape)) {
			return nil, fmt.Errorf("tensor %s: %d values for shape %v", t.Name, len(t.Data), t.Shape)
		}
		h.Entries = append(h.Entries, tensorEntry{Name: t.Name, Shape: t.Shape, DType: "float32", Offset: off, Count: int64(len(t.Data))})
		off += int64(len(t.Data))
	}
	js, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(len(ckptMagic) + 8 + len(js) + int(off)*4 + 4)
	buf.WriteString(ckptMagic)
	binary.Write(&buf, binary.LittleEndian, uint32(CheckpointVersion))
	binary.Write(&buf, binary.LittleEndian, uint32(len(js)))
	buf.Write(js)
	var b4 [4]byte
	for _, t := range c.Tensors {
		for _, v := range t.Data {
			binary.LittleEndian.PutUint32(b4[:], math.Float32bits(v))
			buf.Write(b4[:])
		}
	}
	binary.LittleEndian.PutUint32(b4[:], crc32.ChecksumIEEE(buf.Bytes()))
	buf.Write(b4[:])
	return buf.Bytes(), nil
}

// UnmarshalCheckpoint decodes a checkpoint, trusting no size in it: every
// length is checked against the bytes actually present before anything is
// allocated, and the checksum must match.
func UnmarshalCheckpoint(b []byte) (*Checkpoint, error) {
	if len(b) < len(ckptMagic)+12 || string(b[:len(ckptMagic)]) != ckptMagic {
		return nil, errors.New("not a Practica checkpoint (bad magic)")
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, errors.New("checksum mismatch: the file is corrupt or truncated")
	}
	p := len(ckptMagic)
	version := binary.LittleEndian.Uint32(body[p:])
	if version != CheckpointVersion {
		return nil, fmt.Errorf("format version %d, this build reads %d", version, CheckpointVersion)
	}
	hlen := int64(binary.LittleEndian.Uint32(body[p+4:]))
	p += 8
	if hlen > maxHeaderSize || hlen > int64(len(body)-p) {
		return nil, fmt.Errorf("header length %d exceeds the file", hlen)
	}
	var h header
	if err := json.Unmarshal(body[p:p+int(hlen)], &h); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	blob := body[p+int(hlen):]
	if len(h.Entries) > maxTensors {
		return nil, fmt.Errorf("%d tensors, more than %d", len(h.Entries), maxTensors)
	}
	total := int64(len(blob)) / 4
	if int64(len(blob))%4 != 0 {
		return nil, fmt.Errorf("tensor data of %d bytes is not whole float32s", len(blob))
	}
	c := h.Checkpoint
	c.Tensors = make([]Tensor, 0, len(h.Entries))
	var next int64
	for _, e := range h.Entries {
		if e.DType != "float32" {
			return nil, fmt.Errorf("tensor %s: dtype %q, want float32", e.Name, e.DType)
		}
		if len(e.Shape) > maxDims {
			return nil, fmt.Errorf("tensor %s: %d dimensions", e.Name, len(e.Shape))
		}
		n := int64(1)
		for _, d := range e.Shape {
			if d <= 0 || int64(d) > total {
				return nil, fmt.Errorf("tensor %s: bad shape %v", e.Name, e.Shape)
			}
			// Divide rather than multiply: with more than 2^31.5 values of
			// data (a file over 12 GiB) n*d could overflow int64 and wrap
			// round to a small product that would pass.
			if int64(d) > total/n {
				return nil, fmt.Errorf("tensor %s: shape %v exceeds the file", e.Name, e.Shape)
			}
			n *= int64(d)
		}
		if e.Count != n || e.Offset != next || e.Offset+e.Count > total {
			return nil, fmt.Errorf("tensor %s: offset %d and count %d do not fit the data (%d values)", e.Name, e.Offset, e.Count, total)
		}
		vals := make([]float32, n)
		raw := blob[e.Offset*4 : (e.Offset+n)*4]
		for i := range vals {
			vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[i*4:]))
		}
		c.Tensors = append(c.Tensors, Tensor{Name: e.Name, Shape: e.Shape, Data: vals})
		next += n
	}
	if next != total {
		return nil, fmt.Errorf("%d values of tensor data, %d described", total, next)
	}
	return &c, nil
}

// SaveCheckpoint writes c to path atomically (a temporary file in the same
// directory, synced, then renamed).
func SaveCheckpoint(path string, c *Checkpoint) error {
	b, err := c.Marshal()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.Write(path, b)
}

// LoadCheckpoint reads and checks a checkpoint file.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > 16<<30 {
		return nil, fmt.Errorf("%s: %d bytes is too large for a checkpoint", path, st.Size())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := UnmarshalCheckpoint(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Tensors returns copies of the model's parameters and running statistics.
func (m *Model) Tensors() []Tensor {
	out := make([]Tensor, len(m.params))
	for i, p := range m.params {
		out[i] = Tensor{Name: p.Name, Shape: append([]int(nil), p.Shape...), Data: append([]float32(nil), p.Float32s()...)}
	}
	return out
}

// SetTensors loads parameter values by name, checking that every parameter
// is present with its exact shape; a mismatch is reported by name.
// Tensors the model does not have (optimizer state) are ignored.
func (m *Model) SetTensors(ts []Tensor) error {
	byName := make(map[string]*Tensor, len(ts))
	for i := range ts {
		byName[ts[i].Name] = &ts[i]
	}
	for _, p := range m.params {
		t, ok := byName[p.Name]
		if !ok {
			return fmt.Errorf("checkpoint lacks parameter %s", p.Name)
		}
		if !equalShape(t.Shape, p.Shape) || len(t.Data) != size(p.Shape) {
			return fmt.Errorf("parameter %s: checkpoint shape %v, model shape %v", p.Name, t.Shape, p.Shape)
		}
	}
	for _, p := range m.params {
		copy(p.Float32s(), byName[p.Name].Data)
	}
	return m.pushStats()
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
