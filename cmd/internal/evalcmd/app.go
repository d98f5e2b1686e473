package evalcmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/setup"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/report"
	"github.com/practica-ml/practica/report/evaluation"
	"github.com/practica-ml/practica/rundir"
)

// Command is the eval command: practica's subcommand and cmd/eval.
func Command() *cli.Command {
	d := config.Default()
	cmd := &cli.Command{
		Name:  "eval",
		Usage: "evaluate a run into metrics, figures and one report.html; profile a data source; compare runs",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "run", Usage: "run directory written by train: evaluate its best model"},
			&cli.StringFlag{Name: "split", Value: "test", Usage: "split to evaluate on: train, val, test or all"},
			&cli.StringFlag{Name: "data", Usage: "with --run: another data source to evaluate the model on (split like the run's); alone: profile it"},
			&cli.StringSliceFlag{Name: "compare", Usage: "a run directory to compare; repeat the flag for each run (at least two)"},
			&cli.StringFlag{Name: "out", Usage: "output directory", DefaultText: "RUN/eval; runs/<time>-profile-<name> and runs/<time>-compare"},
			&cli.StringFlag{Name: "checkpoint", Usage: "model file to evaluate", DefaultText: "RUN/checkpoints/best.ckpt"},
			&cli.BoolFlag{Name: "allow-data-change", Usage: "with --run: go on when the run's data differ from the fingerprint in its meta.json"},
			&cli.IntFlag{Name: "bins", Usage: "confidence bins of ECE, MCE and the reliability diagram", DefaultText: "the run's calibration.bins, " + strconv.Itoa(d.Calibration.Bins)},
			&cli.IntFlag{Name: "bootstrap", Usage: "resamples of the bootstrap 95% interval of ECE (0 for none)", DefaultText: "the run's calibration.bootstrap, " + strconv.Itoa(d.Calibration.Bootstrap)},
			&cli.Uint64Flag{Name: "bootstrap-seed", Usage: "seed of the bootstrap resamples", DefaultText: "the run's training.seed"},
			&cli.StringFlag{Name: "label-column", Usage: "CSV column holding the label (with --run --data: default the column the run's labels came from)", DefaultText: "the last"},
			&cli.StringFlag{Name: "labels", Usage: "profile: labels file replacing the source's labels"},
			&cli.StringFlag{Name: "delimiter", Usage: `profile: CSV field separator: ",", ";", "	" (or tab) or "|" (as train --delimiter)`, DefaultText: ","},
			&cli.StringSliceFlag{Name: "ignore-columns", Usage: "profile: CSV columns left out of the features, such as an ID (as train --ignore-columns)"},
			&cli.Uint64Flag{Name: "seed", Value: d.Training.Seed, EnvVars: []string{cliutil.EnvSeed}, Usage: "profile: seed of the train/val/test split (as train --seed)"},
			&cli.BoolFlag{Name: "json", Usage: "print metrics.json (profile.json, compare.json) on stdout instead of a short summary"},
			&cli.BoolFlag{Name: "print-dir", Usage: "print nothing on success but the output directory"},
			// eval's -q once meant --print-dir, unlike train's -q (no
			// progress): the old spelling still works, with a warning.
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Hidden: true},
		}, driftFlags()...),
		Before: func(c *cli.Context) error { return cliutil.ApplyRenames(c, renames) },
		Action: func(c *cli.Context) error { return evalAction(c, c.App.Writer) },
	}
	cmd.Flags = append(cmd.Flags, importanceFlags()...)
	cmd.Flags = append(cmd.Flags, searchFlag())
	cmd.CustomHelpTemplate = cliutil.HelpTemplate(cmd.Flags, nil,
		"--run DIR [--split test] [--data SOURCE] [--out DIR]   evaluate a run (writes DIR/eval/)",
		"--data SOURCE [--out DIR]                              profile a data source before training",
		"--compare DIR --compare DIR [...] [--out DIR]          compare runs (McNemar's test on a shared test split)",
		"--drift --run DIR --data NEW [--reference train]       test NEW for drift from the run's data (writes DIR/drift/; exit 3 on drift)",
		"--search DIR                                           gather a hyper-parameter search (writes search.csv, best.yaml, report.html in DIR)")
	return cmd
}

// renames are the old spellings of eval's flags.
var renames = []cliutil.Rename{{Old: "quiet", New: "print-dir"}}

// commandLine is the command line eval was run with, as run recorded it,
// for the report's reproducibility section.
func commandLine(c *cli.Context) []string {
	return cliutil.Args(c)
}

