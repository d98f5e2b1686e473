package evaluation

import (
	"embed"
	"fmt"
	"strings"

	"github.com/practica-ml/practica/calibration"
	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/metrics"
	"github.com/practica-ml/practica/report"
)

// page is the template of report.html.
//
//go:embed eval.html
var page embed.FS

// evalView is what the eval page's template reads.
type evalView struct {
	M   *Metrics
	Run *RunInfo
	// Kind and Shape describe one example; SplitCounts are the run's own
	// splits.
	Kind        data.Kind
	Shape       []int
	SplitCounts []splitCounts
	Noun        string
	Generated   string
	Summary     []string
	// ClassRows are the class balance of the run's splits.
	ClassRows []report.ClassRow
	Training  [][2]string
	Worst     []metrics.ClassMetrics
	TopLosses []lossRow
	TopWrong  bool
	Repro     [][2]string
	EvalArgs  string
	SweepRows [][2]string
	// CalTable is the calibration of the served probabilities: before and
	// after the checkpoint's temperature, or as served alone when it has
	// none.
	CalTable calTable
	// WhatIf, for an uncalibrated checkpoint, is what a temperature fitted
	// by eval would change (WhatIfTable: nil when none could be fitted),
	// shown apart from everything served; UncalibratedWhy and
	// UncalibratedHow say why it is uncalibrated and how to calibrate it.
	WhatIf                           *WhatIfCalibrated
	WhatIfTable                      *calTable
	UncalibratedWhy, UncalibratedHow string
	// Importance says what shuffling each feature does, in words.
	Importance []string
}

// calTable is a table of calibration metrics, one column per report.
type calTable struct {
	// Bootstrap is non-zero when the reports have ECE intervals.
	Bootstrap int
	Cols      []calColumn
}

type calColumn struct {
	Head string
	R    calibration.Report
}

type lossRow struct {
	Index               int
	Actual, Predicted   string
	Confidence, PActual float64
	Loss                float64
}

// html renders report.html; the figures must already be in dir.
func (e *Result) html(dir string) ([]byte, error) {
	m := &e.Metrics
	v := &evalView{M: m, Run: e.Run, Kind: e.kind, Shape: e.shape, SplitCounts: e.splitCounts, Noun: report.Noun(e.kind), Generated: report.Timestamp()}
	v.Summary = e.plainSummary(v.Noun)
	var counts [][]int
	var sizes []int
	for _, s := range e.splitCounts {
		counts, sizes = append(counts, s.Counts), append(sizes, s.N)
	}
	v.ClassRows = report.ClassRows(m.Classes, counts, sizes)
	for _, k := range metrics.WorstClasses(m.PerClass, min(3, len(m.Classes))) {
		v.Worst = append(v.Worst, m.PerClass[k])
	}
	idx, wrong := e.topLosses(topLossesShown)
	v.TopWrong = wrong
	c := len(m.Classes)
	for _, i := range idx {
		v.TopLosses = append(v.TopLosses, lossRow{Index: i, Actual: m.Classes[e.Y[i]], Predicted: m.Classes[e.Predicted[i]],
			Confidence: e.probs[i*c+e.Predicted[i]], PActual: e.probs[i*c+e.Y[i]], Loss: e.loss(i)})
	}
	cal := m.Calibration
	v.CalTable = calTable{Bootstrap: cal.Bootstrap, Cols: []calColumn{
		{"before (T = 1)", cal.Before}, {fmt.Sprintf("after (T = %.3g)", m.Temperature), cal.After}}}
	if u := e.uncalibrated; u != nil {
		v.UncalibratedWhy, v.UncalibratedHow = u.why, u.how
		v.CalTable.Cols = []calColumn{{"as served (T = 1)", cal.Before}}
		v.WhatIf = m.WhatIfCalibrated
		if w := v.WhatIf.Calibration; w != nil {
			v.WhatIfTable = &calTable{Bootstrap: w.Bootstrap, Cols: []calColumn{
				{"as served (T = 1)", w.Before}, {fmt.Sprintf("if calibrated (T = %.3g): not served", v.WhatIf.Temperature), w.After}}}
		}
	}
	v.Importance = e.importanceSentences()
	v.Training = e.trainingFacts()
	v.Repro = e.reproFacts()
	v.EvalArgs = report.ShellJoin(e.opt.Args)
	if s := e.Run.LRSweep; s != nil {
		v.SweepRows = append(v.SweepRows, [2]string{"recommended learning rate", fmt.Sprintf("%.3g (rule: %s)", s.Recommended, s.RecommendedBy)})
		if s.TrainedWith > 0 {
			v.SweepRows = append(v.SweepRows, [2]string{"trained with", fmt.Sprintf("%.3g", s.TrainedWith)})
		}
		if s.Reason != "" {
			v.SweepRows = append(v.SweepRows, [2]string{"why", s.Reason})
		}
		for _, name := range []string{"steepest", "valley", "minimum/10"} {
			if r, ok := s.Suggestions[name]; ok {
				var per []string
				for _, sv := range r.PerSeed {
					per = append(per, fmt.Sprintf("%.2g", sv.LR))
				}
				v.SweepRows = append(v.SweepRows, [2]string{"rule " + name, "per seed: " + strings.Join(per, ", ")})
			}
		}
		for _, w := range s.Warnings {
			v.SweepRows = append(v.SweepRows, [2]string{"warning", w})
		}
	}
	return report.Render(dir, page, "eval.html", v)
}

