package inference

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"runtime/metrics"
	"slices"
	"strings"
	"testing"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/internal/testfile"
	"github.com/practica-ml/practica/model"
)

// heapAllocated is the number of bytes allocated on the heap so far.
func heapAllocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestLoadRefusesCraftedCheckpoints: checkpoints whose headers describe a
// model their tensors do not hold are refused before the model is built,
// in well under a second and a few megabytes, with a message naming the
// file. Built first, they cost gigabytes (hidden [65536, 65536]: 16 GiB
// for its first layer), ended the process with "out of memory" (the
// 8192×8192 CNN's evaluation batch), or panicked in gorgonia with a
// goroutine dump (negative dimensions).
func TestLoadRefusesCraftedCheckpoints(t *testing.T) {
	spec := model.Spec{Arch: model.MLP, Hidden: []int{4, 4}, Activation: "relu"}
	m, err := model.New(spec, []int{8}, 3, model.Options{TrainBatch: 1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	base := model.Checkpoint{Spec: spec, Input: model.InputSchema{Kind: data.Tabular, Shape: []int{8}}, Classes: []string{"a", "b", "c"}, Temperature: 1, Tensors: m.Tensors()}
	// Thirteen 1-channel conv blocks bring 8192×8192 images down to 1×1:
	// tiny tensors, but an evaluation batch of 256 such images.
	tinyCNN := model.Spec{Arch: model.CNN, Channels: slices.Repeat([]int{1}, 13), Activation: "relu"}
	var cnnTensors []model.Tensor
	for i := range 13 {
		cnnTensors = append(cnnTensors,
			model.Tensor{Name: fmt.Sprintf("conv%d.weight", i), Shape: []int{1, 1, 3, 3}, Data: make([]float32, 9)},
			model.Tensor{Name: fmt.Sprintf("conv%d.bias", i), Shape: []int{1, 1, 1, 1}, Data: make([]float32, 1)})
	}
	cnnTensors = append(cnnTensors,
		model.Tensor{Name: "out.weight", Shape: []int{1, 3}, Data: make([]float32, 3)},
		model.Tensor{Name: "out.bias", Shape: []int{1, 3}, Data: make([]float32, 3)})
	dir := t.TempDir()
	cases := []struct {
		name string
		edit func(c *model.Checkpoint)
		opt  LoadOptions
		want string
	}{
		{"valid", func(c *model.Checkpoint) {}, LoadOptions{}, ""},
		{"valid, no bound", func(c *model.Checkpoint) {}, LoadOptions{MaxMemory: -1}, ""},
		{"hidden 65536x65536", func(c *model.Checkpoint) { c.Spec.Hidden = []int{65536, 65536} }, LoadOptions{},
			"has parameter dense0.weight of shape [8 65536], the file's is [8 4]"},
		{"a million classes", func(c *model.Checkpoint) { c.Classes = make([]string, 1_000_000) }, LoadOptions{},
			"has parameter out.weight of shape [4 1000000], the file's is [4 3]"},
		{"negative dimensions", func(c *model.Checkpoint) { c.Input.Shape = []int{-2, -4} }, LoadOptions{},
			"input shape [-2 -4]: dimension -2 is below 1"},
		{"overflowing shape", func(c *model.Checkpoint) { c.Input.Shape = []int{1<<62 + 2, 4} }, LoadOptions{},
			"more than 1073741824 values per example"},
		{"tiny weights, huge activations", func(c *model.Checkpoint) {
			c.Spec, c.Input = tinyCNN, model.InputSchema{Kind: data.Image, Shape: []int{1, 8192, 8192}}
			c.Tensors = cnnTensors
		}, LoadOptions{}, "is estimated to need 171.8 GiB to evaluate, more than the 8.0 GiB allowed"},
		{"a set budget", func(c *model.Checkpoint) {}, LoadOptions{MaxMemory: 1000}, "more than the 0.0 GiB allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			c.Spec.Hidden = slices.Clone(base.Spec.Hidden)
			tc.edit(&c)
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".ckpt")
			if err := model.SaveCheckpoint(path, &c); err != nil {
				t.Fatal(err)
			}
			before := heapAllocated()
			p, err := LoadWith(path, tc.opt)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := p.Logits(make([]float32, 8)); err != nil {
					t.Fatal(err)
				}
				return
			}
			// Decoding the JSON header costs a bounded multiple of its
			// size (a million class names of 3 bytes become 16-byte string
			// headers and the decoder's garbage); nothing is in proportion
			// to the model the header describes.
			st, _ := os.Stat(path)
			if got, limit := heapAllocated()-before, 64*uint64(st.Size())+4<<20; got > limit {
				t.Errorf("loading a %d-byte file allocated %d bytes (limit %d)", st.Size(), got, limit)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), path+": ") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one line naming %s and containing %q", err, path, tc.want)
			}
		})
	}
}

