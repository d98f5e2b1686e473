package lrsweep

import (
	"context"
	"math"
	"testing"

	"github.com/practica-ml/practica/setup"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/train"
)

// prepared is the embedded digits with a small model: a CNN with batch
// norm and dropout (every kind of state the range test must put back), or
// an MLP for the faster end-to-end tests.
func prepared(t *testing.T, arch string) *setup.Prepared {
	t.Helper()
	cfg := config.Default()
	cfg.Model.Arch = arch
	cfg.Training.BatchSize = 64
	cfg.Training.Seed = 7
	switch arch {
	case model.CNN:
		cfg.Model.Channels, cfg.Model.Hidden = []int{4, 8}, []int{16}
		cfg.Model.BatchNorm, cfg.Model.Dropout = true, 0.2
	default:
		cfg.Model.Hidden = []int{32}
	}
	p, err := setup.Prepare(cfg, setup.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newModel builds the experiment's model and takes a few training steps so
// that the optimizer has moments and a step count to restore.
func newModel(t *testing.T, p *setup.Prepared) (*model.Model, train.Optimizer) {
	t.Helper()
	m, o, err := p.NewModel(model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	trainSteps(t, p, m, o, 3)
	return m, o
}

// trainSteps runs n ordinary training steps (from epoch 1, step 0).
func trainSteps(t *testing.T, p *setup.Prepared, m *model.Model, o train.Optimizer, n int64) {
	t.Helper()
	l := p.NewLoop(m, o, nil)
	l.Epochs, l.MaxSteps = 1, n
	if _, err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// sameBits reports the first parameter whose bits differ.
func sameBits(t *testing.T, what string, a, b []model.Tensor) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d tensors, want %d", what, len(a), len(b))
	}
	for i := range a {
		if a[i].Name != b[i].Name || len(a[i].Data) != len(b[i].Data) {
			t.Fatalf("%s: tensor %d is %s[%d], want %s[%d]", what, i, a[i].Name, len(a[i].Data), b[i].Name, len(b[i].Data))
		}
		for k := range a[i].Data {
			if math.Float32bits(a[i].Data[k]) != math.Float32bits(b[i].Data[k]) {
				t.Fatalf("%s: %s[%d] = %v, want %v (bit-identical)", what, a[i].Name, k, a[i].Data[k], b[i].Data[k])
			}
		}
	}
}

func sameOptimizer(t *testing.T, what string, a, b train.OptimizerState) {
	t.Helper()
	if a.Name != b.Name || a.Step != b.Step || math.Float64bits(a.LR) != math.Float64bits(b.LR) || len(a.Slots) != len(b.Slots) {
		t.Fatalf("%s: optimizer %s step %d lr %v (%d slots), want %s step %d lr %v (%d slots)", what, a.Name, a.Step, a.LR, len(a.Slots), b.Name, b.Step, b.LR, len(b.Slots))
	}
	for name, sa := range a.Slots {
		sb := b.Slots[name]
		for i := range sa {
			for k := range sa[i] {
				if math.Float32bits(sa[i][k]) != math.Float32bits(sb[i][k]) {
					t.Fatalf("%s: optimizer slot %s[%d][%d] = %v, want %v", what, name, i, k, sa[i][k], sb[i][k])
				}
			}
		}
	}
}
