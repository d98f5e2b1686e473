package evalcmd

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
	"strings"
	"testing"
	"time"

	"github.com/practica-ml/practica/calibration"
	"github.com/practica-ml/practica/inference"
	"github.com/practica-ml/practica/report"
	"github.com/practica-ml/practica/report/evaluation"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/setup"
)

// evalRun evaluates a shared run into a fresh directory and returns it.
func evalRun(t *testing.T, name string, extra ...string) string {
	t.Helper()
	out := t.TempDir()
	code, stdout, stderr := runEval(append([]string{"--run", trainedRun(t, name), "--out", out}, extra...)...)
	if code != 0 {
		t.Fatalf("eval exited %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "report: "+filepath.Join(out, "report.html")) {
		t.Errorf("stdout does not name the report:\n%s", stdout)
	}
	return out
}

func readMetrics(t *testing.T, dir string) evaluation.Metrics {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, evaluation.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	var m evaluation.Metrics
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestEvalWritesEveryFile(t *testing.T) {
	out := evalRun(t, "digits")
	for _, f := range []string{"metrics.json", "predictions.csv", "report.html", "curves.png", "confusion.png", "f1.png", "reliability.png", "top_losses.png", "top_losses_attributions.png", "class_attributions.png"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
	// The attributions are in the report, and --attribution-examples 0
	// leaves them out.
	if html, err := os.ReadFile(filepath.Join(out, "report.html")); err != nil || !strings.Contains(string(html), "what the model looked at in the top losses") || !strings.Contains(string(html), "where the model looks, per class") {
		t.Errorf("report.html lacks the attribution figures: %v", err)
	}
	without := evalRun(t, "digits", "--attribution-examples", "0")
	for _, f := range []string{"top_losses_attributions.png", "class_attributions.png"} {
		if _, err := os.Stat(filepath.Join(without, f)); err == nil {
			t.Errorf("%s written with --attribution-examples 0", f)
		}
	}
	for _, f := range []string{"roc.png", "pr.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err == nil {
			t.Errorf("%s written for a ten-class task", f)
		}
	}
	// Without --out, eval writes into RUN/eval.
	dir := trainedRun(t, "digits")
	if code, _, stderr := runEval("--run", dir, "-q"); code != 0 {
		t.Fatalf("eval exited %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "eval", "report.html")); err != nil {
		t.Error(err)
	}
	// The raw JSON has the keys the README documents.
	b, _ := os.ReadFile(filepath.Join(out, "metrics.json"))
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"accuracy", "accuracy_ci95", "per_class", "macro_avg", "weighted_avg", "nll", "brier", "ece_before", "ece_after", "mce_before", "mce_after", "temperature", "calibration", "confusion_matrix"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("metrics.json has no %q", k)
		}
	}
}

// TestMetricsRecomputedFromPredictions recomputes every number of
// metrics.json from predictions.csv, independently of package metrics.
func TestMetricsRecomputedFromPredictions(t *testing.T) {
	for _, name := range []string{"digits", "cancer"} {
		t.Run(name, func(t *testing.T) {
			out := evalRun(t, name)
			m := readMetrics(t, out)
			p, err := evaluation.ReadPredictions(filepath.Join(out, evaluation.PredictionsFile))
			if err != nil {
				t.Fatal(err)
			}
			checkRecomputed(t, m, p)
		})
	}
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("%s: metrics.json has %.12g, recomputed %.12g", what, got, want)
	}
}