// plainSummary says what the evaluation found in words for someone who is
// not a data scientist, with absolute counts next to every percentage.
func (e *Result) plainSummary(noun string) []string {
	m := &e.Metrics
	c := len(m.Classes)
	var out []string
	wrong := m.N - m.Correct
	out = append(out, fmt.Sprintf("Of %s %s %s in the %s split, the model gets %s right (%s) and %s wrong.",
		report.Commas(m.N), describeSplit(m.Split), noun, m.Split, report.Commas(m.Correct), report.Pct(m.Accuracy), report.Commas(wrong)))
	out = append(out, fmt.Sprintf("With this many %s, its accuracy on new %s of the same kind is probably between %s and %s (a 95%% interval).",
		noun, noun, report.Pct(m.AccuracyCI95[0]), report.Pct(m.AccuracyCI95[1])))
	// Confidence: how often it is right when it is sure, and when not.
	var sure, sureRight, unsure, unsureRight int
	var sureConf, unsureConf, conf float64
	for i, y := range e.Y {
		p := e.probs[i*c+e.Predicted[i]]
		conf += p
		if p >= 0.9 {
			sure++
			sureConf += p
			if e.Predicted[i] == y {
				sureRight++
			}
		} else {
			unsure++
			unsureConf += p
			if e.Predicted[i] == y {
				unsureRight++
			}
		}
	}
	if sure > 0 {
		out = append(out, fmt.Sprintf("When it says it is at least 90%% sure (%s of the %s %s, %s sure on average), it is right in %s of them (%s).",
			report.Commas(sure), report.Commas(m.N), noun, report.Pct(sureConf/float64(sure)), report.Commas(sureRight), report.Pct(float64(sureRight)/float64(sure))))
	}
	if unsure > 0 {
		out = append(out, fmt.Sprintf("When it is less sure than that (%s, %s sure on average), it is right in %s of them (%s): those are the answers to double-check.",
			report.Plural(unsure, strings.TrimSuffix(noun, "s"), noun), report.Pct(unsureConf/float64(unsure)), report.Commas(unsureRight), report.Pct(float64(unsureRight)/float64(unsure))))
	}
	avgConf := conf / float64(m.N)
	gap := avgConf - m.Accuracy
	verdict := "about right"
	switch {
	case gap > 0.02:
		verdict = fmt.Sprintf("a little too high: it is overconfident by %.1f points", 100*gap)
		if gap > 0.05 {
			verdict = fmt.Sprintf("too high: it is overconfident by %.1f points", 100*gap)
		}
	case gap < -0.02:
		verdict = fmt.Sprintf("too low: it is underconfident by %.1f points", -100*gap)
	}
	out = append(out, fmt.Sprintf("On average it says it is %s sure and is right %s of the time, so its confidence is %s.", report.Pct(avgConf), report.Pct(m.Accuracy), verdict))
	if len(m.MostConfused) > 0 {
		p := m.MostConfused[0]
		support := m.PerClass[classIndex(m.Classes, p.Actual)].Support
		if p.Count > 1 {
			out = append(out, fmt.Sprintf("Its most common mistake is taking %q for %q: %s of the %s %q %s (%s).",
				p.Actual, p.Predicted, report.Commas(p.Count), report.Commas(support), p.Actual, noun, report.Pct(p.Share)))
		} else {
			out = append(out, fmt.Sprintf("No mistake repeats: each of its %s wrong answers confuses a different pair of classes (for example %q taken for %q).",
				report.Commas(wrong), p.Actual, p.Predicted))
		}
	}
	if c > 2 && wrong > 0 {
		order := metrics.WorstClasses(m.PerClass, c)
		w := m.PerClass[order[0]]
		tied := 1
		for tied < len(order) && m.PerClass[order[tied]].F1 == w.F1 {
			tied++
		}
		lead := fmt.Sprintf("The class it handles worst is %q", w.Class)
		if tied > 1 {
			lead = fmt.Sprintf("%d classes tie as the ones it handles worst (F1 %.3f); one of them is %q", tied, w.F1, w.Class)
		}
		out = append(out, fmt.Sprintf("%s: it gets %s of its %s %s right (%s), and %s of the %s %s it calls %q really are (%s).",
			lead, report.Commas(w.Correct), report.Commas(w.Support), noun, report.Pct(w.Recall), report.Commas(w.Correct), report.Commas(w.Predicted), noun, w.Class, report.Pct(w.Precision)))
	}
	if c == 2 {
		pos := m.PerClass[1]
		out = append(out, fmt.Sprintf("Of the %s %q cases it finds %s (%s); of the %s it calls %q, %s really are (%s).",
			report.Commas(pos.Support), pos.Class, report.Commas(pos.Correct), report.Pct(pos.Recall), report.Commas(pos.Predicted), pos.Class, report.Commas(pos.Correct), report.Pct(pos.Precision)))
	}
	// Every number above is of what predict serves; for an uncalibrated
	// checkpoint the summary says so and how to calibrate, and leaves a
	// temperature eval fitted to the calibration section's what-if block.
	if u := e.uncalibrated; u != nil {
		out = append(out, fmt.Sprintf("This model is served uncalibrated: %s, so predict gives softmax(logits) at T = 1, and the confidences above are those. To serve calibrated confidences, %s. The calibration section shows separately what that might change.",
			u.why, u.how))
	}
	out = append(out, e.trainingWarnings()...)
	for _, w := range e.DataWarnings {
		out = append(out, "Data: "+w+".")
	}
	return out
}