func evalAction(c *cli.Context, stdout io.Writer) error {
	if err := cliutil.NoStrayFlags(c); err != nil {
		return err
	}
	if c.NArg() > 0 {
		return cliutil.Usagef(c, "unexpected argument %q: eval takes flags only (--run DIR, --data SOURCE or --compare DIR)", c.Args().First())
	}
	env := setup.Env{DataDir: data.DataDirFromEnv()}
	compare := c.StringSlice("compare")
	if err := driftOnly(c); err != nil {
		return err
	}
	switch {
	case c.IsSet("search"):
		return searchAction(c, stdout)
	case c.Bool("drift"):
		return driftAction(c, env, stdout)
	case len(compare) > 0 && c.IsSet("run"):
		return cliutil.Usagef(c, "give either --run or --compare, not both")
	case len(compare) > 0:
		return cliutil.FlagErrors(compareAction(c, compare, env, stdout), map[string]string{"dirs": "compare", "split": "split"}, c.IsSet)
	case c.IsSet("run"):
		env.AllowDataChange = c.Bool("allow-data-change")
		return cliutil.FlagErrors(runAction(c, env, stdout), map[string]string{"split": "split", "bins": "bins", "bootstrap": "bootstrap", "label_column": "label-column", "allow_data_change": "allow-data-change"}, c.IsSet)
	case c.IsSet("allow-data-change"):
		return cliutil.Usagef(c, "--allow-data-change needs --run: only a run has data recorded to check")
	case c.IsSet("data"):
		return profileAction(c, env, stdout)
	}
	return cliutil.Usagef(c, "nothing to do: give --run DIR (evaluate a run), --data SOURCE (profile data) or --compare DIR --compare DIR (compare runs); see eval --help")
}

func runAction(c *cli.Context, env setup.Env, stdout io.Writer) error {
	for _, f := range []string{"labels", "seed", "delimiter", "ignore-columns"} {
		if c.IsSet(f) {
			return cliutil.Usagef(c, "--%s applies to a data profile (--data without --run); with --run the run's own data settings are used", f)
		}
	}
	if c.IsSet("label-column") && !c.IsSet("data") {
		return cliutil.Usagef(c, "--label-column applies to --data: with --run alone the run's own data and label column are used")
	}
	opt := evaluation.Options{
		Split: c.String("split"), Data: c.String("data"), LabelColumn: c.String("label-column"), Checkpoint: c.String("checkpoint"),
		Bins: c.Int("bins"), Env: env, Args: commandLine(c),
	}
	if c.IsSet("bootstrap") {
		b := c.Int("bootstrap")
		opt.Bootstrap = &b
	}
	if c.IsSet("bootstrap-seed") {
		s := c.Uint64("bootstrap-seed")
		opt.BootstrapSeed = &s
	}
	e, err := evaluation.Evaluate(c.String("run"), opt)
	if err != nil {
		return err
	}
	for _, w := range e.DataWarnings {
		fmt.Fprintf(c.App.ErrWriter, "warning: %s\n", w)
	}
	if err := addImportance(c, e); err != nil {
		return err
	}
	out := c.String("out")
	if out == "" {
		out = e.Run.Dir.Join(rundir.EvalDir)
	}
	if out, err = filepath.Abs(out); err != nil {
		return err
	}
	if _, err := e.Write(out); err != nil {
		return err
	}
	m := &e.Metrics
	switch {
	case c.Bool("json"):
		return printJSON(stdout, m)
	case c.Bool("print-dir"):
		fmt.Fprintln(stdout, out)
	default:
		fmt.Fprintf(stdout, "%s split of %s: %s of %s right, accuracy %.4f (95%% CI %.4f-%.4f), macro F1 %.4f\n",
			m.Split, m.Data, report.Commas(m.Correct), report.Commas(m.N), m.Accuracy, m.AccuracyCI95[0], m.AccuracyCI95[1], m.MacroAvg.F1)
		if why, how := e.Uncalibrated(); why != "" {
			// Served uncalibrated: the numbers first, as predict serves
			// them, then the what-if on a line of its own.
			fmt.Fprintf(stdout, "NLL %.4f, Brier %.4f, ECE %.4f, as predict serves them, uncalibrated (T = 1): %s\n", m.NLL, m.Brier, m.ECEAfter, why)
			if w := m.WhatIfCalibrated; w.Calibration != nil {
				fmt.Fprintf(stdout, "what if calibrated (not served): T = %.3g fitted by eval on the validation split would give ECE %.4f, NLL %.4f\n", w.Temperature, w.Calibration.After.ECE, w.Calibration.After.NLL)
			}
			fmt.Fprintf(stdout, "to serve calibrated probabilities, %s\n", how)
		} else {
			fmt.Fprintf(stdout, "NLL %.4f, Brier %.4f, ECE %.4f -> %.4f after temperature scaling (T = %.3g)\n", m.NLL, m.Brier, m.ECEBefore, m.ECEAfter, m.Temperature)
		}
		if m.ROCAUC != nil {
			fmt.Fprintf(stdout, "ROC-AUC %.4f, PR-AUC %.4f (positive class %q, threshold %g)\n", *m.ROCAUC, *m.PRAUC, m.PositiveClass, *m.Threshold)
		}
		fmt.Fprintf(stdout, "report: %s\n", filepath.Join(out, report.HTMLFile))
	}
	return nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// defaultOut makes runs/<time>-<name>, the place of a profile or
// comparison without --out, and returns it. The time has one-second
// resolution, so the directory is claimed with an exclusive mkdir and,
// when another eval took that name in the same second, gets a suffix (-2,
// -3, ...): two evals never write into one directory.
func defaultOut(root, name string, now time.Time) (string, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("creating the runs directory %s: %w", root, err)
	}
	base := filepath.Join(root, now.Format("20060102-150405")+"-"+name)
	for i := 1; i < 10000; i++ {
		p := base
		if i > 1 {
			p = fmt.Sprintf("%s-%d", base, i)
		}
		err := os.Mkdir(p, 0o755)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("creating the output directory: %w", err)
		}
	}
	return "", fmt.Errorf("no free output directory name for %s under %s; give --out", name, root)
}
