package evalcmd

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/drift"
	"github.com/practica-ml/practica/inference"
	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/internal/stats"
	"github.com/practica-ml/practica/report/driftreport"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/setup"
)

// driftFlags are eval --drift's own flags.
func driftFlags() []cli.Flag {
	t := drift.DefaultThresholds()
	return []cli.Flag{
		&cli.BoolFlag{Name: "drift", Usage: "with --run and --data: test whether the data drifted from the run's reference split (exit 3 when it did)"},
		&cli.StringFlag{Name: "reference", Value: "train", Usage: "drift: the run's split the data are compared with: train, val or test"},
		&cli.Float64Flag{Name: "drift-share", Value: t.Share, Usage: "drift: the dataset drifts when at least this fraction of the features drift, in (0, 1]"},
		&cli.Float64Flag{Name: "drift-p", Value: t.PValue, Usage: "drift: a p-value test (KS, chi-squared, MMD) drifts below this p-value"},
		&cli.Float64Flag{Name: "drift-distance", Value: t.Distance, Usage: "drift: a distance test (normed Wasserstein, Jensen-Shannon; over 1,000 reference rows) drifts above this distance"},
		&cli.IntFlag{Name: "drift-sample", Value: driftSample, Usage: "drift: images compared per side, drawn with --seed"},
	}
}

const (
	// driftSample is the default number of images per side of the MMD
	// test, whose cost grows with the square of it.
	driftSample = 1000
	// driftPermutations is the size of the MMD's permutation null.
	driftPermutations = 100
	// driftDir is where eval --drift writes in the run directory.
	driftDir = "drift"
)

// driftAction tests NEW (--data) against the run's reference split.
func driftAction(c *cli.Context, env setup.Env, stdout io.Writer) error {
	switch {
	case !c.IsSet("run"):
		return cliutil.Usagef(c, "--drift needs --run DIR: the run whose data and model the new data are compared with")
	case !c.IsSet("data"):
		return cliutil.Usagef(c, "--drift needs --data SOURCE: the new data to test for drift")
	case len(c.StringSlice("compare")) > 0:
		return cliutil.Usagef(c, "give either --drift or --compare, not both")
	}
	for _, f := range []string{"split", "labels", "delimiter", "ignore-columns", "bins", "bootstrap", "bootstrap-seed", "label-column"} {
		if c.IsSet(f) {
			return cliutil.Usagef(c, "--%s does not apply to --drift", f)
		}
	}
	ref := c.String("reference")
	if !slices.Contains([]string{"train", "val", "test"}, ref) {
		return cliutil.Usagef(c, "--reference must be train, val or test, got %q", ref)
	}
	t := drift.Thresholds{PValue: c.Float64("drift-p"), Distance: c.Float64("drift-distance"), Share: c.Float64("drift-share")}
	if err := t.Check(); err != nil {
		return cliutil.Usagef(c, "--%v", err)
	}
	sample := c.Int("drift-sample")
	if sample < 2 {
		return cliutil.Usagef(c, "--drift-sample must be at least 2, got %d", sample)
	}
	env.AllowDataChange = c.Bool("allow-data-change")

	p, dir, err := inference.LoadRun(c.String("run"), c.String("checkpoint"))
	if err != nil {
		return err
	}
	cfg, err := config.Load(dir.Join(rundir.ConfigFile))
	if err != nil {
		return err
	}
	refIn, err := inference.ReadSplit(dir, ref, env)
	if err != nil {
		return err
	}
	for _, w := range refIn.Warnings {
		fmt.Fprintf(c.App.ErrWriter, "warning: %s\n", w)
	}
	source := c.String("data")
	newIn, err := readNew(p, cfg, source, env)
	if err != nil {
		return err
	}
	in := p.Checkpoint.Input
	rep := &drift.Report{Reference: ref + " split of " + cfg.Data.Source, Data: source}
	figs := driftreport.Inputs{Kind: in.Kind, Shape: in.Shape, RawMax: in.RawMax, Names: in.FeatureNames}
	refX, newX := refIn.X, newIn.X
	if in.Kind == data.Image {
		size := data.ShapeSize(in.Shape)
		refX = pick(refX, size, drift.Sample(len(refX)/size, sample, c.Uint64("seed")))
		newX = pick(newX, size, drift.Sample(len(newX)/size, sample, c.Uint64("seed")+1))
		if rep.Embedding, err = embeddingTest(p, refX, newX, t, c.Uint64("seed")); err != nil {
			return err
		}
		if rep.Embedding.Space != "last hidden layer" {
			rep.Notes = append(rep.Notes, "this model has no hidden layer: the embedding is its logits")
		}
		rep.Brightness, rep.Contrast = &drift.ChannelStats{}, &drift.ChannelStats{}
		if rep.Brightness.Reference, rep.Contrast.Reference, err = drift.Channels(refIn.X, in.Shape); err != nil {
			return err
		}
		if rep.Brightness.New, rep.Contrast.New, err = drift.Channels(newIn.X, in.Shape); err != nil {
			return err
		}
	} else if rep.Features, err = drift.Features(in.FeatureNames, refX, newX, t); err != nil {
		return fmt.Errorf("%s against the %s split: %w", source, ref, err)
	}
	rep.NReference, rep.NNew = len(refX)/data.ShapeSize(in.Shape), len(newX)/data.ShapeSize(in.Shape)
	if rep.Predictions, err = predictionTests(p, refX, newX, t); err != nil {
		return err
	}
	rep.Finish(t)
	figs.Ref, figs.New = refX, newX

	out := c.String("out")
	if out == "" {
		out = dir.Join(driftDir)
	}
	if out, err = filepath.Abs(out); err != nil {
		return err
	}
	if err := driftreport.Write(out, rep, figs, commandLine(c)); err != nil {
		return err
	}
	switch {
	case c.Bool("json"):
		err = printJSON(stdout, rep)
	case c.Bool("print-dir"):
		fmt.Fprintln(stdout, out)
	default:
		for _, l := range driftreport.Summary(rep) {
			fmt.Fprintln(stdout, l)
		}
		fmt.Fprintf(stdout, "report: %s\n", filepath.Join(out, "report.html"))
	}
	if err != nil {
		return err
	}
	if rep.Alarm {
		return &cliutil.Exit{Code: cliutil.ExitVerdict}
	}
	return nil
}

