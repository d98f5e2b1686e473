package experiment

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/practica-ml/practica/internal/setting"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/setup"
)

// checkMemory refuses a prepared experiment whose training step needs more
// than opt.MaxMemory (model.EstimateMemory), before any model is built: a
// model too large for the machine otherwise ends the process with the Go
// runtime's "out of memory", which no recover can turn into an error. The
// refusal names the setting that sizes most of it.
func checkMemory(p *setup.Prepared, opt Options) error {
	if opt.MaxMemory <= 0 {
		return nil
	}
	cfg := p.Config
	// train.NewOptimizer keeps a velocity per parameter for sgd (with or
	// without momentum) and two moments for adam and adamw.
	slots, state := 2, "Adam state"
	switch cfg.Optimizer.Name {
	case "sgd":
		slots, state = 1, "SGD velocity"
	case "adamw":
		state = "AdamW state"
	}
	batch := min(cfg.Training.BatchSize, p.Splits.Train.Len()) // as NewModel builds it
	e, err := model.EstimateMemory(cfg.Model, p.Schema.Shape, len(p.Classes), batch, slots)
	if err != nil {
		return err
	}
	if e.Bytes() <= opt.MaxMemory {
		return nil
	}
	key := e.Driver()
	var value string
	switch key {
	case model.KeyHidden:
		value = fmt.Sprint(cfg.Model.Hidden)
	case model.KeyChannels:
		value = fmt.Sprint(cfg.Model.Channels)
	default:
		if i, ok := layerIndex(key); ok && i < len(cfg.Model.Layers) {
			if b, err := json.Marshal(cfg.Model.Layers[i]); err == nil {
				value = "the layer " + string(b)
				break
			}
		}
		dims := make([]string, len(p.Schema.Shape))
		for i, d := range p.Schema.Shape {
			dims[i] = fmt.Sprint(d)
		}
		value = fmt.Sprintf("%s (inputs of %s, %d classes)", cfg.Data.Source, strings.Join(dims, "×"), len(p.Classes))
	}
	from := ""
	if opt.MaxMemoryFrom != "" {
		from = " (" + opt.MaxMemoryFrom + ")"
	}
	return setting.Errorf(key, "%s needs about %s for training (parameters %s, gradients %s, %s %s, activations %s at batch %d and %s to evaluate, "+
		"a checkpoint's copy and encoding %s); the limit is %s%s",
		value, formatBytes(e.Bytes()), formatBytes(e.ParamBytes), formatBytes(e.GradBytes), state, formatBytes(e.OptimizerBytes),
		formatBytes(e.ActivationBytes), batch, formatBytes(e.EvalBytes), formatBytes(e.CheckpointBytes), formatBytes(opt.MaxMemory), from)
}

// formatBytes writes n in binary units, three significant digits or so:
// 18.0 GiB, 745 GiB, 512 KiB.
func formatBytes(n int64) string {
	v, unit := float64(n), "B"
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB", "PiB"} {
		if v < 1024 {
			break
		}
		v, unit = v/1024, u
	}
	switch {
	case unit == "B":
		return fmt.Sprintf("%d B", n)
	case v < 100:
		return fmt.Sprintf("%.1f %s", v, unit)
	}
	return fmt.Sprintf("%.0f %s", v, unit)
}

// layerIndex reads i from a top-level model.layers[i] key.
func layerIndex(key string) (int, bool) {
	rest, ok := strings.CutPrefix(key, "model.layers[")
	if !ok {
		return 0, false
	}
	n, ok := strings.CutSuffix(rest, "]")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(n)
	return i, err == nil
}