func checkRecomputed(t *testing.T, m evaluation.Metrics, p *evaluation.Predictions) {
	c, n := len(m.Classes), len(p.Label)
	if !slices.Equal(p.Classes, m.Classes) {
		t.Fatalf("classes %v in predictions.csv, %v in metrics.json", p.Classes, m.Classes)
	}
	if n != m.N {
		t.Fatalf("%d rows, n = %d", n, m.N)
	}
	// Decisions.
	conf := make([][]int, c)
	for k := range conf {
		conf[k] = make([]int, c)
	}
	correct := 0
	for i := range n {
		conf[p.Label[i]][p.Predicted[i]]++
		if p.Label[i] == p.Predicted[i] {
			correct++
		}
		row := p.Probs[i*c : (i+1)*c]
		if p.Confidence[i] != row[p.Predicted[i]] || slices.Max(row) != row[p.Predicted[i]] {
			t.Fatalf("row %d: confidence %g is not the top probability of %v", i, p.Confidence[i], row)
		}
	}
	if correct != m.Correct {
		t.Errorf("correct: %d in metrics.json, %d recomputed", m.Correct, correct)
	}
	near(t, "accuracy", m.Accuracy, float64(correct)/float64(n))
	// Wilson interval at z = 1.96.
	z, ph, nf := 1.959963984540054, float64(correct)/float64(n), float64(n)
	center := (ph + z*z/(2*nf)) / (1 + z*z/nf)
	half := z / (1 + z*z/nf) * math.Sqrt(ph*(1-ph)/nf+z*z/(4*nf*nf))
	near(t, "accuracy_ci95 lo", m.AccuracyCI95[0], math.Max(0, center-half))
	near(t, "accuracy_ci95 hi", m.AccuracyCI95[1], math.Min(1, center+half))
	for a := range c {
		if !slices.Equal(conf[a], m.ConfusionMatrix[a]) {
			t.Errorf("confusion row %d: %v in metrics.json, %v recomputed", a, m.ConfusionMatrix[a], conf[a])
		}
	}
	var macroF1, weightedF1, macroP, weightedR float64
	for k := range c {
		tp, support, predicted := conf[k][k], 0, 0
		for j := range c {
			support += conf[k][j]
			predicted += conf[j][k]
		}
		var prec, rec, f1 float64
		if predicted > 0 {
			prec = float64(tp) / float64(predicted)
		}
		if support > 0 {
			rec = float64(tp) / float64(support)
		}
		if prec+rec > 0 {
			f1 = 2 * prec * rec / (prec + rec)
		}
		pc := m.PerClass[k]
		if pc.Support != support || pc.Class != m.Classes[k] {
			t.Errorf("class %d: support %d, recomputed %d", k, pc.Support, support)
		}
		near(t, "precision of "+pc.Class, pc.Precision, prec)
		near(t, "recall of "+pc.Class, pc.Recall, rec)
		near(t, "f1 of "+pc.Class, pc.F1, f1)
		macroF1 += f1 / float64(c)
		macroP += prec / float64(c)
		weightedF1 += f1 * float64(support) / float64(n)
		weightedR += rec * float64(support) / float64(n)
	}
	near(t, "macro F1", m.MacroAvg.F1, macroF1)
	near(t, "macro precision", m.MacroAvg.Precision, macroP)
	near(t, "weighted F1", m.WeightedAvg.F1, weightedF1)
	near(t, "weighted recall", m.WeightedAvg.Recall, weightedR)
	// Probabilities: NLL, Brier, ECE and MCE of what the CSV holds; the
	// other side of the calibration from log p and T.
	nll, brier := 0.0, 0.0
	for i := range n {
		row := p.Probs[i*c : (i+1)*c]
		nll -= math.Log(math.Max(row[p.Label[i]], 1e-15))
		for k, v := range row {
			d := v
			if k == p.Label[i] {
				d = v - 1
			}
			brier += d * d
		}
	}
	near(t, "nll", m.NLL, nll/float64(n))
	near(t, "brier", m.Brier, brier/float64(n))
	served, other := &m.Calibration.Before, &m.Calibration.After
	scale := 1 / m.Temperature // softmax(log p / T) = softmax(logits / T)
	if strings.HasPrefix(m.Probabilities, "calibrated") {
		served, other, scale = other, served, m.Temperature
	}
	ece, mce := binnedECE(p.Probs, p.Label, c, m.Calibration.Bins)
	near(t, "served ECE", served.ECE, ece)
	near(t, "served MCE", served.MCE, mce)
	logits := make([]float32, len(p.Probs))
	for i, v := range p.Probs {
		logits[i] = float32(math.Log(math.Max(v, 1e-300)) * scale)
	}
	// float32 logits lose precision: compare with a float32 tolerance.
	oe, om := binnedECE(calibration.Softmax(logits, c, 1), p.Label, c, m.Calibration.Bins)
	if math.Abs(other.ECE-oe) > 1e-5 || math.Abs(other.MCE-om) > 1e-5 {
		t.Errorf("other side of the calibration: ECE %g MCE %g in metrics.json, recomputed %g %g", other.ECE, other.MCE, oe, om)
	}
	if m.ECEBefore != m.Calibration.Before.ECE || m.ECEAfter != m.Calibration.After.ECE || m.MCEBefore != m.Calibration.Before.MCE || m.MCEAfter != m.Calibration.After.MCE {
		t.Error("ece_before/after, mce_before/after differ from the calibration block")
	}
	if c == 2 {
		checkBinary(t, m, p)
	}
}

