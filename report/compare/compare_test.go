package compare

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/internal/kerneltest"
	"github.com/practica-ml/practica/metrics"
	"github.com/practica-ml/practica/report"
	"github.com/practica-ml/practica/report/internal/fakerun"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/train"
)

// TestMain scores on the matrix multiply the commands install.
func TestMain(m *testing.M) { kerneltest.Main(m) }

// The examples (fakerun.PosX, NegX): "pos" when x > 0, except two "pos"
// rows at x = −1 and two "neg" rows at x = 1 and 2.
var posX, negX = fakerun.PosX(), fakerun.NegX()

// runs writes the examples and four runs over them: a predicts "pos" when
// x > 0 (16 of 20 right), b always predicts "pos" (10 of 20), c is a with
// another seed (so another split), and d, in another directory also
// called a, has no checkpoint.
func runs(t *testing.T) []string {
	t.Helper()
	tmp := t.TempDir()
	var b strings.Builder
	b.WriteString("x,y,label\n")
	for i := range posX {
		fmt.Fprintf(&b, "%g,%d,pos\n%g,%d,neg\n", posX[i], 2*i, negX[i], 2*i+1)
	}
	path := filepath.Join(tmp, "scores.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Data.Source, cfg.Data.LabelColumn, cfg.Data.Normalize, cfg.Data.Val, cfg.Data.Test = path, "label", false, 0.25, 0.25
	history := []train.EpochMetrics{{Epoch: 1, Step: 2, TrainLoss: 0.9, TrainEvalLoss: 0.8, ValLoss: 0.7, ValAccuracy: 0.6, LR: 1e-3, Seconds: 1}, {Epoch: 2, Step: 4, TrainLoss: 0.5, TrainEvalLoss: 0.45, ValLoss: 0.4, ValAccuracy: 0.8, LR: 1e-3, Seconds: 1}}
	other := cfg
	other.Training.Seed = 4
	var dirs []string
	for _, r := range []struct {
		parent, name string
		run          fakerun.Run
	}{
		{tmp, "a", fakerun.Run{Config: cfg, Weight: []float32{0, 2, 0, 0}, Bias: []float32{0, 0}, Temperature: 2, History: history, Command: "train --name a"}},
		{tmp, "b", fakerun.Run{Config: cfg, Weight: []float32{0, 0, 0, 0}, Bias: []float32{0, 1}, History: history, Command: "train --name b"}},
		{tmp, "c", fakerun.Run{Config: other, Weight: []float32{0, 2, 0, 0}, Bias: []float32{0, 0}, History: history}},
		{filepath.Join(tmp, "elsewhere"), "a", fakerun.Run{Config: cfg, Weight: []float32{0, 2, 0, 0}, Bias: []float32{0, 0}}},
	} {
		dir, err := r.run.Write(r.parent, r.name)
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	if err := os.Remove(filepath.Join(dirs[3], rundir.BestCheckpoint)); err != nil {
		t.Fatal(err)
	}
	return dirs
}

// TestRuns checks the comparison against counts worked out by hand.
func TestRuns(t *testing.T) {
	dirs := runs(t)
	cmp, err := Runs(Options{Dirs: dirs, Split: "all"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range cmp.Runs {
		names = append(names, r.Name)
	}
	if !slices.Equal(names, []string{"a", "b", "c", "a (2)"}) {
		t.Errorf("names %v", names)
	}
	a, b, c, d := cmp.Runs[0], cmp.Runs[1], cmp.Runs[2], cmp.Runs[3]
	if a.N != 20 || a.Correct != 16 || a.Accuracy != 0.8 || b.Correct != 10 || b.Accuracy != 0.5 || c.Correct != 16 {
		t.Errorf("right: a %d of %d (%g), b %d (%g), c %d; want 16 of 20 (0.8), 10 (0.5), 16", a.Correct, a.N, a.Accuracy, b.Correct, b.Accuracy, c.Correct)
	}
	if a.SplitID != b.SplitID || a.SplitID == c.SplitID || d.Error == "" || d.SplitID != "" {
		t.Errorf("split ids a %s b %s c %s, d error %q", a.SplitID, b.SplitID, c.SplitID, d.Error)
	}
	if a.Seed != 1 || c.Seed != 4 || a.Model != "linear" || a.BestEpoch != 2 || a.ValLoss != 0.4 {
		t.Errorf("config facts of a: %+v", a)
	}
	// a is right on 8 "pos" and 8 "neg" rows, b on the 10 "pos": both on
	// the 8 "pos" a gets, only a on its 8 "neg", only b on the 2 "pos" a
	// misses, neither on the 2 "neg" a misses.
	if len(cmp.McNemar) != 1 {
		t.Fatalf("%d McNemar pairs; want a-b only", len(cmp.McNemar))
	}
	mc := cmp.McNemar[0]
	if mc.A != "a" || mc.B != "b" || mc.Both != 8 || mc.OnlyA != 8 || mc.OnlyB != 2 || mc.Neither != 2 || mc.N != 20 {
		t.Errorf("McNemar %+v; want both 8, only a 8, only b 2, neither 2", mc)
	}
	// Exact binomial: p = 2·P(X ≤ 2) for X ~ B(10, ½) = 2·(1 + 10 + 45)/1024.
	if math.Abs(mc.PValue-112.0/1024) > 1e-12 || mc.Verdict != "no real difference (p = 0.11 ≥ 0.05): run 1 gets 8 examples right that run 2 misses, and 2 the other way round, which chance explains" {
		t.Errorf("p = %g (want %g), verdict %q", mc.PValue, 112.0/1024, mc.Verdict)
	}
	if len(cmp.NotComparable) != 2 || !strings.Contains(cmp.NotComparable[0], "Run 1 (a) and run 3 (c)") || !strings.Contains(cmp.NotComparable[1], "Run 2 (b) and run 3 (c)") {
		t.Errorf("not comparable: %q", cmp.NotComparable)
	}
	// a's ECE is that of the probabilities it serves: after its T.
	ea, err := Runs(Options{Dirs: dirs[:2], Split: "all"})
	if err != nil {
		t.Fatal(err)
	}
	if ea.Runs[0].ECE != a.ECE || ea.Runs[0].ECE == 0 {
		t.Errorf("ECE %g, %g", ea.Runs[0].ECE, a.ECE)
	}
	for _, c := range []struct {
		opt  Options
		want string
	}{
		{Options{Dirs: dirs[:1]}, "dirs needs at least two run directories, got 1"},
		{Options{Dirs: dirs[:2], Split: "holdout"}, `split must be train, val, test or all, got "holdout"`},
	} {
		if _, err := Runs(c.opt); err == nil || err.Error() != c.want {
			t.Errorf("error %v; want %q", err, c.want)
		}
	}
}

// TestVerdict words McNemar's result for every case.
func TestVerdict(t *testing.T) {
	for _, c := range []struct {
		r    metrics.McNemarResult
		want string
	}{
		{metrics.McNemarResult{Both: 5}, "they are right and wrong on exactly the same examples: no difference"},
		{metrics.McNemarResult{OnlyA: 2, OnlyB: 9, PValue: 0.03}, "run 2 is really better than run 1 (p = 0.03 < 0.05): of the 11 examples only one of them gets right, run 2 gets 9 and run 1 2"},
		{metrics.McNemarResult{OnlyA: 3, OnlyB: 3, PValue: 1}, "no difference (p = 1): each gets 3 examples right that the other gets wrong"},
		{metrics.McNemarResult{OnlyA: 4, OnlyB: 2, PValue: 0.69}, "no real difference (p = 0.69 ≥ 0.05): run 1 gets 4 examples right that run 2 misses, and 2 the other way round, which chance explains"},
	} {
		if got := mcnemarVerdict("run 1", "run 2", c.r); got != c.want {
			t.Errorf("%+v:\n got %q\nwant %q", c.r, got, c.want)
		}
	}
}

// TestWrite writes compare.json, the figures and the page.
func TestWrite(t *testing.T) {
	dirs := runs(t)
	cmp, err := Runs(Options{Dirs: dirs[:3], Args: []string{"eval", "--compare", "a", "--compare", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	files, err := cmp.Write(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{File, curvesPlot, accuracyPlot, report.HTMLFile}; !slices.Equal(files, want) {
		t.Errorf("wrote %v; want %v", files, want)
	}
	b, err := os.ReadFile(filepath.Join(out, File))
	if err != nil {
		t.Fatal(err)
	}
	var back Comparison
	if err := json.Unmarshal(b, &back); err != nil || len(back.Runs) != 3 || back.Split != "test" {
		t.Errorf("compare.json: %v, %+v", err, back)
	}
	html, err := os.ReadFile(filepath.Join(out, report.HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`<section id="summary">`, `<section id="table">`, `<section id="curves">`, `<section id="mcnemar">`, `<section id="reproducibility">`,
		"McNemar&#39;s test, run 1 vs run 2: no real difference", "train --name a", "eval --compare a --compare b"} {
		if !bytes.Contains(html, []byte(s)) {
			t.Errorf("report.html does not say %q", s)
		}
	}
	if n := bytes.Count(html, []byte(`src="data:image/png;base64,`)); n != 2 {
		t.Errorf("%d embedded images; want 2", n)
	}
}
