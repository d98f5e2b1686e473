package model

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/practica-ml/practica/data"
)

func trainedCNN(t testing.TB) *Model {
	t.Helper()
	spec := Spec{Arch: CNN, Channels: []int{4}, Hidden: []int{8}, Activation: "relu", BatchNorm: true, Dropout: 0.5}
	m, err := New(spec, []int{1, 6, 6}, 3, Options{TrainBatch: 8, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float32, 8*36)
	tg := make([]float32, 8*3)
	for step := 0; step < 3; step++ {
		for i := range x {
			x[i] = float32(rng.NormFloat64()*2 + 1)
		}
		clear(tg)
		for i := 0; i < 8; i++ {
			tg[i*3+i%3] = 1.0 / 8
		}
		if _, err := m.TrainStep(x, tg, 8, rng); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func TestCheckpointRoundTripIsBitExact(t *testing.T) {
	m := trainedCNN(t)
	c := &Checkpoint{Spec: m.Spec, Input: InputSchema{Kind: data.Image, Shape: []int{1, 6, 6}, RawMax: 16}, Classes: []string{"a", "b", "c"},
		Normalization: &data.Normalization{Groups: 1, GroupSize: 36, Mean: []float32{0.5}, Std: []float32{2}}, Temperature: 1.25,
		State: []byte(`{"epoch":3}`), Tensors: append(m.Tensors(), Tensor{Name: "optimizer/m/x", Shape: []int{2}, Data: []float32{float32(math.Inf(1)), -0}})}
	path := filepath.Join(t.TempDir(), "best.ckpt")
	if err := SaveCheckpoint(path, c); err != nil {
		t.Fatal(err)
	}
	got, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := c.Marshal()
	b2, _ := got.Marshal()
	if !bytes.Equal(b1, b2) {
		t.Fatal("re-encoding the loaded checkpoint gives other bytes")
	}
	for i, want := range c.Tensors {
		g := got.Tensors[i]
		if g.Name != want.Name || !equalShape(g.Shape, want.Shape) {
			t.Fatalf("tensor %d: %s %v, want %s %v", i, g.Name, g.Shape, want.Name, want.Shape)
		}
		for k := range want.Data {
			if math.Float32bits(g.Data[k]) != math.Float32bits(want.Data[k]) {
				t.Fatalf("%s[%d] = %v, want %v (bits differ)", want.Name, k, g.Data[k], want.Data[k])
			}
		}
	}
	// A model rebuilt from the checkpoint evaluates identically, batch-norm
	// running statistics included.
	m2, err := New(got.Spec, got.Input.Shape, len(got.Classes), Options{TrainBatch: 2, Seed: 99})
	if err != nil {
		t.Fatal(err)
	}
	if err := m2.SetTensors(got.Tensors); err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 5*36)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	l1, l2 := make([]float32, 15), make([]float32, 15)
	if err := m.Logits(x, l1); err != nil {
		t.Fatal(err)
	}
	if err := m2.Logits(x, l2); err != nil {
		t.Fatal(err)
	}
	for i := range l1 {
		if math.Float32bits(l1[i]) != math.Float32bits(l2[i]) {
			t.Fatalf("logit %d: %v vs %v after a round trip", i, l1[i], l2[i])
		}
	}
}

func TestSetTensorsNamesMismatch(t *testing.T) {
	m := trainedCNN(t)
	ts := m.Tensors()
	ts[0].Shape = []int{4, 1, 3, 4}
	err := m.SetTensors(ts)
	if err == nil || !strings.Contains(err.Error(), "conv0.weight") {
		t.Fatalf("err = %v, want a mismatch naming conv0.weight", err)
	}
	err = m.SetTensors(m.Tensors()[1:])
	if err == nil || !strings.Contains(err.Error(), "lacks parameter conv0.weight") {
		t.Fatalf("err = %v, want a missing conv0.weight", err)
	}
}

// reseal recomputes the checksum of a checkpoint file so that the loader
// must catch a lie in it by itself.
func reseal(b []byte) []byte {
	b = append([]byte(nil), b[:len(b)-4]...)
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// withHeader frames a JSON header and tensor data as a checkpoint file
// with a correct magic, version, header length and checksum.
func withHeader(js string, blob []byte) []byte {
	b := []byte(ckptMagic)
	b = binary.LittleEndian.AppendUint32(b, CheckpointVersion)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(js)))
	b = append(b, js...)
	b = append(b, blob...)
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// corruptCase is a damaged or hostile checkpoint file and a part of the
// error the loader must give for it.
type corruptCase struct {
	name string
	b    []byte
	want string
}

// corruptCheckpoints damages good, a valid checkpoint file, in every way
// the loader must catch; the fuzz targets start from the same files.
func corruptCheckpoints(good []byte) []corruptCase {
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/2] ^= 0xff
	hugeHeader := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(hugeHeader[len(ckptMagic)+4:], 0xfffffff0)
	return []corruptCase{
		{"empty", nil, "bad magic"},
		{"not a checkpoint", []byte("hello, this is a text file of some length"), "bad magic"},
		{"truncated", good[:len(good)-100], "checksum"},
		{"bit flip", flipped, "checksum"},
		{"huge header length", reseal(hugeHeader), "header length"},
		{"bad json", withHeader("{not json", nil), "header"},
		{"huge shape", withHeader(`{"tensors":[{"name":"w","shape":[1000000,1000000],"dtype":"float32","offset":0,"count":1000000000000}]}`, make([]byte, 16)), "shape"},
		{"negative dim", withHeader(`{"tensors":[{"name":"w","shape":[-4],"dtype":"float32","offset":0,"count":4}]}`, make([]byte, 16)), "bad shape"},
		{"count lies", withHeader(`{"tensors":[{"name":"w","shape":[2],"dtype":"float32","offset":0,"count":4}]}`, make([]byte, 16)), "do not fit"},
		{"overlap", withHeader(`{"tensors":[{"name":"w","shape":[2],"dtype":"float32","offset":0,"count":2},{"name":"v","shape":[2],"dtype":"float32","offset":0,"count":2}]}`, make([]byte, 16)), "do not fit"},
		{"dtype", withHeader(`{"tensors":[{"name":"w","shape":[2],"dtype":"float64","offset":0,"count":2}]}`, make([]byte, 16)), "dtype"},
		{"leftover data", withHeader(`{"tensors":[{"name":"w","shape":[2],"dtype":"float32","offset":0,"count":2}]}`, make([]byte, 16)), "described"},
	}
}

// goodCheckpoint is a valid checkpoint of a trained CNN.
func goodCheckpoint(tb testing.TB) []byte {
	tb.Helper()
	m := trainedCNN(tb)
	good, err := (&Checkpoint{Spec: m.Spec, Classes: []string{"a", "b", "c"}, Tensors: m.Tensors()}).Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return good
}

// TestCorruptCheckpoints feeds damaged and hostile files to the loader: each
// must give an error, never a panic or a huge allocation.
func TestCorruptCheckpoints(t *testing.T) {
	dir := t.TempDir()
	for _, c := range corruptCheckpoints(goodCheckpoint(t)) {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".ckpt")
			if err := os.WriteFile(path, c.b, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadCheckpoint(path)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want one naming the file and containing %q", err, c.want)
			}
		})
	}
}