// binnedECE is ECE and MCE over equal-width bins (lo, hi] of the top-label
// probability.
func binnedECE(probs []float64, labels []int, c, bins int) (ece, mce float64) {
	count := make([]int, bins)
	hits, confs := make([]float64, bins), make([]float64, bins)
	for i, y := range labels {
		row := probs[i*c : (i+1)*c]
		top := 0
		for k := range row {
			if row[k] > row[top] {
				top = k
			}
		}
		b := max(0, min(bins-1, int(math.Ceil(row[top]*float64(bins)))-1))
		count[b]++
		confs[b] += row[top]
		if top == y {
			hits[b]++
		}
	}
	for b := range bins {
		if count[b] == 0 {
			continue
		}
		gap := math.Abs(hits[b]/float64(count[b]) - confs[b]/float64(count[b]))
		ece += float64(count[b]) / float64(len(labels)) * gap
		mce = math.Max(mce, gap)
	}
	return ece, mce
}

// checkBinary recomputes ROC-AUC as the share of (positive, negative)
// pairs ranked right (ties one half), and PR-AUC as average precision.
func checkBinary(t *testing.T, m evaluation.Metrics, p *evaluation.Predictions) {
	if m.ROCAUC == nil || m.PRAUC == nil || m.Threshold == nil {
		t.Fatal("a two-class evaluation without roc_auc, pr_auc or threshold")
	}
	if m.PositiveClass != m.Classes[1] || *m.Threshold != 0.5 {
		t.Errorf("positive class %q, threshold %g", m.PositiveClass, *m.Threshold)
	}
	var pos, neg []float64
	for i, y := range p.Label {
		s := p.Probs[2*i+1]
		if y == 1 {
			pos = append(pos, s)
		} else {
			neg = append(neg, s)
		}
		if want := 0; s > *m.Threshold {
			want = 1
			if p.Predicted[i] != want {
				t.Errorf("row %d: p = %g above the threshold, predicted %d", i, s, p.Predicted[i])
			}
		} else if p.Predicted[i] != want && s < *m.Threshold {
			t.Errorf("row %d: p = %g below the threshold, predicted %d", i, s, p.Predicted[i])
		}
	}
	var wins float64
	for _, a := range pos {
		for _, b := range neg {
			switch {
			case a > b:
				wins++
			case a == b:
				wins += 0.5
			}
		}
	}
	near(t, "roc_auc", *m.ROCAUC, wins/float64(len(pos)*len(neg)))
	// Average precision: mean over positives of the precision at their
	// score (examples scoring at least as high).
	var ap float64
	for _, a := range pos {
		tp, all := 0, 0
		for _, b := range pos {
			if b >= a {
				tp++
			}
		}
		all = tp
		for _, b := range neg {
			if b >= a {
				all++
			}
		}
		ap += float64(tp) / float64(all)
	}
	near(t, "pr_auc", *m.PRAUC, ap/float64(len(pos)))
}

var dataURI = regexp.MustCompile(`src="data:image/png;base64,([A-Za-z0-9+/=]+)"`)

func TestReportIsSelfContained(t *testing.T) {
	for _, name := range []string{"digits", "cancer"} {
		out := evalRun(t, name)
		html, err := os.ReadFile(filepath.Join(out, "report.html"))
		if err != nil {
			t.Fatal(err)
		}
		if regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?\s*(https?:)?//|url\(|@import`).Match(html) {
			t.Errorf("%s: report.html refers to something outside itself", name)
		}
		imgs := dataURI.FindAllSubmatch(html, -1)
		if len(imgs) < 5 || bytes.Count(html, []byte("<img")) != len(imgs) {
			t.Errorf("%s: %d <img> tags, %d embedded PNGs", name, bytes.Count(html, []byte("<img")), len(imgs))
		}
		for _, m := range imgs {
			b, err := base64.StdEncoding.DecodeString(string(m[1]))
			if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
				t.Errorf("%s: an embedded image is not a PNG (%v)", name, err)
			}
		}
		for _, id := range reportSections {
			if !bytes.Contains(html, []byte(`<section id="`+id+`">`)) {
				t.Errorf("%s: no section %q", name, id)
			}
		}
	}
}

