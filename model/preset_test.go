package model

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/practica-ml/practica/kernels"
)

// presetFingerprint trains each preset for a few plain gradient steps on
// seeded random data and hashes everything that comes out: the losses,
// the gradients, the weights, the evaluation logits and the features.
func presetFingerprint(t *testing.T, spec Spec, shape []int, classes int) (string, string) {
	t.Helper()
	const batch = 8
	m, err := New(spec.WithDefaults(shape), shape, classes, Options{TrainBatch: batch, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	n := size(shape)
	x := make([]float32, 3*batch*n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	h := sha256.New()
	put := func(vs []float32) {
		for _, v := range vs {
			binary.Write(h, binary.LittleEndian, math.Float32bits(v))
		}
	}
	for s := range 3 {
		targets := make([]float32, batch*classes)
		for i := range batch {
			targets[i*classes+(i+s)%classes] = 1.0 / batch
		}
		loss, err := m.TrainStep(x[s*batch*n:(s+1)*batch*n], targets, batch, rand.New(rand.NewPCG(uint64(s), 9)))
		if err != nil {
			t.Fatal(err)
		}
		binary.Write(h, binary.LittleEndian, math.Float64bits(loss))
		grads, err := m.Grads()
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range m.Learnables() {
			put(grads[i])
			w := p.Float32s()
			for k := range w {
				w[k] -= 0.05 * grads[i][k]
			}
		}
	}
	for _, p := range m.Params() {
		put(p.Float32s())
	}
	logits := make([]float32, 3*batch*classes)
	if err := m.Logits(x, logits); err != nil {
		t.Fatal(err)
	}
	put(logits)
	main := fmt.Sprintf("%x", h.Sum(nil))
	feats, _, err := m.Features(x)
	if err != nil {
		return main, "none"
	}
	f := sha256.New()
	for _, v := range feats {
		binary.Write(f, binary.LittleEndian, math.Float32bits(v))
	}
	return main, fmt.Sprintf("%x", f.Sum(nil))
}

// TestPresetsBitIdentical pins what the presets compute: the hashes were
// taken with the code from before layer lists, which built linear, mlp
// and cnn directly, so that their expansion into layer lists provably
// changed nothing (losses, gradients, weights, logits, features), and no
// later change does either without this test saying so. The exception is
// the features of a tanh network: they were a float64 tanh applied
// outside the graph, and are now the graph's own float32 tanh (they feed
// only the naive-embedding probe, which uses an untrained relu cnn). The
// hashes hold for the AVX2 kernels (other CPUs sum in another order).
func TestPresetsBitIdentical(t *testing.T) {
	if !strings.Contains(kernels.InUse(), "AVX2/FMA") || strings.Contains(kernels.InUse(), "no AVX2") {
		t.Skipf("hashes taken with the AVX2 kernels; this machine multiplies with %s", kernels.InUse())
	}
	for _, c := range []struct {
		name  string
		spec  Spec
		shape []int
		want  string
		feats string
	}{
		{"linear", Spec{Arch: Linear}, []int{1, 8, 8}, "3bac3594436b97cb0fe81deb261d8d4813a221e80734e432cb6cfdd720781023", "none"},
		{"mlp-tanh-dropout", Spec{Arch: MLP, Hidden: []int{16, 8}, Activation: "tanh", Dropout: 0.3}, []int{12}, "f9c57e1beaf59dbcc4bc4cc351bfc4e5a097a4a272a6624f25dbc2cd5df56fb4", "9e135bcdaf9a07686fc2e3c78560b9e590b17a5db609b83810b4c23dc7d879b3"},
		{"mlp-relu", Spec{Arch: MLP}, []int{1, 8, 8}, "c3dbe6102c2c1c7deaa91b40816bdfe2d0d81a3df9156770b709f9556e87e00f", "9df261835a1e4311ab72c480da1875ed40b44a788eb8d48631e65adb692ac866"},
		{"cnn", Spec{Arch: CNN}, []int{1, 8, 8}, "3539dd97432a5a3968dd34614453ecde4f90bb4cee4d031fa785aca1b2ed3c88", "2d6a851163a210084e381915f8609a5128a6b52c94ddf715172ca8f3a9995302"},
		{"cnn-bn-dropout", Spec{Arch: CNN, Channels: []int{8, 16}, Hidden: []int{32}, BatchNorm: true, Dropout: 0.2}, []int{3, 9, 9}, "f3cb9572d62ec958c32cc84942efa66a766baf36baa60c11f07f7d0648776767", "495da918da86d438a37d597fa045117bb1de193b5e4233286ad037a033257c9c"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, feats := presetFingerprint(t, c.spec, c.shape, 4)
			if got != c.want {
				t.Errorf("training and evaluation hash to %s, want %s", got, c.want)
			}
			if feats != c.feats {
				t.Errorf("features hash to %s, want %s", feats, c.feats)
			}
		})
	}
}
