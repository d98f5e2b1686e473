package experiment

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/feasibility"
	"github.com/practica-ml/practica/lrsweep"
	"github.com/practica-ml/practica/rundir"
)

// TestModesWriteTheirRunDirectories: Feasibility and Sweep each create
// one run directory holding what identifies the run, their data files and
// their figures (and no checkpoints/ folder: they write no checkpoint),
// and record the end time in meta.json.
func TestModesWriteTheirRunDirectories(t *testing.T) {
	cfg := config.Default()
	cfg.Data.Source = "noise:n=300,d=8,c=3"
	cfg.Model.Arch = "linear"
	cfg.Optimizer.LR = 0.05
	cfg.Output.Root = t.TempDir()
	opt := Options{Args: []string{"train", "--test"}}
	identity := []string{rundir.CommandFile, rundir.ConfigFile, rundir.MetaFile}

	rep, err := Feasibility(context.Background(), cfg, feasibility.Options{OverfitOne: true}, opt)
	if err != nil {
		t.Fatal(err)
	}
	sc := lrsweep.DefaultConfig()
	sc.Steps, sc.Seeds = 30, 1
	sweep, err := Sweep(context.Background(), cfg, sc, opt)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		dir  string
		want []string
	}{
		{rep.RunDir, append([]string{rundir.FeasibilityFile, rundir.FeasibilityNotes, rundir.OverfitLossPlot}, identity...)},
		{sweep.RunDir, append([]string{rundir.LRSweepCSV, rundir.LRSweepFile, rundir.LRSweepPlot}, identity...)},
	}
	for _, c := range cases {
		entries, err := os.ReadDir(c.dir)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			got = append(got, e.Name())
		}
		slices.Sort(got)
		slices.Sort(c.want)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s holds %v, want %v", c.dir, got, c.want)
		}
		dir, err := rundir.Open(c.dir)
		if err != nil {
			t.Fatal(err)
		}
		var meta rundir.Meta
		if err := dir.ReadJSON(rundir.MetaFile, &meta); err != nil {
			t.Fatal(err)
		}
		if meta.End.Before(meta.Start) || meta.End.IsZero() || !slices.Equal(meta.Command, opt.Args) {
			t.Errorf("%s: meta.json start %v end %v command %v", c.dir, meta.Start, meta.End, meta.Command)
		}
		if b, _ := os.ReadFile(dir.Join(rundir.CommandFile)); string(b) != "train --test\n" {
			t.Errorf("%s: command.txt %q", c.dir, b)
		}
	}
	if rep.OverfitOne == nil || rep.OverfitOne.Verdict != feasibility.Pass {
		t.Errorf("overfit-one on noise: %+v", rep.OverfitOne)
	}
	if !(sweep.Recommended > 0) {
		t.Errorf("recommended %v", sweep.Recommended)
	}
}

// TestStillImproving: summary.json says whether the best epoch is the last
// one, and warns so; a run whose best epoch came earlier says false.
func TestStillImproving(t *testing.T) {
	cases := []struct {
		name   string
		lr     float64
		epochs int
		want   bool
	}{
		{"short run, loss still falling", 1e-3, 2, true},
		{"learning rate too high, best epoch early", 5, 4, false},
	}
	for _, c := range cases {
		cfg := config.Default()
		cfg.Data.Source, cfg.Model.Arch = "../data/testdata/breast_cancer.csv", "mlp"
		cfg.Optimizer.LR, cfg.Training.Epochs = c.lr, c.epochs
		cfg.Calibration.Calibrate = false
		cfg.Output.Root = t.TempDir()
		sum, err := Train(context.Background(), cfg, Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		warned := slices.ContainsFunc(sum.Warnings, func(w string) bool { return strings.Contains(w, "was still improving at epoch") })
		if sum.StillImproving != c.want || warned != c.want || (*sum.BestEpoch == sum.EpochsRun) != c.want {
			t.Errorf("%s: still_improving %v, warned %v, best epoch %d of %d; want %v", c.name, sum.StillImproving, warned, *sum.BestEpoch, sum.EpochsRun, c.want)
		}
	}
}