// TestBatchNormStatsSurviveEvaluation guards the workaround for batch-norm
// statistics living inside gorgonia's ops: training updates them, the
// evaluation graph uses them, and evaluating does not disturb training.
func TestBatchNormStatsSurviveEvaluation(t *testing.T) {
	m := trainedCNN(t)
	var mean, variance []float32
	for _, p := range m.Params() {
		switch p.Name {
		case "bn0.running_mean":
			mean = append([]float32(nil), p.Float32s()...)
		case "bn0.running_var":
			variance = append([]float32(nil), p.Float32s()...)
		}
	}
	moved := false
	for i := range mean {
		if mean[i] != 0 || variance[i] != 1 {
			moved = true
		}
	}
	if !moved {
		t.Fatal("running statistics stayed at mean 0 / var 1 after training steps")
	}
	x := make([]float32, 4*36)
	for i := range x {
		x[i] = float32(i % 5)
	}
	a, b := make([]float32, 12), make([]float32, 12)
	if err := m.Logits(x, a); err != nil {
		t.Fatal(err)
	}
	if err := m.Logits(x, b); err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("two evaluations of the same inputs differ")
		}
	}
	// Evaluation in eval mode uses running statistics: one example's logits
	// do not depend on the other examples evaluated with it.
	single := make([]float32, 3)
	if err := m.Logits(x[:36], single); err != nil {
		t.Fatal(err)
	}
	for k := range single {
		if single[k] != a[k] {
			t.Fatalf("logits of example 0 depend on its batch: %v vs %v", single, a[:3])
		}
	}
	for _, p := range m.Params() {
		if p.Name == "bn0.running_mean" {
			for i, v := range p.Float32s() {
				if v != mean[i] {
					t.Fatal("evaluation changed the running mean")
				}
			}
		}
	}
}

