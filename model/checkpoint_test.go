package model

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/practica-ml/practica/data"
)

func trainedCNN(t *testing.T) *Model {
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

// TestCorruptCheckpoints feeds damaged and hostile files to the loader: each
// must give an error, never a panic or a huge allocation.
func TestCorruptCheckpoints(t *testing.T) {
	m := trainedCNN(t)
	good, err := (&Checkpoint{Spec: m.Spec, Classes: []string{"a", "b", "c"}, Tensors: m.Tensors()}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	// reseal recomputes the checksum so the loader must catch the lie itself.
	reseal := func(b []byte) []byte {
		b = append([]byte(nil), b[:len(b)-4]...)
		return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	}
	withHeader := func(js string, blob []byte) []byte {
		b := []byte(ckptMagic)
		b = binary.LittleEndian.AppendUint32(b, CheckpointVersion)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(js)))
		b = append(b, js...)
		b = append(b, blob...)
		return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	}
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/2] ^= 0xff
	hugeHeader := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(hugeHeader[len(ckptMagic)+4:], 0xfffffff0)
	cases := []struct {
		name string
		b    []byte
		want string
	}{
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
	dir := t.TempDir()
	for _, c := range cases {
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