// readNew reads the new data raw, features matched by name: a CSV as
// predict reads one (its label column, if any, is ignored: a log's holds
// predictions, not truth), any other source as training opens one, all
// its examples.
func readNew(p *inference.Predictor, cfg config.Experiment, source string, env setup.Env) (inference.Input, error) {
	lower := strings.ToLower(source)
	if p.Checkpoint.Input.Kind == data.Tabular && (strings.HasSuffix(lower, ".csv") || strings.HasSuffix(lower, ".csv.gz")) {
		return readNewCSV(p, source)
	}
	src, err := data.Open(source, data.OpenOptions{LabelColumn: p.Checkpoint.Input.LabelColumn, ImageSize: cfg.Data.ImageSize, DataDir: env.DataDir, Seed: cfg.Training.Seed})
	if err != nil {
		return inference.Input{}, err
	}
	d := *src.Train
	if src.Test != nil {
		d.X = append(slices.Clip(d.X), src.Test.X...)
		d.Y = append(slices.Clip(d.Y), src.Test.Y...)
	}
	// The labels are not compared: served data have none.
	d.Classes, d.Y = p.Checkpoint.Classes, nil
	return p.Conform(&d)
}

// readNewCSV reads a CSV's features as training read its CSV (delimiter,
// ignored columns, missing cells), with the label column, if any, left
// out like an ignored one: its values need not even be the model's
// classes.
func readNewCSV(p *inference.Predictor, path string) (inference.Input, error) {
	in := p.Checkpoint.Input
	delim, err := data.ParseDelimiter(in.Delimiter)
	if err != nil {
		return inference.Input{}, err
	}
	ignored := slices.Clone(in.IgnoredColumns)
	if in.LabelColumn != "" {
		ignored = append(ignored, in.LabelColumn)
	}
	rows, err := data.ReadFeatureCSV(path, data.FeatureCSV{FeatureNames: in.FeatureNames, Classes: p.Checkpoint.Classes,
		Delimiter: delim, Ignored: ignored, AllowMissing: in.Missing != nil})
	if err != nil {
		return inference.Input{}, err
	}
	return inference.Input{X: rows.X}, nil
}

// pick copies the examples idx of x (examples of size values).
func pick(x []float32, size int, idx []int) []float32 {
	out := make([]float32, 0, len(idx)*size)
	for _, i := range idx {
		out = append(out, x[i*size:(i+1)*size]...)
	}
	return out
}

// embeddingTest runs the MMD test in the model's last hidden layer, or on
// its logits when it has none.
func embeddingTest(p *inference.Predictor, refX, newX []float32, t drift.Thresholds, seed uint64) (*drift.Embedding, error) {
	embed := func(raw []float32) ([]float32, int, string, error) {
		x := slices.Clone(raw)
		if n := p.Checkpoint.Normalization; n != nil {
			n.ApplyRows(x)
		}
		if f, dim, err := p.Model.Features(x); err == nil {
			return f, dim, "last hidden layer", nil
		}
		l, err := p.Logits(raw)
		return l, len(p.Checkpoint.Classes), "logits", err
	}
	er, dim, space, err := embed(refX)
	if err != nil {
		return nil, err
	}
	en, _, _, err := embed(newX)
	if err != nil {
		return nil, err
	}
	res, err := drift.MMDTest(stats.Float64s(er), stats.Float64s(en), dim, driftPermutations, seed)
	if err != nil {
		return nil, err
	}
	e := &drift.Embedding{NReference: len(er) / dim, NNew: len(en) / dim, Space: space, Dim: dim,
		Bandwidth: res.Bandwidth, Permutations: driftPermutations, Null: res.Null}
	e.Test = drift.Test{Test: "mmd", Statistic: res.MMD2, PValue: &res.P, Threshold: t.PValue, Drift: res.P < t.PValue}
	return e, nil
}

// predictionTests scores both sides and tests the predicted classes and
// the confidences.
func predictionTests(p *inference.Predictor, refX, newX []float32, t drift.Thresholds) (drift.Predictions, error) {
	score := func(x []float32) ([]int, []float64, error) {
		preds, err := p.Predict(inference.Input{X: x})
		if err != nil {
			return nil, nil, err
		}
		cls, conf := make([]int, len(preds)), make([]float64, len(preds))
		for i, q := range preds {
			cls[i], conf[i] = q.Predicted, slices.Max(q.Probabilities)
		}
		return cls, conf, nil
	}
	rc, rp, err := score(refX)
	if err != nil {
		return drift.Predictions{}, err
	}
	nc, np, err := score(newX)
	if err != nil {
		return drift.Predictions{}, err
	}
	return drift.TestPredictions(p.Checkpoint.Classes, rc, nc, rp, np, t)
}

// driftOnly rejects a drift flag given without --drift.
func driftOnly(c *cli.Context) error {
	if c.Bool("drift") {
		return nil
	}
	for _, f := range driftFlags()[1:] {
		if n := f.Names()[0]; c.IsSet(n) {
			return cliutil.Usagef(c, "--%s applies to --drift", n)
		}
	}
	return nil
}