// tinyCheckpoint is a small valid checkpoint with every field set, a
// cheaper starting point for the fuzzer than a trained model.
func tinyCheckpoint(tb testing.TB) []byte {
	tb.Helper()
	c := &Checkpoint{
		Spec:          Spec{Arch: MLP, Hidden: []int{2}, Activation: "tanh", Dropout: 0.1},
		Input:         InputSchema{Kind: data.Tabular, Shape: []int{2}, FeatureNames: []string{"a", "b"}, LabelColumn: "y"},
		Classes:       []string{"no", "yes"},
		Normalization: &data.Normalization{Groups: 2, GroupSize: 1, Mean: []float32{0, 1}, Std: []float32{1, 2}},
		Temperature:   1.5,
		State:         []byte(`{"epoch":1,"rng":[1,2]}`),
		Tensors: []Tensor{
			{Name: "fc0.weight", Shape: []int{2, 2}, Data: []float32{1, -2, float32(math.Inf(-1)), float32(math.NaN())}},
			{Name: "fc0.bias", Shape: []int{2}, Data: []float32{0, -0}},
			{Name: "scalar", Shape: []int{}, Data: []float32{3}},
		},
	}
	b, err := c.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// splitCheckpoint returns the JSON header and tensor data of a checkpoint
// file whose framing is sound, or ok=false.
func splitCheckpoint(b []byte) (js string, blob []byte, ok bool) {
	p := len(ckptMagic) + 8
	if len(b) < p+4 {
		return "", nil, false
	}
	hlen := int(binary.LittleEndian.Uint32(b[p-4:]))
	if hlen > len(b)-p-4 {
		return "", nil, false
	}
	return string(b[p : p+hlen]), b[p+hlen : len(b)-4], true
}

// heapAllocated is the number of bytes allocated on the heap so far.
func heapAllocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// checkUnmarshal asserts what must hold for any bytes given to the loader:
// it allocates in proportion to the bytes present, whatever sizes they
// announce; it fails with an error and no checkpoint, or it succeeds with a
// checkpoint that marshals, and reloads to the same tensors bit for bit,
// with the encoding a fixed point from then on.
func checkUnmarshal(t *testing.T, b []byte) {
	before := heapAllocated()
	c, err := UnmarshalCheckpoint(b)
	// JSON decoding expands the header by a bounded factor (a 3-byte "{},"
	// becomes a 72-byte tensor entry); a size field trusted before it is
	// checked against the file would allocate without bound.
	if got, limit := heapAllocated()-before, 128*uint64(len(b))+1<<20; got > limit {
		t.Fatalf("loading %d bytes allocated %d bytes (limit %d)", len(b), got, limit)
	}
	if err != nil {
		if c != nil || err.Error() == "" {
			t.Fatalf("error %q came with checkpoint %v", err, c)
		}
		return
	}
	checkBuildable(t, c, len(b))
	m1, err := c.Marshal()
	if err != nil {
		t.Fatalf("a loaded checkpoint does not marshal: %v", err)
	}
	c2, err := UnmarshalCheckpoint(m1)
	if err != nil {
		t.Fatalf("a re-marshalled checkpoint does not load: %v", err)
	}
	if len(c2.Tensors) != len(c.Tensors) {
		t.Fatalf("%d tensors reload as %d", len(c.Tensors), len(c2.Tensors))
	}
	for i, want := range c.Tensors {
		got := c2.Tensors[i]
		if got.Name != want.Name || !equalShape(got.Shape, want.Shape) || len(got.Data) != len(want.Data) || len(want.Data) != size(want.Shape) {
			t.Fatalf("tensor %d: %q %v (%d values) reloads as %q %v (%d values)", i, want.Name, want.Shape, len(want.Data), got.Name, got.Shape, len(got.Data))
		}
		for k := range want.Data {
			if math.Float32bits(got.Data[k]) != math.Float32bits(want.Data[k]) {
				t.Fatalf("%s[%d]: bits %08x reload as %08x", want.Name, k, math.Float32bits(want.Data[k]), math.Float32bits(got.Data[k]))
			}
		}
	}
	m2, err := c2.Marshal()
	if err != nil || !bytes.Equal(m1, m2) {
		t.Fatalf("marshalling a reloaded checkpoint gives other bytes (%v)", err)
	}
}

// FuzzUnmarshalCheckpoint feeds whole files to the loader, starting from
// valid checkpoints and the damaged ones of TestCorruptCheckpoints. Each
// input is also tried with its checksum recomputed, or almost every
// mutation would stop at the checksum and never reach the checks after it.
func FuzzUnmarshalCheckpoint(f *testing.F) {
	good, tiny := goodCheckpoint(f), tinyCheckpoint(f)
	for _, b := range [][]byte{good, tiny} {
		if _, err := UnmarshalCheckpoint(b); err != nil {
			f.Fatalf("a valid seed does not load: %v", err)
		}
		f.Add(b)
	}
	for _, c := range corruptCheckpoints(good) {
		f.Add(c.b)
	}
	for _, b := range craftedSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkUnmarshal(t, b)
		if len(b) >= 4 {
			checkUnmarshal(t, reseal(b))
		}
	})
}

