package train

import (
	"context"
	"testing"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/model"
)

// digitsSplits loads the embedded digits, split and normalized.
func digitsSplits(t testing.TB) *data.Splits {
	t.Helper()
	src, err := data.Open("digits", data.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := data.Split(src, data.SplitConfig{Val: 0.1, Test: 0.1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	norm, err := data.FitNormalization(sp.Train)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []*data.Dataset{sp.Train, sp.Val, sp.Test} {
		if err := norm.Apply(d); err != nil {
			t.Fatal(err)
		}
	}
	return sp
}

func newLoop(t testing.TB, sp *data.Splits, spec model.Spec, epochs int, opt OptimizerConfig) *Loop {
	t.Helper()
	spec = spec.WithDefaults(sp.Train.Shape)
	m, err := model.New(spec, sp.Train.Shape, sp.Train.NumClasses(), model.Options{TrainBatch: 64, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, p := range m.Learnables() {
		sizes = append(sizes, len(p.Float32s()))
	}
	o, err := NewOptimizer(opt, sizes)
	if err != nil {
		t.Fatal(err)
	}
	return &Loop{Model: m, Optimizer: o, Train: sp.Train, Val: sp.Val, Epochs: epochs, BatchSize: 64, Seed: 5, Shuffle: true}
}

func adamConfig(lr float64) OptimizerConfig {
	return OptimizerConfig{Name: "adam", LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

func TestLoopLearnsDigits(t *testing.T) {
	sp := digitsSplits(t)
	cases := []struct {
		name   string
		spec   model.Spec
		opt    OptimizerConfig
		epochs int
		minAcc float64
	}{
		{"linear-adam", model.Spec{Arch: model.Linear}, adamConfig(1e-2), 10, 0.93},
		{"mlp-adam", model.Spec{Arch: model.MLP, Dropout: 0.2}, adamConfig(1e-3), 10, 0.95},
		{"mlp-sgd", model.Spec{Arch: model.MLP}, OptimizerConfig{Name: "sgd", LR: 0.05, Momentum: 0.9, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, 10, 0.95},
		{"cnn-bn-adamw", model.Spec{Arch: model.CNN, Channels: []int{8, 16}, Hidden: []int{32}, BatchNorm: true}, OptimizerConfig{Name: "adamw", LR: 3e-3, WeightDecay: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, 5, 0.95},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := newLoop(t, sp, c.spec, c.epochs, c.opt)
			res, err := l.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			first, last := res.History[0], res.History[len(res.History)-1]
			t.Logf("val loss %.4f -> %.4f, accuracy %.4f; %.2fs/epoch", first.ValLoss, last.ValLoss, last.ValAccuracy, last.Seconds)
			if last.TrainLoss >= first.TrainLoss {
				t.Errorf("training loss did not fall: %v -> %v", first.TrainLoss, last.TrainLoss)
			}
			if last.ValAccuracy < c.minAcc {
				t.Errorf("val accuracy %.4f < %.2f", last.ValAccuracy, c.minAcc)
			}
			if res.StopReason != StopMaxEpochs {
				t.Errorf("stop reason %q", res.StopReason)
			}
			for _, e := range res.History {
				if !(e.StepSeconds > 0 && e.StepSeconds <= e.Seconds) {
					t.Errorf("epoch %d: step_seconds %v, want within (0, seconds %v]", e.Epoch, e.StepSeconds, e.Seconds)
				}
			}
		})
	}
}
