package experiment

import (
	"context"
	"math"
	"os"
	"reflect"
	"testing"

	"github.com/practica-ml/practica/calibration"
	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/rundir"
)

// TestCalibrateAtEndOfTraining: the same run with and without calibration
// gives a best.ckpt that differs only by its temperature (every tensor
// bit-identical), T minimizes the validation NLL, accuracy is unchanged,
// and calibration.json, reliability.png and the summary record it.
func TestCalibrateAtEndOfTraining(t *testing.T) {
	cfg := config.Default()
	cfg.Data.Source = "../data/testdata/breast_cancer.csv"
	cfg.Training.Epochs, cfg.Training.Seed = 3, 2
	cfg.Calibration.Bootstrap = 50
	cfg.Output.Root = t.TempDir()
	sum, err := Train(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Calibration.Calibrate = false
	plain, err := Train(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := rundir.Open(sum.RunDir)
	var res calibration.Result
	if err := dir.ReadJSON(rundir.CalibrationFile, &res); err != nil {
		t.Fatal(err)
	}
	if !res.Fitted || res.Temperature <= 0 || res.Temperature == 1 || res.Val == nil || res.Test == nil {
		t.Fatalf("calibration.json: %+v", res)
	}
	for name, s := range map[string]*calibration.Split{"val": res.Val, "test": res.Test} {
		if s.Before.Accuracy != s.After.Accuracy || s.Before.N == 0 || len(s.After.Bins) != 15 {
			t.Errorf("%s: accuracy %v -> %v, n %d, %d bins", name, s.Before.Accuracy, s.After.Accuracy, s.Before.N, len(s.After.Bins))
		}
		if s.Before.Resamples != 50 || !(s.After.ECELow <= s.After.ECEHigh) || s.After.ECEHigh == 0 {
			t.Errorf("%s: bootstrap %d resamples, interval (%v, %v)", name, s.Before.Resamples, s.After.ECELow, s.After.ECEHigh)
		}
	}
	if !(res.Val.After.NLL <= res.Val.Before.NLL) {
		t.Errorf("validation NLL rose from %v to %v", res.Val.Before.NLL, res.Val.After.NLL)
	}
	if sum.Temperature != res.Temperature || sum.TestECEBefore == nil || *sum.TestECEAfter != res.Test.After.ECE {
		t.Errorf("summary: T %v, test ECE %v -> %v", sum.Temperature, sum.TestECEBefore, sum.TestECEAfter)
	}
	if plain.Temperature != 0 || plain.TestECEBefore != nil {
		t.Errorf("--no-calibrate summary: %+v", plain)
	}
	if _, err := os.Stat(dir.Join(rundir.ReliabilityPlot)); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(plain.RunDir + "/" + rundir.CalibrationFile); !os.IsNotExist(err) {
		t.Errorf("--no-calibrate wrote calibration.json (%v)", err)
	}

	got, err := model.LoadCheckpoint(dir.Join(rundir.BestCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	want, err := model.LoadCheckpoint(plain.RunDir + "/" + rundir.BestCheckpoint)
	if err != nil {
		t.Fatal(err)
	}
	if got.Temperature != res.Temperature || want.Temperature != 1 {
		t.Fatalf("best.ckpt temperature %v (uncalibrated run: %v), calibration.json %v", got.Temperature, want.Temperature, res.Temperature)
	}
	if len(got.Tensors) != len(want.Tensors) {
		t.Fatalf("%d tensors, uncalibrated run %d", len(got.Tensors), len(want.Tensors))
	}
	for i, g := range got.Tensors {
		w := want.Tensors[i]
		if g.Name != w.Name || !reflect.DeepEqual(g.Shape, w.Shape) {
			t.Fatalf("tensor %d: %s %v, want %s %v", i, g.Name, g.Shape, w.Name, w.Shape)
		}
		for k := range g.Data {
			if math.Float32bits(g.Data[k]) != math.Float32bits(w.Data[k]) {
				t.Fatalf("tensor %s[%d]: %v, uncalibrated run %v", g.Name, k, g.Data[k], w.Data[k])
			}
		}
	}
	got.Temperature, got.Tensors, want.Tensors = 1, nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("best.ckpt differs beyond its temperature:\n%+v\n%+v", got, want)
	}
}
