package model

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/practica-ml/practica/data"
)

// planTensors are zero tensors of every parameter spec plans for the input
// shape and classes: what a checkpoint of that model holds.
func planTensors(spec Spec, shape []int, classes int) []Tensor {
	var ts []Tensor
	for _, p := range plan(spec, shape, classes) {
		ts = append(ts, Tensor{Name: p.name, Shape: p.shape, Data: make([]float32, size(p.shape))})
	}
	return ts
}

// classNames are n class names.
func classNames(n int) []string {
	c := make([]string, n)
	for i := range c {
		c[i] = fmt.Sprint(i)
	}
	return c
}

// craftedCase is a checkpoint whose header describes a model, and a part
// of the error CheckBuild must give for it ("" for none).
type craftedCase struct {
	name string
	c    Checkpoint
	want string
}

// craftedCheckpoints are small checkpoints, with sound framing and
// checksums, whose headers describe models far larger than their tensors,
// or that cannot be built at all. Building any of them from its header
// would cost gigabytes (or end the process with "out of memory") or panic
// inside gorgonia with a negative dimension.
func craftedCheckpoints() []craftedCase {
	small := Spec{Arch: MLP, Hidden: []int{4, 4}, Activation: "relu"}
	in := []int{8}
	tensors := planTensors(small, in, 3)
	ck := func(spec Spec, shape []int, classes int, ts []Tensor) Checkpoint {
		return Checkpoint{Spec: spec, Input: InputSchema{Kind: data.Tabular, Shape: shape}, Classes: classNames(classes), Tensors: ts}
	}
	with := func(f func(*Spec)) Spec {
		s := small
		f(&s)
		return s
	}
	tinyCNN := Spec{Arch: CNN, Channels: []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, Activation: "relu"}
	hugeImage := []int{1, 8192, 8192}
	return []craftedCase{
		{"valid", ck(small, in, 3, tensors), ""},
		{"hidden 65536x65536", ck(with(func(s *Spec) { s.Hidden = []int{65536, 65536} }), in, 3, tensors), "dense0.weight of shape [8 65536], the file's is [8 4]"},
		{"hidden 65536x4096", ck(with(func(s *Spec) { s.Hidden = []int{65536, 4096} }), in, 3, tensors), "dense0.weight of shape [8 65536]"},
		{"a million classes", ck(small, in, 1_000_000, tensors), "out.weight of shape [4 1000000], the file's is [4 3]"},
		{"negative dimensions", ck(small, []int{-2, -4}, 3, tensors), "input shape [-2 -4]: dimension -2 is below 1"},
		{"shape wrapping round to 8", ck(small, []int{1<<62 + 2, 4}, 3, tensors), "more than 1073741824 values per example"},
		{"shape wrapping round to 0", ck(small, []int{1 << 32, 1 << 32}, 3, tensors), "more than 1073741824 values per example"},
		{"no shape", ck(small, nil, 3, tensors), "input shape []"},
		{"one class", ck(small, in, 1, tensors), "at least 2 classes"},
		{"bad spec", ck(with(func(s *Spec) { s.Hidden = []int{1 << 20} }), in, 3, tensors), "model.hidden"},
		{"a million layers", ck(with(func(s *Spec) { s.Hidden = make([]int, 1_000_000) }), in, 3, tensors), "hidden [0 0 0 0 0 0 0 0]… (1000000 in all)) has 2000002 parameter tensors, the file holds 6"},
		{"missing tensor", ck(small, in, 3, tensors[1:]), "has 6 parameter tensors, the file holds 5"},
		{"renamed tensor", ck(small, in, 3, append([]Tensor{{Name: "w", Shape: tensors[0].Shape, Data: tensors[0].Data}}, tensors[1:]...)), "dense0.weight [8 4], which the file lacks"},
		// Thirteen 1-channel conv blocks bring 8192×8192 down to 1×1:
		// tiny tensors, but an evaluation batch of 256 such images.
		{"tiny weights, huge activations", ck(tinyCNN, hugeImage, 3, planTensors(tinyCNN, hugeImage, 3)), "is estimated to need 171.8 GiB to evaluate, more than the 8.0 GiB allowed (mostly model.channels)"},
	}
}

