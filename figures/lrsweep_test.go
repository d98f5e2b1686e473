package figures

import (
	"bytes"
	"math"
	"os"
	"testing"
	"time"

	"github.com/practica-ml/practica/lrsweep"
	"github.com/practica-ml/practica/rundir"
)

// sweepResult is a two-seed range test with its grid, shaped like a real
// one: the loss flat at small learning rates, falling, then diverging; the
// suggestions come from the stage's own rules.
func sweepResult(t *testing.T) *lrsweep.Result {
	const lo, hi, steps = 1e-7, 1.0, 60
	res := &lrsweep.Result{Report: lrsweep.Report{Suggestions: map[string]lrsweep.RuleReport{}, RecommendedBy: lrsweep.Valley,
		Settings: lrsweep.Settings{MinLR: lo, MaxLR: hi, Steps: steps, Seeds: 2, Beta: 0.98, DivergeFactor: 4, BatchSize: 64,
			Optimizer: "adam", Model: "mlp", Data: "digits"}}}
	rep := &res.Report
	for k, seed := range []uint64{7, 8} {
		c := lrsweep.Curve{Seed: seed, Stop: lrsweep.StopCompleted}
		sm := lrsweep.Smoother{Beta: 0.9}
		for i := range steps {
			lr := lrsweep.LRAt(lo, hi, i, steps)
			x := math.Log10(lr) + 0.3*float64(k)
			loss := 2.3 - 2/(1+math.Exp(-2*(x+4))) + 0.05*math.Exp(2.5*(x+0.5)) + 0.02*math.Sin(float64(7*i))
			c.Points = append(c.Points, lrsweep.Point{Step: i + 1, LR: lr, Loss: loss, Smoothed: sm.Add(loss)})
		}
		res.Curves = append(res.Curves, c)
		sugg, err := lrsweep.Suggest(c.Points, steps)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sugg {
			rr := rep.Suggestions[s.Name]
			rr.PerSeed = append(rr.PerSeed, lrsweep.SeedValue{Seed: seed, LR: s.LR, Step: s.Step, SmoothedLoss: s.Loss})
			rep.Suggestions[s.Name] = rr
		}
	}
	for _, name := range lrsweep.RuleNames() {
		rr := rep.Suggestions[name]
		var lrs []float64
		for _, v := range rr.PerSeed {
			lrs = append(lrs, v.LR)
		}
		rr.Spread = lrsweep.SpreadOf(lrs)
		rep.Suggestions[name] = rr
	}
	rep.Recommended = rep.Suggestions[lrsweep.Valley].Median
	g := &lrsweep.GridResult{Auto: true, Epochs: 3, Suggested: rep.Recommended}
	for i, lr := range lrsweep.AutoGrid(rep.Recommended) {
		run := lrsweep.GridRun{LR: lr}
		for e := range 3 {
			run.ValLoss = append(run.ValLoss, 1/float64(e+2)+0.1*float64(i))
		}
		run.BestValLoss, run.BestEpoch = &run.ValLoss[2], 3
		g.Runs = append(g.Runs, run)
	}
	g.Best, g.BestValLoss = g.Runs[0].LR, *g.Runs[0].BestValLoss
	rep.Grid = g
	return res
}

// TestWriteLRSweep: lr_sweep.png and lr_grid.png are written, real PNGs
// of some substance.
func TestWriteLRSweep(t *testing.T) {
	dir, err := rundir.Create(t.TempDir(), "sweep", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteLRSweep(dir, sweepResult(t)); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{rundir.LRSweepPlot, rundir.LRGridPlot} {
		png, err := os.ReadFile(dir.Join(f))
		if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 10000 {
			t.Errorf("%s: %d bytes, %v", f, len(png), err)
		}
	}
}

// TestWriteLRSweepWithoutGrid: a sweep alone leaves no lr_grid.png.
func TestWriteLRSweepWithoutGrid(t *testing.T) {
	dir, err := rundir.Create(t.TempDir(), "sweep", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	res := sweepResult(t)
	res.Report.Grid = nil
	if err := WriteLRSweep(dir, res); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir.Join(rundir.LRSweepPlot)); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(dir.Join(rundir.LRGridPlot)); !os.IsNotExist(err) {
		t.Errorf("lr_grid.png without a grid (%v)", err)
	}
}