// trainingWarnings repeats what train warned of in summary.json (a model
// still improving at its last epoch, splits too small to measure on, a
// temperature not to be trusted), so that the reader of the report sees
// it too.
func (e *Result) trainingWarnings() []string {
	if e.Run == nil || e.Run.Summary == nil {
		return nil
	}
	s := e.Run.Summary
	var out []string
	if s.StillImproving {
		out = append(out, fmt.Sprintf("When training stopped, the model was still improving: its best epoch was the last one (%d of %d), so more epochs would likely make it better.", s.EpochsRun, s.EpochsRun))
	}
	for _, w := range s.Warnings {
		if !strings.Contains(w, "still improving") {
			out = append(out, "Training warned: "+w+".")
		}
	}
	return out
}

func describeSplit(split string) string {
	switch split {
	case "test":
		return "held-out"
	case "val":
		return "validation"
	case "train":
		return "training"
	}
	return ""
}

func classIndex(classes []string, name string) int {
	for i, c := range classes {
		if c == name {
			return i
		}
	}
	return 0
}

func (e *Result) trainingFacts() [][2]string {
	cfg := e.Run.Config
	var f [][2]string
	add := func(k, v string) { f = append(f, [2]string{k, v}) }
	arch := cfg.Model.Arch
	switch arch {
	case "mlp":
		arch += fmt.Sprintf(" (hidden %v)", cfg.Model.Hidden)
	case "cnn":
		arch += fmt.Sprintf(" (channels %v, hidden %v)", cfg.Model.Channels, cfg.Model.Hidden)
	case "resnet":
		arch += fmt.Sprintf(" (stages of %v channels)", cfg.Model.Channels)
	case "custom":
		arch += fmt.Sprintf(" (%d layers from model.layers, listed in the run's config.yaml; train --summary --config shows their shapes)", len(cfg.Model.Layers))
	}
	add("model", arch)
	add("optimizer", fmt.Sprintf("%s, learning rate %g, weight decay %g, batch size %d", cfg.Optimizer.Name, cfg.Optimizer.LR, cfg.Optimizer.WeightDecay, cfg.Training.BatchSize))
	add("schedule", cfg.Training.Schedule.Name)
	if s := e.Run.Summary; s != nil {
		add("epochs", fmt.Sprintf("%d of %d run; stopped by %s", s.EpochsRun, cfg.Training.Epochs, s.StopReason))
		if s.BestEpoch != nil && s.ValLoss != nil && s.ValAccuracy != nil {
			add("best epoch", fmt.Sprintf("%d by %s: validation loss %.4f, validation accuracy %s", *s.BestEpoch, s.Monitor, *s.ValLoss, report.Pct(*s.ValAccuracy)))
		}
		if s.TestAccuracy != nil {
			add("test accuracy at the end of training", fmt.Sprintf("%s of %s", report.Pct(*s.TestAccuracy), report.Commas(s.TestSize)))
		}
		add("training time", fmt.Sprintf("%.1f s", s.Seconds))
	} else {
		add("summary", "no summary.json: the run has not finished")
	}
	if n := len(e.Run.History); n > 0 {
		add("learning rate at the last epoch", fmt.Sprintf("%.3g", e.Run.History[n-1].LR))
	}
	return f
}