// reportSections are the sections of an evaluation's report.html.
var reportSections = []string{"summary", "data", "training", "results", "calibration", "feasibility", "lr-sweep", "reproducibility"}

func TestPlainSummary(t *testing.T) {
	out := evalRun(t, "digits")
	m := readMetrics(t, out)
	html, _ := os.ReadFile(filepath.Join(out, "report.html"))
	want := "Of " + report.Commas(m.N) + " held-out images in the test split, the model gets " + report.Commas(m.Correct) + " right ("
	if !bytes.Contains(html, []byte(want)) {
		t.Errorf("the summary does not say %q", want)
	}
	// The 90%-sure sentence counts examples.
	p, _ := evaluation.ReadPredictions(filepath.Join(out, "predictions.csv"))
	sure, right := 0, 0
	for i, c := range p.Confidence {
		if c >= 0.9 {
			sure++
			if p.Label[i] == p.Predicted[i] {
				right++
			}
		}
	}
	if sure > 0 && !bytes.Contains(html, []byte("at least 90% sure ("+report.Commas(sure)+" of the "+report.Commas(m.N))) {
		t.Errorf("the summary does not count the %d examples at least 90%% sure", sure)
	}
}

func TestEvalJSONAndSplits(t *testing.T) {
	dir := trainedRun(t, "digits")
	out := t.TempDir()
	code, stdout, stderr := runEval("--run", dir, "--split", "val", "--out", out, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var m evaluation.Metrics
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatalf("--json stdout is not metrics.json: %v", err)
	}
	if m.Split != "val" || m.N != 179 || !strings.Contains(m.TemperatureSource, "") {
		t.Errorf("split %q n %d", m.Split, m.N)
	}
	if f := readMetrics(t, out); f.Accuracy != m.Accuracy {
		t.Error("stdout and metrics.json differ")
	}
	// --data: the same source named again scores the same examples.
	out2 := t.TempDir()
	if code, _, stderr := runEval("--run", dir, "--data", "digits", "--out", out2); code != 0 {
		t.Fatalf("--data digits: exit %d: %s", code, stderr)
	}
	a, b := readMetrics(t, evalRun(t, "digits")), readMetrics(t, out2)
	if a.Accuracy != b.Accuracy || a.NLL != b.NLL {
		t.Errorf("--data digits scored differently: %g/%g vs %g/%g", a.Accuracy, a.NLL, b.Accuracy, b.NLL)
	}
}