// TestReadIDXChecksHeadersFirst: an IDX file's image size is compared
// with the model's, and its labels' count with its images', from the
// headers, before either body is read; the crafted files hold 16 MB of
// pixels in a few kilobytes, which used to be read (64 MB as float32)
// before the comparison.
func TestReadIDXChecksHeadersFirst(t *testing.T) {
	p := &Predictor{Checkpoint: &model.Checkpoint{
		Input:   model.InputSchema{Kind: data.Image, Shape: []int{1, 8, 8}, RawMax: 16},
		Classes: []string{"0", "1", "2"},
	}}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	wide := write("wide-images-idx3-ubyte.gz", testfile.Gzip(testfile.IDX(0x803, []uint32{20000, 28, 28}, make([]byte, 20000*28*28))))
	many := write("many-images-idx3-ubyte.gz", testfile.Gzip(testfile.IDX(0x803, []uint32{250000, 8, 8}, make([]byte, 250000*64))))
	few := write("few-labels-idx1-ubyte", testfile.IDX(0x801, []uint32{10}, make([]byte, 10)))
	three := write("three-images-idx3-ubyte", testfile.IDX(0x803, []uint32{3, 8, 8}, slices.Repeat([]byte{255, 0}, 96)))
	labels := write("three-labels-idx1-ubyte", testfile.IDX(0x801, []uint32{3}, []byte{2, 0, 1}))
	bad := write("bad-labels-idx1-ubyte", testfile.IDX(0x801, []uint32{3}, []byte{2, 3, 1}))
	for _, tc := range []struct {
		name           string
		images, labels string
		want           string
	}{
		{"image size", wide, "", "wide-images-idx3-ubyte.gz: images of 28×28, this model takes [1 8 8]"},
		{"label count", many, few, "few-labels-idx1-ubyte has 10 labels for the 250000 images of " + many},
		{"label beyond the classes", three, bad, "bad-labels-idx1-ubyte: label 3 of example 1 is not one of the model's 3 classes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := heapAllocated()
			_, err := p.ReadIDX(tc.images, tc.labels)
			if got := heapAllocated() - before; got > 1<<20 {
				t.Errorf("%d bytes allocated before the refusal", got)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
	in, err := p.ReadIDX(three, labels)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.X) != 3*64 || in.X[0] != 16 || in.X[1] != 0 || !slices.Equal(in.Y, []int{2, 0, 1}) {
		t.Fatalf("read %d pixels starting %v, labels %v", len(in.X), in.X[:2], in.Y)
	}
}

// TestReadImagesLimits: the predictor's Limits reach the image decoder.
func TestReadImagesLimits(t *testing.T) {
	p := &Predictor{Checkpoint: &model.Checkpoint{
		Input:   model.InputSchema{Kind: data.Image, Shape: []int{1, 8, 8}, RawMax: 16},
		Classes: []string{"0", "1"},
	}, Limits: data.Limits{MaxImagePixels: 15}}
	// A 4×4 grey PNG: 16 pixels, one more than the limit.
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "four.png")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := p.ReadImages([]string{path}); err == nil || !strings.Contains(err.Error(), "4×4 pixels, more than the 15") {
		t.Fatalf("err = %v, want the limit of 15 pixels", err)
	}
	p.Limits = data.Limits{}
	if in, err := p.ReadImages([]string{path}); err != nil || len(in.X) != 64 {
		t.Fatalf("within the default limit: %d values, %v", len(in.X), err)
	}
}
