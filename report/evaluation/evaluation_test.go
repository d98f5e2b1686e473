package evaluation

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/practica-ml/practica/calibration"
	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/inference"
	"github.com/practica-ml/practica/internal/golden"
	"github.com/practica-ml/practica/internal/kerneltest"
	"github.com/practica-ml/practica/report"
	"github.com/practica-ml/practica/report/internal/fakerun"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/setup"
	"github.com/practica-ml/practica/train"
)

// TestMain scores on the matrix multiply the commands install.
func TestMain(m *testing.M) { kerneltest.Main(m) }

// The examples of the tests (fakerun.PosX, NegX): one feature x decides, y
// is noise. The model predicts "pos" exactly when x > 0 (logits 0 and 2x),
// so it gets 8 of the 10 "pos" rows right and 8 of the 10 "neg" rows: 16
// of 20.
var posX, negX = fakerun.PosX(), fakerun.NegX()

// csvOf writes the examples with the columns in the given order (x, y and
// label by name).
func csvOf(t *testing.T, path string, columns ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(strings.Join(columns, ",") + "\n")
	row := func(i int, x float64, label string) {
		cell := map[string]string{"x": fmt.Sprint(x), "y": fmt.Sprint(i), "label": label}
		for k, c := range columns {
			if k > 0 {
				b.WriteByte(',')
			}
			b.WriteString(cell[c])
		}
		b.WriteByte('\n')
	}
	for i := range posX {
		row(2*i, posX[i], "pos")
		row(2*i+1, negX[i], "neg")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// fakeRun writes the examples and a run over them into a fresh temporary
// directory: a linear model with logits (0, 2x), temperature T in its
// checkpoint (0 for none), three epochs of history. It returns the run
// and the temporary directory.
func fakeRun(t *testing.T, T float64) (run, tmp string) {
	t.Helper()
	return fakeRunCalibrate(t, T, true)
}

// fakeRunCalibrate is fakeRun with calibration.calibrate of its config
// (false: as trained with --no-calibrate).
func fakeRunCalibrate(t *testing.T, T float64, calibrate bool) (run, tmp string) {
	t.Helper()
	tmp = t.TempDir()
	cfg := config.Default()
	cfg.Calibration.Calibrate = calibrate
	cfg.Data.Source = csvOf(t, filepath.Join(tmp, "scores.csv"), "x", "y", "label")
	cfg.Data.LabelColumn, cfg.Data.Normalize, cfg.Data.Val, cfg.Data.Test = "label", false, 0.25, 0.25
	cfg.Training.Seed = 3
	var history []train.EpochMetrics
	for e := 1; e <= 3; e++ {
		history = append(history, train.EpochMetrics{Epoch: e, Step: int64(2 * e), TrainLoss: 1 / float64(e), TrainEvalLoss: 1.1 / float64(e),
			ValLoss: 1.2 / float64(e), ValAccuracy: 0.5 + 0.1*float64(e), LR: 1e-3, Seconds: 0.5})
	}
	r := fakerun.Run{Config: cfg, Weight: []float32{0, 2, 0, 0}, Bias: []float32{0, 0}, Temperature: T, History: history,
		Command: "train --data scores.csv --label-column label"}
	run, err := r.Write(tmp, "run")
	if err != nil {
		t.Fatal(err)
	}
	return run, tmp
}

// nllOf is the mean −log p(label) when p(pos) = sigmoid(2x/T), by the
// formula, independently of the package.
func nllOf(T float64) float64 {
	var sum float64
	for i := range posX {
		sum += math.Log1p(math.Exp(-2 * posX[i] / T)) // −log sigmoid(z) = log(1 + e^−z)
		sum += math.Log1p(math.Exp(2 * negX[i] / T))  // −log(1 − sigmoid(z)) = log(1 + e^z)
	}
	return sum / float64(2*len(posX))
}

// TestEvaluateByHand checks the numbers of an evaluation against their
// values worked out by hand from the examples and the model's rule.
func TestEvaluateByHand(t *testing.T) {
	for _, c := range []struct {
		name string
		T    float64
		// columns, when set, order the columns of another CSV holding the
		// same rows, to score instead of the run's own.
		columns            []string
		calibrated, source string
	}{
		{name: "checkpoint temperature", T: 2, calibrated: "calibrated: ", source: "checkpoint"},
		{name: "columns reversed in another CSV", T: 2, columns: []string{"label", "y", "x"}, calibrated: "calibrated: ", source: "checkpoint"},
		{name: "no temperature", T: 0, calibrated: "uncalibrated: ", source: "none: "},
	} {
		t.Run(c.name, func(t *testing.T) {
			run, tmp := fakeRun(t, c.T)
			opt := Options{Split: "all"}
			if c.columns != nil {
				opt.Data = csvOf(t, filepath.Join(tmp, "other.csv"), c.columns...)
			}
			e, err := Evaluate(run, opt)
			if err != nil {
				t.Fatal(err)
			}
			m := e.Metrics
			if m.N != 20 || m.Correct != 16 || m.Accuracy != 0.8 {
				t.Errorf("n %d, correct %d, accuracy %g; want 20, 16, 0.8", m.N, m.Correct, m.Accuracy)
			}
			if !slices.Equal(m.Classes, []string{"neg", "pos"}) || !slices.EqualFunc(m.ConfusionMatrix, [][]int{{8, 2}, {2, 8}}, slices.Equal) {
				t.Errorf("classes %v, confusion %v; want [neg pos], [[8 2] [2 8]]", m.Classes, m.ConfusionMatrix)
			}
			for _, pc := range m.PerClass {
				if pc.Precision != 0.8 || pc.Recall != 0.8 || math.Abs(pc.F1-0.8) > 1e-15 || pc.Support != 10 {
					t.Errorf("%s: precision %g recall %g F1 %g support %d; want 0.8 0.8 0.8 10", pc.Class, pc.Precision, pc.Recall, pc.F1, pc.Support)
				}
			}
			if len(m.MostConfused) != 2 || m.MostConfused[0].Count != 2 || m.MostConfused[1].Count != 2 {
				t.Errorf("most confused %+v; want two pairs of 2", m.MostConfused)
			}
			// predictions.csv holds softmax(logits/T) with the checkpoint's
			// T, softmax(logits) without one; NLL is of those.
			served := c.T
			if served == 0 {
				served = 1
			}
			if math.Abs(m.NLL-nllOf(served)) > 1e-12 || !strings.HasPrefix(m.Probabilities, c.calibrated) {
				t.Errorf("nll %.15g (%s); want %.15g (%s...)", m.NLL, m.Probabilities, nllOf(served), c.calibrated)
			}
			// "After" is after the checkpoint's temperature: without one,
			// after is before.
			if math.Abs(m.Calibration.Before.NLL-nllOf(1)) > 1e-12 || math.Abs(m.Calibration.After.NLL-nllOf(served)) > 1e-12 {
				t.Errorf("before/after NLL %g %g; want %g %g", m.Calibration.Before.NLL, m.Calibration.After.NLL, nllOf(1), nllOf(served))
			}
			if m.Temperature != served || !strings.HasPrefix(m.TemperatureSource, c.source) {
				t.Errorf("temperature %g from %q; want %g from %q...", m.Temperature, m.TemperatureSource, served, c.source)
			}
			if (m.WhatIfCalibrated != nil) != (c.T == 0) {
				t.Errorf("what_if_calibrated %+v with temperature %g in the checkpoint", m.WhatIfCalibrated, c.T)
			}
			// Two classes: threshold 0.5 on p(pos), ROC-AUC over the 100
			// (pos, neg) pairs by hand: pos at x = 2 (4 rows) beat the
			// 9 neg below 2 and tie one; at x = 1 (4 rows) beat the 8 below
			// and tie one; at x = −1 (2 rows) beat the 4 at −2 and tie 4.
			wantAUC := (4*(9+0.5) + 4*(8+0.5) + 2*(4+0.5*4)) / 100
			if m.PositiveClass != "pos" || *m.Threshold != 0.5 || math.Abs(*m.ROCAUC-wantAUC) > 1e-15 {
				t.Errorf("positive %q threshold %g ROC-AUC %g; want pos 0.5 %g", m.PositiveClass, *m.Threshold, *m.ROCAUC, wantAUC)
			}
		})
	}
}

// TestGoldenMetrics compares metrics.json, as Write writes it, with
// testdata/metrics.json byte for byte (the temporary directory replaced by
// $TMP). go test -run TestGoldenMetrics -update rewrites it.
func TestGoldenMetrics(t *testing.T) {
	run, tmp := fakeRun(t, 2)
	e, err := Evaluate(run, Options{Split: "all"})
	if err != nil {
		t.Fatal(err)
	}
	_, b := writtenMetrics(t, e)
	got := bytes.ReplaceAll(b, []byte(tmp), []byte("$TMP"))
	goldenPath := filepath.Join("testdata", "metrics.json")
	golden.Check(t, goldenPath, got)
}

// TestCalibrationSchema: metrics.json's calibration block has the keys of
// calibration.json (a calibration.Result): the same settings, and before
// and after with exactly the keys of the Result's splits.
func TestCalibrationSchema(t *testing.T) {
	keys := func(v any) map[string]any {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	report := calibration.Report{Resamples: 200}
	block := keys(Calibration{Split: calibration.Split{Before: report, After: report}})
	result := keys(calibration.Result{Test: &calibration.Split{Before: report, After: report}})
	for k := range block {
		if k == "before" || k == "after" {
			continue
		}
		if _, ok := result[k]; !ok {
			t.Errorf("metrics.json's calibration has %q, calibration.json has no such key", k)
		}
	}
	for _, side := range []string{"before", "after"} {
		got, want := block[side].(map[string]any), result["test"].(map[string]any)[side].(map[string]any)
		if !slices.Equal(sortedKeys(got), sortedKeys(want)) {
			t.Errorf("%s: keys %v; calibration.json's %v", side, sortedKeys(got), sortedKeys(want))
		}
	}
	if len(block) != 6 {
		t.Errorf("calibration block keys %v; want bins, binning, bootstrap_resamples, bootstrap_seed, before, after", sortedKeys(block))
	}
}

func sortedKeys(m map[string]any) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}

// TestSettingsFromTheRun: the bins, bootstrap resamples and seed come from
// the run's config, and the options override them.
func TestSettingsFromTheRun(t *testing.T) {
	run, _ := fakeRun(t, 2)
	ten, none, seven := 10, 0, uint64(7)
	for _, c := range []struct {
		name              string
		opt               Options
		bins, resamples   int
		seed              uint64
		intervalAvailable bool
	}{
		{"the run's (bins 15, 200 resamples, seed 3)", Options{Split: "all"}, 15, 200, 3, true},
		{"overridden", Options{Split: "all", Bins: 10, Bootstrap: &ten, BootstrapSeed: &seven}, 10, 10, 7, true},
		{"no interval", Options{Split: "all", Bootstrap: &none}, 15, 0, 3, false},
	} {
		e, err := Evaluate(run, c.opt)
		if err != nil {
			t.Fatal(err)
		}
		cal := e.Metrics.Calibration
		if cal.Bins != c.bins || len(cal.Before.Bins) != c.bins || cal.Bootstrap != c.resamples || cal.BootstrapSeed != c.seed || cal.Before.Resamples != c.resamples {
			t.Errorf("%s: bins %d (%d), resamples %d (%d), seed %d", c.name, cal.Bins, len(cal.Before.Bins), cal.Bootstrap, cal.Before.Resamples, cal.BootstrapSeed)
		}
		if has := cal.Before.ECEHigh > 0; has != c.intervalAvailable {
			t.Errorf("%s: interval [%g, %g]", c.name, cal.Before.ECELow, cal.Before.ECEHigh)
		}
		// The same resamples and seed as calibration.Compare: eval repeats
		// what train writes into calibration.json.
		want := calibration.Compare(e.logits, e.Y, 2, c.bins, c.resamples, c.seed, 2)
		if cal.Before.ECELow != want.Before.ECELow || cal.After.ECEHigh != want.After.ECEHigh {
			t.Errorf("%s: interval differs from calibration.Compare's", c.name)
		}
	}
	for _, c := range []struct {
		opt  Options
		want string
	}{
		{Options{Split: "holdout"}, `split must be train, val, test or all, got "holdout"`},
		{Options{Bins: 1}, "bins must be between 2 and 1000, got 1"},
		{Options{Bootstrap: new(-1)}, "bootstrap must be between 0 and 100000, got -1"},
	} {
		if _, err := Evaluate(run, c.opt); err == nil || err.Error() != c.want {
			t.Errorf("%+v: error %v; want %q", c.opt, err, c.want)
		}
	}
}

// TestPredictionsRoundTrip: predictions.csv holds the served
// probabilities exactly, and ReadPredictions reads them back.
func TestPredictionsRoundTrip(t *testing.T) {
	run, _ := fakeRun(t, 2)
	e, err := Evaluate(run, Options{Split: "all"})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := os.WriteFile(filepath.Join(out, PredictionsFile), e.formatPredictions(), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := ReadPredictions(filepath.Join(out, PredictionsFile))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Classes, []string{"neg", "pos"}) || !slices.Equal(p.Label, e.Y) || !slices.Equal(p.Predicted, e.Predicted) || !slices.Equal(p.Probs, e.probs) {
		t.Error("predictions.csv does not read back as written")
	}
	for i, conf := range p.Confidence {
		if conf != p.Probs[2*i+p.Predicted[i]] {
			t.Fatalf("row %d: confidence %g is not the predicted class's probability", i, conf)
		}
	}
}

// TestTopLosses: the wrong answers most confident first; when none is
// wrong, the right ones least sure first.
func TestTopLosses(t *testing.T) {
	e := &Result{Metrics: Metrics{Classes: []string{"a", "b"}}, Y: []int{0, 1, 0, 1}, Predicted: []int{1, 1, 0, 0},
		probs: []float64{0.3, 0.7, 0.2, 0.8, 0.9, 0.1, 0.6, 0.4}}
	if idx, wrong := e.topLosses(5); !wrong || !slices.Equal(idx, []int{0, 3}) {
		t.Errorf("top losses %v (wrong %v); want [0 3] (0.7 then 0.6 sure)", idx, wrong)
	}
	if got, want := e.loss(0), -math.Log(0.3); got != want {
		t.Errorf("loss %g, want %g", got, want)
	}
	e.Predicted = []int{0, 1, 0, 1}
	e.probs = []float64{0.6, 0.4, 0.2, 0.8, 0.9, 0.1, 0.45, 0.55}
	if idx, wrong := e.topLosses(2); wrong || !slices.Equal(idx, []int{3, 0}) {
		t.Errorf("least sure %v (wrong %v); want [3 0]", idx, wrong)
	}
}

var dataURI = regexp.MustCompile(`src="data:image/png;base64,([A-Za-z0-9+/=]+)"`)

// TestWriteReport writes every file of an evaluation and checks the page:
// every section, every image embedded as a PNG, nothing fetched.
func TestWriteReport(t *testing.T) {
	run, _ := fakeRun(t, 2)
	e, err := Evaluate(run, Options{Args: []string{"eval", "--run", run}})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "eval")
	files, err := e.Write(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{PredictionsFile, MetricsFile, curvesPlot, confusionPlot, f1Plot, rocPlot, prPlot, reliabilityPlot, report.HTMLFile}
	if !slices.Equal(files, want) {
		t.Errorf("wrote %v; want %v", files, want)
	}
	html, err := os.ReadFile(filepath.Join(out, report.HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?\s*(https?:)?//|url\(|@import`).Match(html) {
		t.Error("report.html refers to something outside itself")
	}
	imgs := dataURI.FindAllSubmatch(html, -1)
	if len(imgs) != 6 || bytes.Count(html, []byte("<img")) != len(imgs) {
		t.Errorf("%d <img> tags, %d embedded PNGs; want 6", bytes.Count(html, []byte("<img")), len(imgs))
	}
	for _, m := range imgs {
		if b, err := base64.StdEncoding.DecodeString(string(m[1])); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("an embedded image is not a PNG (%v)", err)
		}
	}
	for _, id := range []string{"summary", "data", "training", "results", "calibration", "feasibility", "lr-sweep", "reproducibility"} {
		if !bytes.Contains(html, []byte(`<section id="`+id+`">`)) {
			t.Errorf("no section %q", id)
		}
	}
	m := e.Metrics
	for _, s := range []string{
		fmt.Sprintf("Of %d held-out examples in the test split, the model gets %d right", m.N, m.Correct),
		"train --data scores.csv --label-column label",
		"eval --run " + run,
		fmt.Sprintf("ECE (expected calibration error) and its 95%% bootstrap interval</td><td>%.4f [%.4f, %.4f]", m.Calibration.Before.ECE, m.Calibration.Before.ECELow, m.Calibration.Before.ECEHigh),
	} {
		if !bytes.Contains(html, []byte(s)) {
			t.Errorf("report.html does not say %q", s)
		}
	}
}

// TestReadRun: a run directory with only config.yaml reads, with every
// optional part missing; a broken metrics.csv is an error naming it.
func TestReadRun(t *testing.T) {
	dir := t.TempDir()
	y, _ := config.Default().Marshal()
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), y, 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info.Summary != nil || info.Meta != nil || info.History != nil || info.LRSweep != nil || info.Feasibility != nil || len(info.Figures) != 0 || info.bestIndex() != -1 {
		t.Errorf("optional parts read from nothing: %+v", info)
	}
	if info.Config.Data.Source != "digits" || !strings.Contains(info.ConfigYAML, "source: digits") {
		t.Errorf("config %+v", info.Config.Data)
	}
	if err := os.WriteFile(filepath.Join(dir, "metrics.csv"), []byte("epoch,loss\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRun(dir); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "metrics.csv")) {
		t.Errorf("broken metrics.csv: %v", err)
	}
	if _, err := ReadRun(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing directory reads")
	}
}

// TestUncalibratedRun: for a run trained with --no-calibrate (no
// temperature in best.ckpt), the top-level numbers of metrics.json and
// predictions.csv are those at T = 1, worked out by hand and equal to what
// predict serves (inference.Predictor on the same checkpoint and split);
// a temperature eval fits appears only in the labelled what_if_calibrated
// block and the report's dashed box, and the report says in words that
// the model is served uncalibrated and how to calibrate it.
func TestUncalibratedRun(t *testing.T) {
	run, _ := fakeRunCalibrate(t, 0, false)
	e, err := Evaluate(run, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, b := writtenMetrics(t, e)
	var m Metrics
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}

	// What predict serves: the checkpoint at its temperature (none: 1) on
	// the same split.
	p, dir, err := inference.LoadRun(run, "")
	if err != nil {
		t.Fatal(err)
	}
	if p.Temperature != 1 {
		t.Fatalf("predict's temperature %g; want 1 for a checkpoint without one", p.Temperature)
	}
	in, err := inference.ReadSplit(dir, "test", setup.Env{})
	if err != nil {
		t.Fatal(err)
	}
	probs, err := p.Probabilities(in)
	if err != nil {
		t.Fatal(err)
	}
	served := calibration.Evaluate(probs, in.Y, 2, m.Calibration.Bins)
	// By hand: p(pos) = sigmoid(2x) at T = 1.
	var nll, brier float64
	for i, y := range in.Y {
		pos := 1 / (1 + math.Exp(-2*float64(in.X[2*i])))
		q := []float64{1 - pos, pos}
		nll -= math.Log(q[y])
		brier += 2 * (1 - q[y]) * (1 - q[y]) // two classes: both terms are (1 − p_y)²
	}
	nll /= float64(len(in.Y))
	brier /= float64(len(in.Y))
	if m.N != len(in.Y) || m.N == 0 {
		t.Fatalf("n %d; predict scored %d", m.N, len(in.Y))
	}
	if math.Abs(m.NLL-nll) > 1e-12 || math.Abs(m.Brier-brier) > 1e-12 {
		t.Errorf("nll %.15g brier %.15g; want those at T = 1: %.15g %.15g", m.NLL, m.Brier, nll, brier)
	}
	if m.NLL != served.NLL || m.Brier != served.Brier || m.ECEBefore != served.ECE || m.ECEAfter != served.ECE || m.MCEBefore != served.MCE || m.MCEAfter != served.MCE {
		t.Errorf("nll %g brier %g ece %g/%g mce %g/%g; predict serves nll %g brier %g ece %g mce %g",
			m.NLL, m.Brier, m.ECEBefore, m.ECEAfter, m.MCEBefore, m.MCEAfter, served.NLL, served.Brier, served.ECE, served.MCE)
	}
	if !reflect.DeepEqual(m.Calibration.Before, m.Calibration.After) {
		t.Error("calibration: after the checkpoint's temperature (none) differs from before")
	}
	if m.Temperature != 1 || !strings.HasPrefix(m.TemperatureSource, "none: ") || !strings.Contains(m.TemperatureSource, "--no-calibrate") || !strings.HasPrefix(m.Probabilities, "uncalibrated: ") {
		t.Errorf("temperature %g from %q, probabilities %q", m.Temperature, m.TemperatureSource, m.Probabilities)
	}
	pc, err := ReadPredictions(filepath.Join(out, PredictionsFile))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pc.Probs, probs) || !slices.Equal(pc.Label, in.Y) {
		t.Error("predictions.csv does not hold the probabilities predict serves")
	}

	// The what-if block: present, labelled, and the only place of the
	// temperature eval fits.
	var block map[string]any
	if err := json.Unmarshal(raw["what_if_calibrated"], &block); err != nil || block == nil {
		t.Fatalf("metrics.json has no what_if_calibrated (%v):\n%s", err, b)
	}
	if s, ok := block["served"]; !ok || s != false {
		t.Errorf("what_if_calibrated.served is %v; want false", s)
	}
	w := m.WhatIfCalibrated
	if !strings.HasPrefix(w.Note, "not what predict serves: ") || !strings.Contains(w.Note, "retrain without --no-calibrate") {
		t.Errorf("what_if_calibrated.note %q", w.Note)
	}
	if w.Temperature <= 0 || w.Temperature == 1 || w.FittedOn != "val" || w.FittedN == 0 || w.Calibration == nil ||
		!strings.HasPrefix(w.TemperatureSource, "fitted by eval on the run's validation split") {
		t.Fatalf("what_if_calibrated: %+v", w)
	}
	if !reflect.DeepEqual(w.Calibration.Before, m.Calibration.Before) {
		t.Error("what_if_calibrated.calibration.before is not the served calibration")
	}
	var whatIfNLL float64
	for i, y := range in.Y {
		pos := 1 / (1 + math.Exp(-2*float64(in.X[2*i])/w.Temperature))
		whatIfNLL -= math.Log([]float64{1 - pos, pos}[y])
	}
	if got, want := w.Calibration.After.NLL, whatIfNLL/float64(len(in.Y)); math.Abs(got-want) > 1e-9 {
		t.Errorf("what-if NLL %g; want %g at T = %g", got, want, w.Temperature)
	}

	html, err := os.ReadFile(filepath.Join(out, report.HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	page := string(html)
	for _, s := range []string{"This model is served uncalibrated: the checkpoint has no temperature because the run was trained with --no-calibrate",
		"To serve calibrated confidences, retrain without --no-calibrate", "<b>This model is served uncalibrated:</b>",
		`<div class="whatif" id="what-if-calibrated">`, "What if it were calibrated? Not what predict serves"} {
		if !strings.Contains(page, s) {
			t.Errorf("report.html does not say %q", s)
		}
	}
	start := strings.Index(page, `<div class="whatif"`)
	end := start + strings.Index(page[start:], "</div>")
	box, rest := page[start:end], page[:start]+page[end:]
	for _, f := range []string{"%.3g", "%.4g"} {
		T := "T = " + fmt.Sprintf(f, w.Temperature)
		if !strings.Contains(box, T) || strings.Contains(rest, T) {
			t.Errorf("%q: in the what-if box %v, outside it %v; want only in it", T, strings.Contains(box, T), strings.Contains(rest, T))
		}
	}
	if strings.Contains(rest, fmt.Sprintf("%.4f", w.Calibration.After.ECE)) {
		t.Error("the what-if ECE appears outside the what-if box")
	}

	// Why a checkpoint has no temperature, when calibration was on: train
	// fitted none into best.ckpt (however its path is written), or the
	// checkpoint is another file.
	fitNone, _ := fakeRun(t, 0)
	best := filepath.Join(fitNone, rundir.BestCheckpoint)
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, best)
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "copy.ckpt")
	if b, err := os.ReadFile(best); err != nil || os.WriteFile(other, b, 0o644) != nil {
		t.Fatal("copying best.ckpt")
	}
	for _, c := range []struct{ checkpoint, why string }{
		{"", "because train fitted none"}, {rel, "because train fitted none"}, {other, "because it is not best.ckpt"},
	} {
		e, err := Evaluate(fitNone, Options{Checkpoint: c.checkpoint})
		if err != nil {
			t.Fatal(err)
		}
		if why, _ := e.Uncalibrated(); !strings.Contains(why, c.why) || !strings.Contains(e.Metrics.WhatIfCalibrated.Note, c.why) {
			t.Errorf("--checkpoint %q: %q; want %q", c.checkpoint, why, c.why)
		}
	}

	// A calibrated run has no what-if block and no such words.
	cal, _ := fakeRun(t, 2)
	ce, err := Evaluate(cal, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, why := ce.Uncalibrated(); ce.Metrics.WhatIfCalibrated != nil || why != "" {
		t.Errorf("a calibrated run: what_if_calibrated %+v, %q", ce.Metrics.WhatIfCalibrated, why)
	}
	cout := t.TempDir()
	if _, err := ce.Write(cout); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(cout, report.HTMLFile)); bytes.Contains(b, []byte("served uncalibrated")) || bytes.Contains(b, []byte("what-if")) {
		t.Error("a calibrated run's report speaks of serving it uncalibrated")
	}
	if b, _ := os.ReadFile(filepath.Join(cout, MetricsFile)); bytes.Contains(b, []byte("what_if_calibrated")) {
		t.Error("a calibrated run's metrics.json has what_if_calibrated")
	}
}

// TestTrainingWarningsRepeated: the report's summary repeats what train
// warned of in summary.json, still-improving in words.
func TestTrainingWarningsRepeated(t *testing.T) {
	e := &Result{Run: &RunInfo{Summary: &rundir.Summary{BestEpoch: new(20), EpochsRun: 20, StillImproving: true,
		Warnings: []string{"val_loss was still improving at epoch 20, the last: try more epochs", "calibration: T = 100 is the top of its search range"}}}}
	got := e.trainingWarnings()
	want := []string{
		"When training stopped, the model was still improving: its best epoch was the last one (20 of 20), so more epochs would likely make it better.",
		"Training warned: calibration: T = 100 is the top of its search range.",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if w := (&Result{Run: &RunInfo{Summary: &rundir.Summary{BestEpoch: new(3), EpochsRun: 9}}}).trainingWarnings(); len(w) != 0 {
		t.Errorf("no warnings expected, got %q", w)
	}
}

// writtenMetrics writes e's files into a temporary directory and returns
// the directory and the metrics.json written there.
func writtenMetrics(t *testing.T, e *Result) (string, []byte) {
	t.Helper()
	out := t.TempDir()
	if _, err := e.Write(out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	return out, b
}