// TestCalibrationIsTheRuns: on the run's test split, the calibration
// block of metrics.json is the test split of the run's calibration.json,
// key for key and number for number: the bins, the bootstrap resamples and
// their seed come from the run's config (seed 2 here, not a default), and
// the flags override them.
func TestCalibrationIsTheRuns(t *testing.T) {
	dir := trainedRun(t, "digits-seed2")
	var run calibration.Result
	b, err := os.ReadFile(filepath.Join(dir, rundir.CalibrationFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &run); err != nil {
		t.Fatal(err)
	}
	m := readMetrics(t, evalRun(t, "digits-seed2"))
	cal := m.Calibration
	if cal.Bins != run.Bins || cal.Binning != run.Binning || cal.Bootstrap != run.Bootstrap || cal.BootstrapSeed != run.BootstrapSeed || cal.BootstrapSeed != 2 {
		t.Errorf("settings: bins %d %q, bootstrap %d seed %d; calibration.json: %d %q, %d seed %d",
			cal.Bins, cal.Binning, cal.Bootstrap, cal.BootstrapSeed, run.Bins, run.Binning, run.Bootstrap, run.BootstrapSeed)
	}
	if run.Test == nil || !reflect.DeepEqual(cal.Split, *run.Test) {
		t.Errorf("metrics.json's calibration differs from calibration.json's test split:\n%+v\n%+v", cal.Split, run.Test)
	}
	if cal.Before.ECELow >= cal.Before.ECEHigh || cal.Before.Resamples != 200 {
		t.Errorf("interval [%g, %g] from %d resamples", cal.Before.ECELow, cal.Before.ECEHigh, cal.Before.Resamples)
	}
	// Flags override the run's settings.
	o := readMetrics(t, evalRun(t, "digits-seed2", "--bins", "10", "--bootstrap", "0"))
	if c := o.Calibration; c.Bins != 10 || len(c.Before.Bins) != 10 || c.Bootstrap != 0 || c.Before.ECELow != 0 || c.Before.ECEHigh != 0 || c.Before.Resamples != 0 {
		t.Errorf("--bins 10 --bootstrap 0: bins %d (%d in the report), bootstrap %d, interval [%g, %g] of %d",
			c.Bins, len(c.Before.Bins), c.Bootstrap, c.Before.ECELow, c.Before.ECEHigh, c.Before.Resamples)
	}
	o = readMetrics(t, evalRun(t, "digits-seed2", "--bootstrap-seed", "7"))
	if c := o.Calibration; c.BootstrapSeed != 7 || c.Before.ECE != cal.Before.ECE || c.Before.ECELow == cal.Before.ECELow {
		t.Errorf("--bootstrap-seed 7: seed %d, ECE %g (was %g), interval from %g (was %g)", c.BootstrapSeed, c.Before.ECE, cal.Before.ECE, c.Before.ECELow, cal.Before.ECELow)
	}
}

func TestBadInvocations(t *testing.T) {
	dir := trainedRun(t, "digits")
	usage := map[string]bool{"--attribution-examples must be": true, "nothing to do": true, "--seed applies to a data profile": true, "either --run or --compare": true, "unexpected argument": true}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "nothing to do"}, // a usage error (exit 2) by the list below
		{[]string{"--run", filepath.Join(t.TempDir(), "missing")}, "run directory"},
		{[]string{"--run", dir, "--split", "holdout"}, "--split must be"},
		{[]string{"--run", dir, "--bins", "1"}, "--bins"},
		{[]string{"--run", dir, "--bootstrap", "-1"}, "--bootstrap must be between 0 and 100000"},
		{[]string{"--run", dir, "--attribution-examples", "-1"}, "--attribution-examples must be"},
		{[]string{"--data", "digits", "--bootstrap", "10"}, "--bootstrap applies to the evaluation of a run"},
		{[]string{"--run", dir, "--data", "noise:n=100,d=64,c=10"}, "tabular"},
		{[]string{"--run", dir, "--seed", "3"}, "--seed applies to a data profile"},
		{[]string{"--compare", dir}, "at least two"},
		{[]string{"--compare", dir, "--run", dir}, "either --run or --compare"},
		{[]string{"--run", dir, "extra"}, "unexpected argument"},
		{[]string{"--data", "digits", "--split", "val"}, "--split applies to the evaluation of a run"},
		{[]string{"--data", "no-such-file.csv", "--out", filepath.Join(t.TempDir(), "profile")}, "no-such-file.csv"}, // the report of what could be read goes to --out
	} {
		code, _, stderr := runEval(c.args...)
		// A command line eval cannot take is a usage error: exit 2, and a
		// second line pointing to the help.
		wantCode, lines := 1, 1
		if usage[c.want] {
			wantCode, lines = 2, 2
		}
		if code != wantCode || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != lines {
			t.Errorf("eval %v: exit %d, stderr %q; want exit %d and %d line(s) with %q", c.args, code, stderr, wantCode, lines, c.want)
		}
	}
}

// TestEvalOtherCSV scores the run's model on the same CSV with its columns
// in reverse order: features are matched by name, the split is drawn the
// same way, so the scores are those of the run's own test split.
func TestEvalOtherCSV(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "data", "testdata", "breast_cancer.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(line, ",")
		slices.Reverse(f)
		out.WriteString(strings.Join(f, ",") + "\n")
	}
	path := filepath.Join(t.TempDir(), "reversed.csv")
	if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	got := readMetrics(t, evalRun(t, "cancer", "--data", path))
	want := readMetrics(t, evalRun(t, "cancer"))
	if got.Data != path || got.N != want.N || got.Correct != want.Correct || math.Abs(got.NLL-want.NLL) > 1e-12 || *got.ROCAUC != *want.ROCAUC {
		t.Errorf("reversed columns: n %d correct %d nll %g auc %g; own split: n %d correct %d nll %g auc %g",
			got.N, got.Correct, got.NLL, *got.ROCAUC, want.N, want.Correct, want.NLL, *want.ROCAUC)
	}
}

