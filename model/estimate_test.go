package model

import (
	"testing"
)

// TestEstimateMemory checks the estimate against values worked out by hand
// on the digits' shape (1×8×8 = 64 inputs, 10 classes) at batch 128, with
// the evaluation graph at 256. With P learnable parameters, S statistics, F
// convolution filter weights and k optimizer slots, the bytes are:
// parameters 4(P+S), gradients 4(P+F), optimizer 4kP, checkpoint
// 8(P+S+kP). Per example, the training graph counts fed values once and
// computed ones twice (value and gradient): the input and targets are
// 64 + 10 = 74 fed, the output layer 2·10 = 20 and the loss 4·10 + 3 = 43
// computed; the evaluation graph counts the input, the layers and the
// output layer once.
func TestEstimateMemory(t *testing.T) {
	digits := []int{1, 8, 8}
	cases := []struct {
		name   string
		spec   Spec
		slots  int
		params int64
		stats  int64
		act    int64 // training graph bytes
		eval   int64 // evaluation graph bytes
		total  int64
		driver string
	}{
		// P = 64·10 + 10 = 650: 2,600 + 2,600 + 5,200 + 15,600. Training:
		// 74 + 2·(20 + 43) = 200 per example, ×128×4 = 102,400. Evaluation:
		// 64 + 20 = 84, ×256×4 = 86,016.
		{"linear", Spec{Arch: Linear, Activation: "relu"}, 2, 650, 0, 102_400, 86_016, 214_416, KeyData},
		// P = 64·128 + 128 + 128·10 + 10 = 9,610: 38,440 + 38,440 + 76,880 +
		// 230,640. Training: 74 + 2·(3·128 + 20 + 43) = 968, ×512 = 495,616.
		// Evaluation: 64 + 384 + 20 = 468, ×1,024 = 479,232.
		{"mlp 64-128-10", Spec{Arch: MLP, Hidden: []int{128}, Activation: "relu"}, 2, 9_610, 0, 495_616, 479_232, 1_359_248, KeyHidden},
		// conv0 32·1·9 + 32, conv1 64·32·9 + 64, dense 64·2·2 = 256 inputs:
		// 256·128 + 128, out 128·10 + 10: P = 53,002, F = 288 + 18,432 =
		// 18,720: 212,008 + 286,888 + 424,016 + 1,272,048. Convolutions
		// 32·8·8 = 2,048 and 64·4·4 = 1,024, pools 32·4·4 = 512 and 64·2·2 =
		// 256: 3,840. Training: 74 + 2·(3,840 + 384 + 20 + 43) = 8,648,
		// ×512 = 4,427,776. Evaluation: 64 + 3,840 + 384 + 20 = 4,308,
		// ×1,024 = 4,411,392.
		{"cnn 32,64 + 128", Spec{Arch: CNN, Channels: []int{32, 64}, Hidden: []int{128}, Activation: "relu"}, 2,
			53_002, 0, 4_427_776, 4_411_392, 11_034_128, KeyChannels},
		// Batch norm instead of conv biases: P = 288 + 2·32 + 18,432 + 2·64 +
		// 32,896 + 1,290 = 53,098, S = 2·(32 + 64) = 192, one SGD slot:
		// 213,160 + 287,272 + 212,392 + 851,104. Batch norm adds 2,048 +
		// 1,024 = 6,912 in the conv blocks; dropout a fed mask of 128 and a
		// computed product of 128 in training: 74 + 128 + 2·(6,912 + 384 +
		// 128 + 20 + 43) = 15,176, ×512 = 7,770,112. Evaluation, without
		// dropout: 64 + 6,912 + 384 + 20 = 7,380, ×1,024 = 7,557,120.
		{"cnn batch norm, dropout, sgd", Spec{Arch: CNN, Channels: []int{32, 64}, Hidden: []int{128}, Activation: "relu", BatchNorm: true, Dropout: 0.5}, 1,
			53_098, 192, 7_770_112, 7_557_120, 16_891_160, KeyChannels},
		// The largest sizes Validate lets through: P = 64·65,536 + 65,536 +
		// 65,536² + 65,536 + 65,536·10 + 10 = 4,299,948,042, and with Adam
		// 40P = 171,997,921,680 bytes for the parameters, gradients, moments
		// and checkpoint: model.New alone would take 16 GiB of it. Training:
		// 74 + 2·(2·3·65,536 + 63) = 786,632, ×512 = 402,755,584.
		// Evaluation: 64 + 2·3·65,536 + 20 = 393,300, ×1,024 = 402,739,200.
		{"mlp 65536,65536", Spec{Arch: MLP, Hidden: []int{65536, 65536}, Activation: "relu"}, 2,
			4_299_948_042, 0, 402_755_584, 402_739_200, 171_997_921_680 + 402_755_584 + 402_739_200, KeyHidden},
	}
	for _, c := range cases {
		e, err := EstimateMemory(c.spec, digits, 10, 128, c.slots)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if e.Params != c.params || e.Stats != c.stats || e.ActivationBytes != c.act || e.EvalBytes != c.eval || e.Bytes() != c.total || e.Driver() != c.driver {
			t.Errorf("%s: %d params, %d stats, training graph %d B, evaluation graph %d B, total %d B, driver %s; want %d, %d, %d B, %d B, %d B, %s",
				c.name, e.Params, e.Stats, e.ActivationBytes, e.EvalBytes, e.Bytes(), e.Driver(), c.params, c.stats, c.act, c.eval, c.total, c.driver)
		}
		k := int64(c.slots)
		if e.ParamBytes != 4*(e.Params+e.Stats) || e.OptimizerBytes != 4*k*e.Params || e.CheckpointBytes != 8*(e.Params+e.Stats+k*e.Params) {
			t.Errorf("%s: parameter bytes %d, optimizer %d, checkpoint %d", c.name, e.ParamBytes, e.OptimizerBytes, e.CheckpointBytes)
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
