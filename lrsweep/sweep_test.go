package lrsweep

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/practica-ml/practica/model"
)

// TestRunTwoSeedsAndAutoGrid runs the whole stage on digits (MLP, seeds 7
// and 8, 40 steps, the auto grid for one epoch) and checks the report
// against the curves, the model against its state before, and the data
// files. (Its plots are drawn and tested in package figures.)
func TestRunTwoSeedsAndAutoGrid(t *testing.T) {
	p := prepared(t, model.MLP)
	m, o, err := p.NewModel(model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	before, beforeOpt := m.Tensors(), o.State()
	c := DefaultConfig()
	c.Steps, c.Seeds, c.GridAuto, c.GridEpochs = 40, 2, true, 1
	res, err := Run(context.Background(), p, m, o, c)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "weights after the sweep", m.Tensors(), before)
	sameOptimizer(t, "optimizer after the sweep", o.State(), beforeOpt)
	r := &res.Report
	if len(res.Curves) != 2 || res.Curves[0].Seed != 7 || res.Curves[1].Seed != 8 || len(r.Seeds) != 2 {
		t.Fatalf("curves %d, seeds %+v", len(res.Curves), r.Seeds)
	}
	for i, cv := range res.Curves {
		if r.Seeds[i].Steps != len(cv.Points) || r.Seeds[i].Stop != cv.Stop || r.Seeds[i].Error != "" {
			t.Errorf("seed report %+v for a curve of %d points (%s)", r.Seeds[i], len(cv.Points), cv.Stop)
		}
	}
	for _, name := range RuleNames() {
		rr := r.Suggestions[name]
		if len(rr.PerSeed) != 2 || rr.Rule != RuleText(name) {
			t.Fatalf("%s: %+v", name, rr)
		}
		a, b := rr.PerSeed[0].LR, rr.PerSeed[1].LR
		if rr.Min != min(a, b) || rr.Max != max(a, b) || math.Abs(rr.Median/math.Sqrt(a*b)-1) > 1e-12 || rr.Disagree != (rr.Ratio > 3) {
			t.Errorf("%s: spread %+v of %v, %v", name, rr.Spread, a, b)
		}
		for k, v := range rr.PerSeed {
			lr := v.LR
			if name == MinimumTenth {
				lr *= 10
			}
			// every suggestion is a point of the ramp (minimum/10 a tenth of one)
			i := math.Log(lr/1e-7) / math.Log(1e8) * 39
			if math.Abs(i-math.Round(i)) > 1e-6 || v.Seed != uint64(7+k) {
				t.Errorf("%s seed %d: lr %v is not on the ramp (index %v)", name, v.Seed, v.LR, i)
			}
		}
	}
	if r.Recommended != r.Suggestions[Valley].Median || r.RecommendedBy != Valley || r.Reason != "the median over 2 seed(s) of valley: "+RuleText(Valley) {
		t.Errorf("recommended %v by %s (%s), valley median %v", r.Recommended, r.RecommendedBy, r.Reason, r.Suggestions[Valley].Median)
	}
	if r.Recommended < 1e-4 || r.Recommended > 1e-1 {
		t.Errorf("recommended %v outside [1e-4, 1e-1] for Adam on digits", r.Recommended)
	}
	g := r.Grid
	if g == nil || !g.Auto || g.Epochs != 1 || len(g.Runs) != 3+len(g.Extended) || len(g.Extended) > DefaultGridMaxExtend || g.Suggested != r.Recommended {
		t.Fatalf("grid %+v", g)
	}
	byLR := map[float64]GridRun{}
	for _, run := range g.Runs {
		byLR[run.LR] = run
	}
	for _, want := range append(AutoGrid(r.Recommended), g.Extended...) {
		run, ok := byLR[want]
		if !ok || len(run.ValLoss) != 1 || run.Diverged || run.BestValLoss == nil || *run.BestValLoss != run.ValLoss[0] {
			t.Errorf("grid run at lr %v: %+v (present %v)", want, run, ok)
		}
	}
	// Each extension is one step of ×3 past the edge the best value sat at.
	for i, e := range g.Extended {
		top, bottom := AutoGrid(r.Recommended)[2], AutoGrid(r.Recommended)[0]
		for _, prev := range g.Extended[:i] {
			top, bottom = max(top, prev), min(bottom, prev)
		}
		if e != top*GridStep && e != bottom/GridStep {
			t.Errorf("extension %d: %v is no step past %v or %v", i, e, bottom, top)
		}
	}
	best := g.Runs[bestRun(g.Runs)]
	if (g.Best != best.LR && !strings.Contains(g.Reason, "not rising")) || g.BestValLoss > *best.BestValLoss*(1+PlateauTolerance) {
		t.Errorf("grid best %v (%v), want %v (%v)", g.Best, g.BestValLoss, best.LR, *best.BestValLoss)
	}
	t.Logf("recommended %.3g; valley %v; grid best %.3g val_loss %.4f", r.Recommended, r.Suggestions[Valley].PerSeed, g.Best, g.BestValLoss)

	// What experiment.Sweep writes as lr_sweep.csv and lr_sweep.json.
	csv := FormatCSV(res.Curves)
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if lines[0] != "seed,step,lr,loss,smoothed" || len(lines) != 1+len(res.Curves[0].Points)+len(res.Curves[1].Points) || !strings.HasPrefix(lines[1], "7,1,1e-07,") {
		t.Errorf("lr_sweep.csv: %d lines, starting %q, %q", len(lines), lines[0], lines[1])
	}
	var js map[string]json.RawMessage
	b, err := json.Marshal(res.Report)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &js); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"suggestions", "recommended", "grid", "seeds", "reason"} {
		if _, ok := js[k]; !ok {
			t.Errorf("lr_sweep.json lacks %q", k)
		}
	}
}

// TestRunGridDivergedValue: a grid value far too high is reported as
// diverged, never as the best, and the weights come back.
func TestRunGridDivergedValue(t *testing.T) {
	p := prepared(t, model.CNN)
	m, o, err := p.NewModel(model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	before := m.Tensors()
	var sizes []int
	for _, prm := range m.Learnables() {
		sizes = append(sizes, len(prm.Float32s()))
	}
	c := DefaultConfig()
	c.Steps, c.Seeds, c.Grid, c.GridEpochs = 20, 1, []float64{1e-3, 1e9}, 2
	res, err := Run(context.Background(), p, m, o, c)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "weights after the grid", m.Tensors(), before)
	g := res.Report.Grid
	if len(g.Runs) != 2 || g.Runs[0].Diverged || len(g.Runs[0].ValLoss) != 2 || !g.Runs[1].Diverged || g.Best != 1e-3 {
		t.Fatalf("grid %+v", g)
	}
	if _, err := json.Marshal(res.Report); err != nil {
		t.Fatalf("the report of a diverged run is not JSON: %v", err)
	}
}