// TestEvalUncalibratedRun: a run trained with --no-calibrate is scored as
// predict serves it, at T = 1: predictions.csv holds exactly the
// probabilities of inference.Predictor on the same checkpoint and split,
// and every top-level number of metrics.json recomputes from them; the
// temperature eval fits is only in what_if_calibrated, and stdout says the
// model is served uncalibrated and how to calibrate it.
func TestEvalUncalibratedRun(t *testing.T) {
	dir := trainedRun(t, "cancer-nocal")
	out := t.TempDir()
	code, stdout, stderr := runEval("--run", dir, "--out", out)
	if code != 0 {
		t.Fatalf("eval exited %d: %s", code, stderr)
	}
	m := readMetrics(t, out)
	p, err := evaluation.ReadPredictions(filepath.Join(out, evaluation.PredictionsFile))
	if err != nil {
		t.Fatal(err)
	}
	checkRecomputed(t, m, p)
	pred, rd, err := inference.LoadRun(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	in, err := inference.ReadSplit(rd, "test", setup.Env{})
	if err != nil {
		t.Fatal(err)
	}
	served, err := pred.Probabilities(in)
	if err != nil {
		t.Fatal(err)
	}
	if pred.Temperature != 1 || !slices.Equal(p.Probs, served) {
		t.Errorf("predictions.csv differs from what predict serves (its temperature %g)", pred.Temperature)
	}
	if m.Temperature != 1 || !reflect.DeepEqual(m.Calibration.Before, m.Calibration.After) || m.ECEBefore != m.ECEAfter {
		t.Errorf("temperature %g, ece %g -> %g: the top level is not all at T = 1", m.Temperature, m.ECEBefore, m.ECEAfter)
	}
	w := m.WhatIfCalibrated
	if w == nil || w.Served || w.Temperature <= 0 || w.Temperature == 1 || w.Calibration == nil || !strings.Contains(w.Note, "--no-calibrate") {
		t.Fatalf("what_if_calibrated: %+v", w)
	}
	for _, s := range []string{
		fmt.Sprintf("ECE %.4f, as predict serves them, uncalibrated (T = 1): the checkpoint has no temperature because the run was trained with --no-calibrate", m.ECEAfter),
		fmt.Sprintf("what if calibrated (not served): T = %.3g", w.Temperature),
		"to serve calibrated probabilities, retrain without --no-calibrate",
	} {
		if !strings.Contains(stdout, s) {
			t.Errorf("stdout does not say %q:\n%s", s, stdout)
		}
	}
}

// TestDefaultOutUnique: two evals in the same second get two directories,
// the second with a suffix, each made (claimed) by defaultOut.
func TestDefaultOutUnique(t *testing.T) {
	root := filepath.Join(t.TempDir(), "runs")
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var got []string
	for range 3 {
		d, err := defaultOut(root, "profile-x", now)
		if err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			t.Fatalf("%s was not made: %v", d, err)
		}
		got = append(got, filepath.Base(d))
	}
	if want := []string{"20260102-030405-profile-x", "20260102-030405-profile-x-2", "20260102-030405-profile-x-3"}; !slices.Equal(got, want) {
		t.Fatalf("directories %v, want %v", got, want)
	}
}

// TestLabelColumnWithRunData: --label-column goes with --run --data and is
// refused with --run alone, naming the flag.
func TestLabelColumnWithRunData(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"eval", "--run", t.TempDir(), "--label-column", "label"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "--label-column applies to --data") {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	errb.Reset()
	code := run([]string{"eval", "--run", t.TempDir(), "--data", "x.csv", "--label-column", "label"}, &out, &errb)
	if code == 0 || strings.Contains(errb.String(), "--label-column") {
		t.Fatalf("--label-column with --run --data was refused for itself (exit %d): %s", code, errb.String())
	}
}
