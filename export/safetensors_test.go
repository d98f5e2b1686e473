package export

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/experiment"
	"github.com/practica-ml/practica/model"
)

// stTrainedOnce trains the small models the tests export once per test
// binary: an MLP, a CNN with batch norm and a layer list (stLayers), one
// epoch each on the embedded digits, calibrated so that their
// checkpoints hold a temperature, and with the optimizer state a
// best.ckpt carries.
var (
	stTrainedOnce sync.Once
	stTrainedCkpt map[string]*model.Checkpoint
	stTrainedErr  error
)

func stTrained(t *testing.T, name string) *model.Checkpoint {
	t.Helper()
	stTrainedOnce.Do(func() {
		root, err := os.MkdirTemp("", "practica-safetensors-")
		if err != nil {
			stTrainedErr = err
			return
		}
		defer os.RemoveAll(root)
		stTrainedCkpt = map[string]*model.Checkpoint{}
		for _, s := range []struct {
			name string
			spec model.Spec
		}{
			{"mlp", model.Spec{Arch: model.MLP, Hidden: []int{16}}},
			{"cnn", model.Spec{Arch: model.CNN, Channels: []int{4}, Hidden: []int{8}, BatchNorm: true}},
			{"layers", model.Spec{Arch: model.Custom, Layers: stLayers}},
		} {
			cfg := config.Default()
			cfg.Model = s.spec
			cfg.Training.Epochs, cfg.Training.BatchSize = 1, 64
			cfg.Calibration.Bootstrap = 0
			cfg.Output.Root, cfg.Output.Name = root, s.name
			sum, err := experiment.Train(context.Background(), cfg, experiment.Options{})
			if err != nil {
				stTrainedErr = fmt.Errorf("training the %s: %w", s.name, err)
				return
			}
			c, err := model.LoadCheckpoint(filepath.Join(sum.RunDir, "checkpoints", "best.ckpt"))
			if err != nil {
				stTrainedErr = err
				return
			}
			stTrainedCkpt[s.name] = c
		}
	})
	if stTrainedErr != nil {
		t.Fatal(stTrainedErr)
	}
	return stTrainedCkpt[name]
}

// stLayers is a layer list whose parameters the presets do not have: a
// convolution without bias, batch norm on images and on features, a
// residual block (its own names under res0.) with layer norm and a
// projected input, a dense layer without bias.
var stLayers = []model.Layer{
	{Type: model.Conv2D, Filters: 4, Stride: 2, Bias: new(bool)},
	{Type: model.BatchNorm},
	{Type: model.ReLU},
	{Type: model.Residual, Layers: []model.Layer{{Type: model.Conv2D, Filters: 6}, {Type: model.LayerNorm}}},
	{Type: model.GlobalAvgPool},
	{Type: model.Dense, Units: 5, Bias: new(bool)},
	{Type: model.BatchNorm},
}

// stTensor is one tensor as a reader of the format sees it.
type stTensor struct {
	Name   string
	Shape  []int
	Begin  int64
	End    int64
	SHA256 string
	Values []float64
}

// stFile is a safetensors file as a reader sees it: the metadata and the
// tensors in the header's order.
type stFile struct {
	HeaderLen int64
	Metadata  map[string]string
	Tensors   []stTensor
}