// FuzzCheckpointHeader frames a fuzzed JSON header and tensor data as a
// checkpoint with correct magic, lengths and checksum, so that mutations
// exercise the header and tensor-table checks rather than the framing.
func FuzzCheckpointHeader(f *testing.F) {
	good := goodCheckpoint(f)
	for _, b := range append([][]byte{good, tinyCheckpoint(f), layerListCheckpoint(f)}, append(craftedSeeds(f), func() (bs [][]byte) {
		for _, c := range corruptCheckpoints(good) {
			bs = append(bs, c.b)
		}
		return bs
	}()...)...) {
		if js, blob, ok := splitCheckpoint(b); ok {
			f.Add(js, blob)
		}
	}
	f.Fuzz(func(t *testing.T, js string, blob []byte) {
		checkUnmarshal(t, withHeader(js, blob))
	})
}

// layerListCheckpoint is a valid checkpoint of an untrained layer-list
// model with a residual block and a projection, so that the header
// fuzzers start from a spec that holds layers.
func layerListCheckpoint(tb testing.TB) []byte {
	tb.Helper()
	var ls []Layer
	if err := yaml.Unmarshal([]byte(`[{conv2d: {filters: 2, bias: false}}, {batchnorm: {}}, {residual: {layers: [{conv2d: {filters: 3, stride: 2}}, {gelu: {}}]}}, {global_avgpool: {}}, {dropout: {p: 0.1}}]`), &ls); err != nil {
		tb.Fatal(err)
	}
	spec := Spec{Layers: ls}.WithDefaults([]int{1, 6, 6})
	m, err := New(spec, []int{1, 6, 6}, 3, Options{TrainBatch: 2, EvalBatch: 2, Seed: 3})
	if err != nil {
		tb.Fatal(err)
	}
	b, err := (&Checkpoint{Spec: m.Spec, Input: InputSchema{Kind: "image", Shape: []int{1, 6, 6}}, Classes: []string{"a", "b", "c"}, Tensors: m.Tensors()}).Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestLayerListCheckpoint: a layer-list model's checkpoint round-trips,
// its header passes CheckBuild (the projection's tensors included), and a
// header whose list no longer matches its tensors is refused.
func TestLayerListCheckpoint(t *testing.T) {
	b := layerListCheckpoint(t)
	c, err := UnmarshalCheckpoint(b)
	if err != nil {
		t.Fatal(err)
	}
	if c.Spec.Arch != Custom || countLayers(c.Spec.Layers) != 7 {
		t.Fatalf("spec %s with %d layers, want custom with 7", c.Spec.Arch, countLayers(c.Spec.Layers))
	}
	if err := c.CheckBuild(1 << 30); err != nil {
		t.Fatalf("CheckBuild: %v", err)
	}
	if c.Tensor("res0.proj.weight") == nil {
		t.Fatal("no res0.proj.weight in the checkpoint")
	}
	c.Spec.Layers[2].Layers[0].Filters = 4 // the block now has 4 filters, the tensors 3
	if err := c.CheckBuild(1 << 30); err == nil || !strings.Contains(err.Error(), "res0.conv0.weight of shape [4 2 3 3], the file's is [3 2 3 3]") {
		t.Fatalf("a header that disagrees with its tensors: %v", err)
	}
}