// TestCheckBuild refuses each crafted header before any model is built,
// quickly and in little memory, with an error saying what is wrong; the
// files are checked through the whole loader (framing, checksum).
func TestCheckBuild(t *testing.T) {
	for _, tc := range craftedCheckpoints() {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			c, err := UnmarshalCheckpoint(b)
			if err != nil {
				t.Fatal(err)
			}
			start, before := time.Now(), heapAllocated()
			err = c.CheckBuild(8 << 30)
			if got, limit := heapAllocated()-before, 4*uint64(len(b))+1<<20; got > limit {
				t.Errorf("checking a %d-byte checkpoint allocated %d bytes (limit %d)", len(b), got, limit)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("checking took %v", d)
			}
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				m, err := New(c.Spec, c.Input.Shape, len(c.Classes), Options{TrainBatch: 1})
				if err != nil {
					t.Fatal(err)
				}
				if err := m.SetTensors(c.Tensors); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "goroutine") {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestCheckBuildBudget: the memory bound is the estimate of the model
// built for evaluation, and none when maxBytes ≤ 0.
func TestCheckBuildBudget(t *testing.T) {
	spec := Spec{Arch: CNN, Channels: []int{4}, Hidden: []int{8}, Activation: "relu"}
	shape := []int{1, 6, 6}
	c := &Checkpoint{Spec: spec, Input: InputSchema{Kind: data.Image, Shape: shape}, Classes: classNames(3), Tensors: planTensors(spec, shape, 3)}
	e, err := EstimateMemory(spec, shape, 3, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		max int64
		ok  bool
	}{{e.Bytes(), true}, {e.Bytes() - 1, false}, {0, true}, {-1, true}} {
		if err := c.CheckBuild(tc.max); (err == nil) != tc.ok {
			t.Errorf("budget %d for an estimate of %d: err = %v", tc.max, e.Bytes(), err)
		}
	}
}

// TestPlanCount: the count CheckBuild compares first is the plan's.
func TestPlanCount(t *testing.T) {
	for _, s := range []Spec{
		{Arch: Linear, Hidden: []int{5, 6}},
		{Arch: MLP},
		{Arch: MLP, Hidden: []int{5, 6, 7}},
		{Arch: CNN, Channels: []int{2, 3}, Hidden: []int{4}},
		{Arch: CNN, Channels: []int{2, 3}, BatchNorm: true},
		{Arch: CNN, Channels: []int{2}, Hidden: []int{4, 5}, BatchNorm: true},
	} {
		if got, want := planCount(s), len(plan(s, []int{1, 8, 8}, 3)); got != want {
			t.Errorf("%+v: planCount %d, plan has %d", s, got, want)
		}
	}
}

// craftedSeeds are the files of craftedCheckpoints, for the fuzz targets
// (the million-classes one, 9 MB, left out).
func craftedSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, tc := range craftedCheckpoints() {
		if len(tc.c.Classes) > 1000 || len(tc.c.Spec.Hidden) > 1000 {
			continue
		}
		b, err := tc.c.Marshal()
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// checkBuildable asserts what must hold for any checkpoint that loads:
// CheckBuild allocates in proportion to the file's n bytes and never
// panics, and a model it lets through within a small budget builds and
// takes the checkpoint's tensors.
func checkBuildable(t *testing.T, c *Checkpoint, n int) {
	t.Helper()
	before := heapAllocated()
	err := c.CheckBuild(4 << 20)
	if got, limit := heapAllocated()-before, 8*uint64(n)+1<<20; got > limit {
		t.Fatalf("checking a %d-byte checkpoint allocated %d bytes (limit %d)", n, got, limit)
	}
	if err != nil {
		return
	}
	m, err := New(c.Spec, c.Input.Shape, len(c.Classes), Options{TrainBatch: 1})
	if err != nil {
		t.Fatalf("CheckBuild let through a model New refuses: %v", err)
	}
	if err := m.SetTensors(c.Tensors); err != nil {
		t.Fatalf("CheckBuild let through tensors SetTensors refuses: %v", err)
	}
}
