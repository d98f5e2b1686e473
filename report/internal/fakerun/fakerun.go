// Package fakerun writes run directories for the tests of the report
// packages without training anything: config.yaml, a best.ckpt holding a
// linear model whose weights the test chooses (so that every prediction
// can be worked out by hand), and optionally the metrics.csv and
// summary.json of a finished run.
package fakerun

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/setup"
	"github.com/practica-ml/practica/train"
)

// PosX and NegX are the one feature x of the report tests' examples, by
// class: a model that predicts "pos" exactly when x > 0 gets 8 of the 10
// "pos" rows right (two have x = -1) and 8 of the 10 "neg" rows (two have
// x > 0): 16 of 20, every figure of the reports worked out by hand.
func PosX() []float64 { return []float64{2, 2, 2, 1, 1, 1, 1, -1, -1, 2} }

// NegX: see PosX.
func NegX() []float64 { return []float64{-2, -2, -1, -1, -1, -2, -1, 1, 2, -2} }

// Run is a run directory to write.
type Run struct {
	// Config is written as config.yaml; its data source gives the
	// checkpoint's input schema and classes. Model.Arch is set to linear.
	Config config.Experiment
	// Weight holds features×classes values, row-major, and Bias one per
	// class: the logits of an example x are x·Weight + Bias (raw features,
	// no normalization).
	Weight, Bias []float32
	// Temperature is the calibration temperature stored in best.ckpt (0:
	// none, as in a run trained with calibration off).
	Temperature float64
	// History, when set, is written as metrics.csv, with a summary.json
	// that names its last epoch the best.
	History []train.EpochMetrics
	// Command is written as command.txt when set.
	Command string
}

// Write writes the run into parent/name (created) and returns its path.
func (r Run) Write(parent, name string) (string, error) {
	dir := filepath.Join(parent, name)
	if err := os.MkdirAll(filepath.Join(dir, rundir.CheckpointsDir), 0o755); err != nil {
		return "", err
	}
	cfg := r.Config
	cfg.Model = config.Default().Model
	cfg.Model.Arch = model.Linear
	y, err := cfg.Marshal()
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, rundir.ConfigFile), y, 0o644); err != nil {
		return "", err
	}
	p, err := setup.Prepare(cfg, setup.Env{})
	if err != nil {
		return "", err
	}
	c := p.BaseCheckpoint()
	c.Normalization, c.Temperature = nil, r.Temperature
	m, err := model.New(c.Spec, c.Input.Shape, len(c.Classes), model.Options{TrainBatch: 1})
	if err != nil {
		return "", err
	}
	c.Tensors = m.Tensors()
	for i := range c.Tensors {
		switch t := &c.Tensors[i]; {
		case strings.HasSuffix(t.Name, ".weight"):
			t.Data = append([]float32(nil), r.Weight...)
		case strings.HasSuffix(t.Name, ".bias"):
			t.Data = append([]float32(nil), r.Bias...)
		}
	}
	if err := model.SaveCheckpoint(filepath.Join(dir, rundir.BestCheckpoint), &c); err != nil {
		return "", err
	}
	if r.Command != "" {
		if err := os.WriteFile(filepath.Join(dir, rundir.CommandFile), []byte(r.Command+"\n"), 0o644); err != nil {
			return "", err
		}
	}
	if n := len(r.History); n > 0 {
		if err := os.WriteFile(filepath.Join(dir, rundir.MetricsFile), []byte(train.FormatMetrics(r.History)), 0o644); err != nil {
			return "", err
		}
		last := r.History[n-1]
		sum := rundir.Summary{RunDir: dir, BestEpoch: &last.Epoch, ValLoss: &last.ValLoss, ValAccuracy: &last.ValAccuracy, EpochsRun: last.Epoch,
			StopReason: "max-epochs", Monitor: "val_loss", Steps: last.Step, Seconds: 1.5, Model: model.Linear, Data: cfg.Data.Source}
		b, err := json.MarshalIndent(sum, "", "  ")
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, rundir.SummaryFile), b, 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}