// stReadGo is a minimal reader written from the format specification,
// independent of the writer: it checks the rules the writer promises
// (8-byte alignment, unique keys, F32 only, offsets contiguous in header
// order and covering the buffer) and decodes every tensor.
func stReadGo(b []byte) (*stFile, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("%d bytes, no header size", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > uint64(len(b)-8) {
		return nil, fmt.Errorf("header size %d exceeds the file", n)
	}
	if n%8 != 0 {
		return nil, fmt.Errorf("header size %d is not a multiple of 8", n)
	}
	hdr, buf := b[8:8+n], b[8+n:]
	body := bytes.TrimRight(hdr, " ")
	if len(body) == 0 || body[0] != '{' || body[len(body)-1] != '}' {
		return nil, fmt.Errorf("header %q is not a JSON object padded with spaces", hdr)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("header does not open an object: %v %v", tok, err)
	}
	f := &stFile{HeaderLen: int64(n)}
	seen := map[string]bool{}
	var next int64
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string)
		if seen[key] {
			return nil, fmt.Errorf("key %q twice", key)
		}
		seen[key] = true
		if key == "__metadata__" {
			if err := dec.Decode(&f.Metadata); err != nil {
				return nil, fmt.Errorf("__metadata__: %w", err)
			}
			continue
		}
		var e struct {
			DType       string  `json:"dtype"`
			Shape       []int   `json:"shape"`
			DataOffsets []int64 `json:"data_offsets"`
		}
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("tensor %s: %w", key, err)
		}
		if e.DType != "F32" || len(e.DataOffsets) != 2 {
			return nil, fmt.Errorf("tensor %s: dtype %s, offsets %v", key, e.DType, e.DataOffsets)
		}
		count := int64(1)
		for _, d := range e.Shape {
			count *= int64(d)
		}
		begin, end := e.DataOffsets[0], e.DataOffsets[1]
		if begin != next || end-begin != 4*count || end > int64(len(buf)) {
			return nil, fmt.Errorf("tensor %s: offsets [%d,%d] for %d values, the previous tensor ended at %d, the buffer holds %d bytes", key, begin, end, count, next, len(buf))
		}
		next = end
		raw := buf[begin:end]
		sum := sha256.Sum256(raw)
		st := stTensor{Name: key, Shape: e.Shape, Begin: begin, End: end, SHA256: hex.EncodeToString(sum[:]), Values: []float64{}}
		for i := 0; i < len(raw); i += 4 {
			st.Values = append(st.Values, float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[i:]))))
		}
		f.Tensors = append(f.Tensors, st)
	}
	if next != int64(len(buf)) {
		return nil, fmt.Errorf("tensors cover %d bytes of a %d-byte buffer", next, len(buf))
	}
	return f, nil
}

// stPythonReader reads a safetensors file with the standard library only,
// from the format specification, checks its rules and prints the header
// and every tensor's SHA-256 and values as JSON. A broken rule ends it
// with "RULE: ..." on stderr.
const stPythonReader = `
import hashlib, json, struct, sys

def rule(ok, msg):
    if not ok:
        sys.stderr.write("RULE: " + msg + "\n")
        sys.exit(1)

def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    rule(len(keys) == len(set(keys)), "duplicate keys %r" % keys)
    return dict(pairs)

with open(sys.argv[1], "rb") as f:
    raw = f.read()
rule(len(raw) >= 8, "no header size")
(n,) = struct.unpack("<Q", raw[:8])
rule(8 + n <= len(raw), "header size %d exceeds the file" % n)
rule(n % 8 == 0, "header size %d is not 8-byte aligned" % n)
text = raw[8:8 + n].decode("utf-8")
rule(text.startswith("{"), "header does not start with {")
body = text.rstrip(" ")
rule(body.endswith("}"), "header is not padded with spaces only")
header = json.loads(body, object_pairs_hook=no_duplicates)
order = [k for k in json.loads(body, object_pairs_hook=lambda p: [k for k, _ in p])]
buf = raw[8 + n:]

meta = header.pop("__metadata__", {})
rule(isinstance(meta, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()),
     "__metadata__ is not a map of string to string")

tensors = []
for name in order:
    if name == "__metadata__":
        continue
    info = header[name]
    rule(sorted(info) == ["data_offsets", "dtype", "shape"], "%s: keys %r" % (name, sorted(info)))
    rule(info["dtype"] == "F32", "%s: dtype %s" % (name, info["dtype"]))
    shape = info["shape"]
    rule(all(isinstance(d, int) and d >= 0 for d in shape), "%s: shape %r" % (name, shape))
    begin, end = info["data_offsets"]
    count = 1
    for d in shape:
        count *= d
    rule(0 <= begin <= end <= len(buf), "%s: offsets [%d, %d] outside a %d-byte buffer" % (name, begin, end, len(buf)))
    rule(end - begin == 4 * count, "%s: %d bytes for shape %r" % (name, end - begin, shape))
    data = buf[begin:end]
    tensors.append({"name": name, "shape": shape, "begin": begin, "end": end,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "values": list(struct.unpack("<%df" % count, data))})

# The offsets, taken in increasing order, must tile the buffer: no hole,
# no overlap, nothing after the last tensor.
pos = 0
for t in sorted(tensors, key=lambda t: (t["begin"], t["end"])):
    rule(t["begin"] == pos, "%s begins at %d, the previous tensor ended at %d" % (t["name"], t["begin"], pos))
    pos = t["end"]
rule(pos == len(buf), "tensors cover %d bytes of a %d-byte buffer" % (pos, len(buf)))

json.dump({"header_len": n, "metadata": meta, "tensors": tensors}, sys.stdout)
`