func (e *Result) reproFacts() [][2]string {
	var f [][2]string
	add := func(k, v string) { f = append(f, [2]string{k, v}) }
	add("run directory", e.Run.Dir.Path)
	add("model file", e.Metrics.Checkpoint)
	add("seed", fmt.Sprint(e.Run.Config.Training.Seed))
	if mt := e.Run.Meta; mt != nil {
		add("Practica version", mt.Version)
		add("Go", fmt.Sprintf("%s on %s/%s, %d CPUs, %s", mt.GoVersion, mt.OS, mt.Arch, mt.CPUs, mt.Kernel))
		if mt.GitCommit != "" {
			add("Practica commit", mt.GitCommit)
		}
		if mt.WorkingDirGitCommit != "" {
			add("working directory's git commit", mt.WorkingDirGitCommit)
		}
		if d := mt.Data; d != nil && d.Fingerprint != nil {
			add("data", fmt.Sprintf("%s, sha256 %s, split sha256 %s", d.Source, d.Fingerprint.Source, d.Fingerprint.Split))
		}
		add("started", mt.Start.Format("2006-01-02 15:04:05 MST"))
		if !mt.End.IsZero() {
			add("ended", mt.End.Format("2006-01-02 15:04:05 MST"))
		}
		for _, r := range mt.Resumed {
			add("resumed", r.At.Format("2006-01-02 15:04:05")+": "+report.ShellJoin(r.Command))
		}
	}
	return f
}
