package model

import (
	"testing"
)

// TestEstimateMemory checks the estimate against values worked out by hand
// on the digits' shape (1×8×8 = 64 inputs, 10 classes) at batch 128. Per
// example, "held" values count once and "computed" ones twice (value and
// gradient); the input and targets are 64 + 10 = 74 held, the output layer
// 2·10 = 20 computed, the loss 4·10 + 3 = 43 computed.
func TestEstimateMemory(t *testing.T) {
	digits := []int{1, 8, 8}
	cases := []struct {
		name   string
		spec   Spec
		slots  int
		params int64
		stats  int64
		act    int64 // activation bytes
		total  int64
		driver string
	}{
		// 64·10 + 10 = 650 parameters, 650·4 bytes ×(1 + 1 gradient + 2
		// Adam) = 10,400. Activations: 74 + 2·(20 + 43) = 200 per example,
		// ×128×4 = 102,400.
		{"linear", Spec{Arch: Linear, Activation: "relu"}, 2, 650, 0, 102_400, 112_800, KeyData},
		// 64·128 + 128 + 128·10 + 10 = 9,610 parameters ×16 bytes = 153,760.
		// Activations: 74 + 2·(3·128 + 20 + 43) = 968 per example, ×512 =
		// 495,616.
		{"mlp 64-128-10", Spec{Arch: MLP, Hidden: []int{128}, Activation: "relu"}, 2, 9_610, 0, 495_616, 649_376, KeyHidden},
		// conv0 32·1·9 + 32, conv1 64·32·9 + 64, dense 64·2·2 = 256 inputs:
		// 256·128 + 128, out 128·10 + 10: 53,002 parameters ×16 = 848,032.
		// Activations: conv0 32·8·8 = 2,048, pool 32·4·4 = 512, conv1
		// 64·4·4 = 1,024, pool 64·2·2 = 256: 3,840; 74 + 2·(3,840 + 384 +
		// 20 + 43) = 8,648 per example, ×512 = 4,427,776.
		{"cnn 32,64 + 128", Spec{Arch: CNN, Channels: []int{32, 64}, Hidden: []int{128}, Activation: "relu"}, 2, 53_002, 0, 4_427_776, 5_275_808, KeyChannels},
		// Batch norm instead of conv biases: 288 + 2·32 + 18,432 + 2·64 +
		// 32,896 + 1,290 = 53,098 learnable ×4×(2 + 1 SGD slot) = 637,176,
		// and 2·(32 + 64) = 192 running statistics ×4 = 768. Activations:
		// convs and pools 3,840 + batch norm 2,048 + 1,024 = 6,912; dense
		// 384 + dropout's product 128; held 74 + the mask 128: 202 +
		// 2·(6,912 + 512 + 20 + 43) = 15,176 per example, ×512 = 7,770,112.
		{"cnn batch norm, dropout, sgd", Spec{Arch: CNN, Channels: []int{32, 64}, Hidden: []int{128}, Activation: "relu", BatchNorm: true, Dropout: 0.5}, 1,
			53_098, 192, 7_770_112, 637_176 + 768 + 7_770_112, KeyChannels},
		// The largest sizes Validate lets through: 64·65,536 + 65,536 +
		// 65,536² + 65,536 + 65,536·10 + 10 = 4,299,948,042 parameters,
		// ×16 bytes = 68,799,168,672 (64 GiB: model.New would die of it).
		// Activations: 74 + 2·(2·3·65,536 + 63) = 786,632 per example, ×512
		// = 402,755,584.
		{"mlp 65536,65536", Spec{Arch: MLP, Hidden: []int{65536, 65536}, Activation: "relu"}, 2,
			4_299_948_042, 0, 402_755_584, 68_799_168_672 + 402_755_584, KeyHidden},
	}
	for _, c := range cases {
		e, err := EstimateMemory(c.spec, digits, 10, 128, c.slots)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if e.Params != c.params || e.Stats != c.stats || e.ActivationBytes != c.act || e.Bytes() != c.total || e.Driver() != c.driver {
			t.Errorf("%s: %d params, %d stats, activations %d B, total %d B, driver %s; want %d, %d, %d B, %d B, %s",
				c.name, e.Params, e.Stats, e.ActivationBytes, e.Bytes(), e.Driver(), c.params, c.stats, c.act, c.total, c.driver)
		}
		if e.GradBytes != 4*e.Params || e.OptimizerBytes != 4*e.Params*int64(c.slots) || e.ParamBytes != 4*(e.Params+e.Stats) {
			t.Errorf("%s: parameter bytes %d, gradients %d, optimizer %d", c.name, e.ParamBytes, e.GradBytes, e.OptimizerBytes)
		}
		var sum int64
		for _, v := range e.ByKey {
			sum += v
		}
		if sum != e.Bytes() {
			t.Errorf("%s: ByKey adds up to %d, total %d", c.name, sum, e.Bytes())
		}
	}
}

// TestEstimateCountsWhatNewBuilds: the parameter counts are those of the
// model New builds (the small cases only: building is what the estimate
// is there to avoid).
func TestEstimateCountsWhatNewBuilds(t *testing.T) {
	specs := []Spec{
		{Arch: Linear, Activation: "relu"},
		{Arch: MLP, Hidden: []int{32, 16}, Activation: "tanh", Dropout: 0.2},
		{Arch: CNN, Channels: []int{4, 8, 2}, Hidden: []int{16}, Activation: "relu", BatchNorm: true},
		{Arch: CNN, Channels: []int{3}, Activation: "relu"},
	}
	for _, s := range specs {
		shape := []int{1, 8, 8}
		m, err := New(s, shape, 10, Options{TrainBatch: 4})
		if err != nil {
			t.Fatal(err)
		}
		var learn, stats int64
		for _, p := range m.Params() {
			if p.Learnable {
				learn += int64(len(p.Float32s()))
			} else {
				stats += int64(len(p.Float32s()))
			}
		}
		e, err := EstimateMemory(s, shape, 10, 4, 2)
		if err != nil {
			t.Fatal(err)
		}
		if e.Params != learn || e.Stats != stats {
			t.Errorf("%+v: estimate %d params and %d stats, New built %d and %d", s, e.Params, e.Stats, learn, stats)
		}
	}
}

func TestEstimateMemoryRefusesBadInput(t *testing.T) {
	mlp := Spec{Arch: MLP, Hidden: []int{8}, Activation: "relu"}
	cases := []struct {
		name                  string
		spec                  Spec
		classes, batch, slots int
	}{
		{"hidden past Validate's cap", Spec{Arch: MLP, Hidden: []int{100_000_000}, Activation: "relu"}, 10, 128, 2},
		{"one class", mlp, 1, 128, 2},
		{"batch 0", mlp, 10, 0, 2},
		{"negative slots", mlp, 10, 128, -1},
	}
	for _, c := range cases {
		if _, err := EstimateMemory(c.spec, []int{64}, c.classes, c.batch, c.slots); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}