const stPython = "/usr/bin/python3"

func stReadPython(t *testing.T, path string) *stFile {
	t.Helper()
	script := filepath.Join(t.TempDir(), "read_safetensors.py")
	if err := os.WriteFile(script, []byte(stPythonReader), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(stPython, script, path)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the Python reader refused %s: %v: %s", path, err, stderr.String())
	}
	var out struct {
		HeaderLen int64             `json:"header_len"`
		Metadata  map[string]string `json:"metadata"`
		Tensors   []struct {
			Name   string    `json:"name"`
			Shape  []int     `json:"shape"`
			Begin  int64     `json:"begin"`
			End    int64     `json:"end"`
			SHA256 string    `json:"sha256"`
			Values []float64 `json:"values"`
		} `json:"tensors"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("the Python reader's output: %v", err)
	}
	f := &stFile{HeaderLen: out.HeaderLen, Metadata: out.Metadata}
	for _, x := range out.Tensors {
		f.Tensors = append(f.Tensors, stTensor{Name: x.Name, Shape: x.Shape, Begin: x.Begin, End: x.End, SHA256: x.SHA256, Values: x.Values})
	}
	return f
}

// stShape is a tensor's name and shape, the layout a case expects.
type stShape struct {
	name  string
	shape []int
}

// stCheck compares what a reader decoded with the checkpoint it came
// from: the tensors (exactly the expected names and shapes, in name
// order, laid out contiguously, every value bit for bit and every SHA-256
// of the checkpoint's own little-endian bytes) and the metadata (decoded
// back, equal to the checkpoint's header values).
func stCheck(t *testing.T, reader string, f *stFile, c *model.Checkpoint, want []stShape, wantKeys []string) {
	t.Helper()
	if len(f.Tensors) != len(want) {
		names := []string{}
		for _, x := range f.Tensors {
			names = append(names, x.Name)
		}
		t.Fatalf("%s reader: tensors %v, want %v", reader, names, want)
	}
	var off int64
	for i, x := range f.Tensors {
		w := want[i]
		if x.Name != w.name || !slices.Equal(x.Shape, w.shape) {
			t.Fatalf("%s reader: tensor %d is %s %v, want %s %v", reader, i, x.Name, x.Shape, w.name, w.shape)
		}
		ct := c.Tensor(x.Name)
		if ct == nil {
			t.Fatalf("%s reader: tensor %s is not the checkpoint's", reader, x.Name)
		}
		if x.Begin != off || x.End != off+4*int64(len(ct.Data)) {
			t.Errorf("%s reader: %s at [%d,%d], want [%d,%d]", reader, x.Name, x.Begin, x.End, off, off+4*int64(len(ct.Data)))
		}
		off = x.End
		le := make([]byte, 4*len(ct.Data))
		for k, v := range ct.Data {
			binary.LittleEndian.PutUint32(le[4*k:], math.Float32bits(v))
		}
		if sum := sha256.Sum256(le); x.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s reader: %s has SHA-256 %s, the checkpoint's tensor %x", reader, x.Name, x.SHA256, sum)
		}
		if len(x.Values) != len(ct.Data) {
			t.Fatalf("%s reader: %s has %d values, the checkpoint %d", reader, x.Name, len(x.Values), len(ct.Data))
		}
		for k, v := range ct.Data {
			if math.Float64bits(x.Values[k]) != math.Float64bits(float64(v)) {
				t.Fatalf("%s reader: %s[%d] = %v, the checkpoint's %v", reader, x.Name, k, x.Values[k], v)
			}
		}
	}

	keys := make([]string, 0, len(f.Metadata))
	for k := range f.Metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, wantKeys) {
		t.Fatalf("%s reader: metadata keys %v, want %v", reader, keys, wantKeys)
	}
	back := func(key string, v any) {
		t.Helper()
		if err := json.Unmarshal([]byte(f.Metadata[key]), v); err != nil {
			t.Fatalf("%s reader: metadata %s = %q: %v", reader, key, f.Metadata[key], err)
		}
	}
	var version int
	var spec model.Spec
	var input model.InputSchema
	var classes []string
	back(SafetensorsFormatVersion, &version)
	back(SafetensorsSpec, &spec)
	back(SafetensorsInput, &input)
	back(SafetensorsClasses, &classes)
	if version != model.CheckpointVersion || !reflect.DeepEqual(spec, c.Spec) || !reflect.DeepEqual(input, c.Input) || !slices.Equal(classes, c.Classes) {
		t.Errorf("%s reader: metadata gives version %d, spec %+v, input %+v, classes %v; the checkpoint's are %d, %+v, %+v, %v",
			reader, version, spec, input, classes, model.CheckpointVersion, c.Spec, c.Input, c.Classes)
	}
	if _, ok := f.Metadata[SafetensorsNormalization]; ok {
		var norm data.Normalization
		back(SafetensorsNormalization, &norm)
		if !reflect.DeepEqual(&norm, c.Normalization) {
			t.Errorf("%s reader: normalization %+v, the checkpoint's %+v", reader, norm, c.Normalization)
		}
	}
	if _, ok := f.Metadata[SafetensorsTemperature]; ok {
		var temp float64
		back(SafetensorsTemperature, &temp)
		if math.Float64bits(temp) != math.Float64bits(c.Temperature) {
			t.Errorf("%s reader: temperature %v, the checkpoint's %v", reader, temp, c.Temperature)
		}
	}
}

var stAllKeys = []string{SafetensorsClasses, SafetensorsFormatVersion, SafetensorsInput, SafetensorsNormalization, SafetensorsSpec, SafetensorsTemperature}

var stCases = []struct {
	name     string
	ckpt     func(t *testing.T) *model.Checkpoint
	want     []stShape
	wantKeys []string
}{
	{
		name: "trained MLP",
		ckpt: func(t *testing.T) *model.Checkpoint { return stTrained(t, "mlp") },
		want: []stShape{
			{"dense0.bias", []int{1, 16}}, {"dense0.weight", []int{64, 16}},
			{"out.bias", []int{1, 10}}, {"out.weight", []int{16, 10}},
		},
		wantKeys: stAllKeys,
	},
	{
		name: "trained CNN with batch norm",
		ckpt: func(t *testing.T) *model.Checkpoint { return stTrained(t, "cnn") },
		want: []stShape{
			{"bn0.running_mean", []int{4}}, {"bn0.running_var", []int{4}},
			{"bn0.scale", []int{1, 4, 1, 1}}, {"bn0.shift", []int{1, 4, 1, 1}},
			{"conv0.weight", []int{4, 1, 3, 3}},
			{"dense0.bias", []int{1, 8}}, {"dense0.weight", []int{64, 8}},
			{"out.bias", []int{1, 10}}, {"out.weight", []int{8, 10}},
		},
		wantKeys: stAllKeys,
	},
	{
		name: "trained layer list",
		ckpt: func(t *testing.T) *model.Checkpoint { return stTrained(t, "layers") },
		want: []stShape{
			{"bn0.running_mean", []int{4}}, {"bn0.running_var", []int{4}},
			{"bn0.scale", []int{1, 4, 1, 1}}, {"bn0.shift", []int{1, 4, 1, 1}},
			{"bn1.running_mean", []int{5}}, {"bn1.running_var", []int{5}},
			{"bn1.scale", []int{1, 5}}, {"bn1.shift", []int{1, 5}},
			{"conv0.weight", []int{4, 1, 3, 3}},
			{"dense0.weight", []int{6, 5}},
			{"out.bias", []int{1, 10}}, {"out.weight", []int{5, 10}},
			{"res0.conv0.bias", []int{1, 6, 1, 1}}, {"res0.conv0.weight", []int{6, 4, 3, 3}},
			{"res0.ln0.scale", []int{1, 96}}, {"res0.ln0.shift", []int{1, 96}},
			{"res0.proj.bias", []int{1, 6, 1, 1}}, {"res0.proj.weight", []int{6, 4, 1, 1}},
		},
		wantKeys: stAllKeys,
	},
	{
		name: "without normalization or temperature",
		ckpt: func(t *testing.T) *model.Checkpoint {
			c := *stTrained(t, "mlp")
			c.Normalization, c.Temperature = nil, 0
			return &c
		},
		want: []stShape{
			{"dense0.bias", []int{1, 16}}, {"dense0.weight", []int{64, 16}},
			{"out.bias", []int{1, 10}}, {"out.weight", []int{16, 10}},
		},
		wantKeys: []string{SafetensorsClasses, SafetensorsFormatVersion, SafetensorsInput, SafetensorsSpec},
	},
	{
		// Zero elements (equal offsets), a scalar, a negative zero, a
		// non-ASCII name, and optimizer state that stays out.
		name: "empty, scalar and unusual tensors",
		ckpt: func(t *testing.T) *model.Checkpoint {
			return &model.Checkpoint{
				Spec:    model.Spec{Arch: model.Linear},
				Input:   model.InputSchema{Kind: data.Tabular, Shape: []int{2}, FeatureNames: []string{"<a>", "b&c"}},
				Classes: []string{"ja", "nein"},
				Tensors: []model.Tensor{
					{Name: "w", Shape: []int{3}, Data: []float32{1.5, float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32}},
					{Name: "empty", Shape: []int{0, 3}, Data: []float32{}},
					{Name: "optimizer/m/w", Shape: []int{3}, Data: []float32{9, 9, 9}},
					{Name: "größe", Shape: []int{}, Data: []float32{-2.25}},
					{Name: "also_empty", Shape: []int{2, 0}, Data: nil},
				},
			}
		},
		want: []stShape{
			{"also_empty", []int{2, 0}}, {"empty", []int{0, 3}}, {"größe", []int{}}, {"w", []int{3}},
		},
		wantKeys: []string{SafetensorsClasses, SafetensorsFormatVersion, SafetensorsInput, SafetensorsSpec},
	},
}

// TestSafetensorsRoundTrip reads each written file back with the Go
// reader and, when Python is present, the standard-library Python one,
// and compares both with the checkpoint.
func TestSafetensorsRoundTrip(t *testing.T) {
	_, err := os.Stat(stPython)
	havePython := err == nil
	if !havePython {
		t.Logf("%s is absent: the files are checked by the Go reader only", stPython)
	}
	for _, tc := range stCases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.ckpt(t)
			b, err := MarshalSafetensors(c)
			if err != nil {
				t.Fatal(err)
			}
			f, err := stReadGo(b)
			if err != nil {
				t.Fatal(err)
			}
			stCheck(t, "Go", f, c, tc.want, tc.wantKeys)

			path := filepath.Join(t.TempDir(), "model.safetensors")
			if err := WriteSafetensors(path, c); err != nil {
				t.Fatal(err)
			}
			if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, b) {
				t.Fatalf("the file holds %d bytes (%v), MarshalSafetensors gave %d others", len(got), err, len(b))
			}
			if !havePython {
				return
			}
			pf := stReadPython(t, path)
			if pf.HeaderLen != f.HeaderLen || !reflect.DeepEqual(pf.Metadata, f.Metadata) {
				t.Errorf("Python reads a %d-byte header and metadata %v, Go %d and %v", pf.HeaderLen, pf.Metadata, f.HeaderLen, f.Metadata)
			}
			stCheck(t, "Python", pf, c, tc.want, tc.wantKeys)
		})
	}
}

// TestSafetensorsTrainedCheckpoints: the checkpoints exported above are
// what the test means them to be: calibrated, normalized, carrying
// optimizer state that the export drops, and batch-norm statistics that
// training moved from their initial values.
func TestSafetensorsTrainedCheckpoints(t *testing.T) {
	for _, name := range []string{"mlp", "cnn", "layers"} {
		c := stTrained(t, name)
		opt := 0
		for _, x := range c.Tensors {
			if strings.HasPrefix(x.Name, optimizerPrefix) {
				opt++
			}
		}
		if opt == 0 || !(c.Temperature > 0) || c.Normalization == nil {
			t.Errorf("%s: %d optimizer tensors, temperature %v, normalization %v: want some, a fitted one, one", name, opt, c.Temperature, c.Normalization)
		}
	}
	v := stTrained(t, "cnn").Tensor("bn0.running_var")
	if slices.Equal(v.Data, []float32{1, 1, 1, 1}) {
		t.Errorf("bn0.running_var is still %v after an epoch", v.Data)
	}
	if v := stTrained(t, "layers").Tensor("bn1.running_var"); slices.Equal(v.Data, []float32{1, 1, 1, 1, 1}) {
		t.Errorf("the layer list's bn1.running_var is still %v after an epoch", v.Data)
	}
}

// TestSafetensorsExactBytes pins the whole file of a small checkpoint:
// the header's order (__metadata__, then tensors by name), its compact
// JSON with <, > and & unescaped, the padding and the data.
func TestSafetensorsExactBytes(t *testing.T) {
	c := &model.Checkpoint{
		Spec:        model.Spec{Arch: model.Linear},
		Input:       model.InputSchema{Kind: data.Tabular, Shape: []int{2}, FeatureNames: []string{"a<b", "c"}},
		Classes:     []string{"no", "yes"},
		Temperature: 1.5,
		Tensors: []model.Tensor{
			{Name: "out.weight", Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}},
			{Name: "out.bias", Shape: []int{1, 2}, Data: []float32{0.5, -1}},
		},
	}
	header := `{"__metadata__":{` +
		`"practica.classes":"[\"no\",\"yes\"]",` +
		`"practica.format_version":"1",` +
		`"practica.input":"{\"kind\":\"tabular\",\"shape\":[2],\"feature_names\":[\"a<b\",\"c\"]}",` +
		`"practica.spec":"{\"arch\":\"linear\",\"dropout\":0,\"batch_norm\":false}",` +
		`"practica.temperature":"1.5"},` +
		`"out.bias":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},` +
		`"out.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]}}` +
		` `
	var want []byte
	want = binary.LittleEndian.AppendUint64(want, 408)
	want = append(want, header...)
	tensors, _ := hex.DecodeString("0000003f" + "000080bf" + "0000803f" + "00000040" + "00004040" + "00008040")
	want = append(want, tensors...)
	got, err := MarshalSafetensors(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(header) != 408 || !bytes.Equal(got, want) {
		t.Errorf("got\n%q\nwant (header of %d bytes)\n%q", got, len(header), want)
	}
}

// TestSafetensorsRefuses: what the format cannot hold is refused in one
// line naming the tensor, and WriteSafetensors names the file and leaves
// nothing behind.
func TestSafetensorsRefuses(t *testing.T) {
	base := model.Checkpoint{Spec: model.Spec{Arch: model.Linear}, Input: model.InputSchema{Kind: data.Tabular, Shape: []int{1}}, Classes: []string{"a", "b"}}
	cases := []struct {
		name    string
		edit    func(c *model.Checkpoint)
		wantErr string
	}{
		{"duplicate names", func(c *model.Checkpoint) {
			c.Tensors = []model.Tensor{{Name: "w", Shape: []int{1}, Data: []float32{1}}, {Name: "w", Shape: []int{1}, Data: []float32{2}}}
		}, `two tensors are named "w"`},
		{"a tensor named __metadata__", func(c *model.Checkpoint) {
			c.Tensors = []model.Tensor{{Name: "__metadata__", Shape: []int{1}, Data: []float32{1}}}
		}, "a tensor is named __metadata__, the key safetensors keeps for metadata"},
		{"values that do not fill the shape", func(c *model.Checkpoint) {
			c.Tensors = []model.Tensor{{Name: "w", Shape: []int{2, 2}, Data: []float32{1, 2, 3}}}
		}, "tensor w: 3 values for shape [2 2]"},
		{"a negative dimension", func(c *model.Checkpoint) {
			c.Tensors = []model.Tensor{{Name: "w", Shape: []int{-1, 0}, Data: nil}}
		}, "tensor w: negative dimension in shape [-1 0]"},
		{"a temperature that is no number", func(c *model.Checkpoint) {
			c.Temperature = math.NaN()
		}, "metadata practica.temperature: json: unsupported value: NaN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.edit(&c)
			if _, err := MarshalSafetensors(&c); err == nil || err.Error() != tc.wantErr {
				t.Fatalf("MarshalSafetensors: %v, want %q", err, tc.wantErr)
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "model.safetensors")
			if err := WriteSafetensors(path, &c); err == nil || err.Error() != path+": "+tc.wantErr {
				t.Fatalf("WriteSafetensors: %v, want %q", err, path+": "+tc.wantErr)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("the directory holds %v after a refusal", entries)
			}
		})
	}
}

// TestSafetensorsReadersCheckTheRules: both test readers refuse files
// that break the format's rules, so that their accepting the writer's
// files means something.
func TestSafetensorsReadersCheckTheRules(t *testing.T) {
	// file lays out a header (padded with spaces to 8 bytes when pad) and
	// n bytes of data.
	file := func(header string, pad bool, n int) []byte {
		for pad && len(header)%8 != 0 {
			header += " "
		}
		b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
		return append(append(b, header...), make([]byte, n)...)
	}
	const a = `"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}`
	cases := []struct {
		name     string
		b        []byte
		wantRule string
	}{
		{"the header unaligned", file(`{`+a+`}`, false, 4), "header size 54 is not 8-byte aligned"},
		{"a hole between tensors", file(`{`+a+`,"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, true, 12), "b begins at 8, the previous tensor ended at 4"},
		{"overlapping tensors", file(`{`+a+`,"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, true, 4), "b begins at 0, the previous tensor ended at 4"},
		{"bytes after the last tensor", file(`{`+a+`}`, true, 8), "tensors cover 4 bytes of a 8-byte buffer"},
		{"another dtype", file(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, true, 4), "a: dtype F16"},
		{"a shape that is not the bytes", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, true, 4), "a: 4 bytes for shape [2]"},
		{"a name twice", file(`{`+a+`,`+a+`}`, true, 4), "duplicate keys ['a', 'a']"},
		{"metadata that is not strings", file(`{"__metadata__":{"k":1},`+a+`}`, true, 4), "__metadata__ is not a map of string to string"},
	}
	_, err := os.Stat(stPython)
	havePython := err == nil
	if !havePython {
		t.Logf("%s is absent: only the Go reader is checked", stPython)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if f, err := stReadGo(tc.b); err == nil {
				t.Errorf("the Go reader accepted it: %+v", f)
			}
			if !havePython {
				return
			}
			path := filepath.Join(t.TempDir(), "bad.safetensors")
			script := filepath.Join(t.TempDir(), "read_safetensors.py")
			if err := os.WriteFile(path, tc.b, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(script, []byte(stPythonReader), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(stPython, script, path).CombinedOutput()
			if want := "RULE: " + tc.wantRule + "\n"; err == nil || string(out) != want {
				t.Errorf("the Python reader: %v, %q; want exit status 1 and %q", err, out, want)
			}
		})
	}
}
