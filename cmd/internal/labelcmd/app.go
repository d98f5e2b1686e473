// Package labelcmd is the label command: practica's subcommand and
// cmd/label. It serves the labeling page (--serve) or simulates a person
// labeling with each strategy's queue (--simulate).
package labelcmd

import (
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/calibration"
	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/labeling"
	"github.com/practica-ml/practica/rundir"
)

// DefaultServe is where the labeling page listens by default.
const DefaultServe = "127.0.0.1:8090"

// Flag categories of the help.
const (
	catData     = "data"
	catLabeling = "labeling"
	catSimulate = "simulation (--simulate)"
	catOutput   = "output"
)

var categories = []string{catData, catLabeling, catSimulate, catOutput}

// Command is the label command: practica's subcommand and cmd/label.
func Command() *cli.Command {
	fl := flags()
	return &cli.Command{
		Name:  "label",
		Usage: "label examples from a local web page, most useful first (--serve), or simulate labeling to compare the strategies (--simulate)",
		Flags: fl,
		CustomHelpTemplate: cliutil.HelpTemplate(fl, categories,
			"[flags]                        serve the labeling page on --serve",
			"--simulate --out DIR [flags]   simulate a person labeling with each strategy; writes label_curve.csv, .png and .json"),
		Action: labelAction,
	}
}

func flags() []cli.Flag {
	d := config.Default()
	return []cli.Flag{
		&cli.StringFlag{Name: "data", Category: catData, Value: d.Data.Source, Usage: "the examples to label: any source train takes (digits, fashion-mnist, a .csv, an IDX or image folder)", DefaultText: "the run's, else digits"},
		&cli.StringFlag{Name: "label-column", Category: catData, Usage: "CSV column holding the label", DefaultText: "the last"},
		&cli.StringFlag{Name: "delimiter", Category: catData, Value: d.Data.Delimiter, Usage: `CSV field separator: ",", ";", "\t" (or tab) or "|"`},
		&cli.StringFlag{Name: "ignore-columns", Category: catData, Usage: "CSV columns left out of the features, comma-separated", DefaultText: "none"},
		&cli.IntFlag{Name: "image-size", Category: catData, Value: d.Data.ImageSize, Usage: "side image folders are resized to"},

		&cli.StringFlag{Name: "run", Category: catLabeling, Usage: "a run directory whose model ranks the examples by uncertainty and embeds them for clustering", DefaultText: "none"},
		&cli.StringFlag{Name: "labels", Category: catLabeling, Usage: "the index,label CSV the labeling page writes (train --labels reads it)"},
		&cli.StringFlag{Name: "strategy", Category: catLabeling, Value: labeling.Cluster, Usage: "the order the page offers examples in: random, uncertain (needs --run) or cluster"},
		&cli.StringFlag{Name: "score", Category: catLabeling, Value: calibration.Margin, Usage: "uncertain: margin, entropy, bald (MC dropout; a model with dropout) or least-confident"},
		&cli.IntFlag{Name: "clusters", Category: catLabeling, Usage: "cluster: the number of k-means clusters", DefaultText: "twice the number of classes, in [4, 64]"},
		&cli.Uint64Flag{Name: "seed", Category: catLabeling, Value: d.Training.Seed, EnvVars: []string{cliutil.EnvSeed}, Usage: "seed of the random order and the clustering (--simulate: and of the held-out test split and the trainings)"},
		&cli.BoolFlag{Name: "show-source-labels", Category: catLabeling, Usage: "show each example's label in the source next to it"},
		&cli.StringFlag{Name: "serve", Category: catLabeling, Value: DefaultServe, Usage: "the address (host:port) the labeling page listens on"},

		&cli.BoolFlag{Name: "simulate", Category: catSimulate, Usage: "play a person who labels truthfully (the source's labels) with each strategy, retraining after every round"},
		&cli.IntFlag{Name: "budget", Category: catSimulate, Value: 200, Usage: "labels per strategy in all"},
		&cli.IntFlag{Name: "round", Category: catSimulate, Value: 50, Usage: "labels between two trainings"},
		&cli.IntFlag{Name: "epochs", Category: catSimulate, Value: labeling.DefaultSimEpochs, Usage: fmt.Sprintf("epochs of each brief training (at most %d optimizer steps)", labeling.DefaultSimMaxSteps)},
		&cli.StringFlag{Name: "model", Category: catSimulate, Usage: "linear, mlp, cnn or resnet", DefaultText: "the run's, else train's: cnn for images, mlp for tabular data"},
		&cli.StringFlag{Name: "strategies", Category: catSimulate, Usage: "the strategies to simulate, comma-separated", DefaultText: "random,uncertain,cluster"},

		&cli.StringFlag{Name: "out", Category: catOutput, Usage: "--simulate: the directory label_curve.csv, label_curve.png and label_curve.json are written into"},
		&cli.BoolFlag{Name: "json", Category: catOutput, Usage: "--simulate: print label_curve.json on stdout instead of a summary for people"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Category: catOutput, EnvVars: []string{cliutil.EnvQuiet}, Usage: "no progress: only warnings and errors on stderr"},
		&cli.BoolFlag{Name: "verbose", Category: catOutput, Usage: "debug logging"},
	}
}

func labelAction(c *cli.Context) error {
	if c.NArg() > 0 {
		if err := cliutil.NoStrayFlags(c); err != nil {
			return err
		}
		return cliutil.Usagef(c, "unexpected arguments %q: label takes only flags (the data source is --data)", c.Args().Slice())
	}
	if !slices.Contains(labeling.Strategies(), c.String("strategy")) {
		return cliutil.Usagef(c, "--strategy %q: want random, uncertain or cluster", c.String("strategy"))
	}
	if !slices.Contains(calibration.Methods(), c.String("score")) {
		return cliutil.Usagef(c, "--score %q: want margin, entropy, bald or least-confident", c.String("score"))
	}
	if c.Int("clusters") < 0 {
		return cliutil.Usagef(c, "--clusters %d: want a positive number (or leave it out)", c.Int("clusters"))
	}
	if c.Bool("simulate") {
		return simulateAction(c)
	}
	for _, f := range []string{"budget", "round", "epochs", "model", "strategies", "out", "json"} {
		if c.IsSet(f) {
			return cliutil.Usagef(c, "--%s applies to --simulate", f)
		}
	}
	return serveAction(c)
}

// poolOptions are the labeling pool and the training config the flags
// describe: the run's config.yaml (its data source, CSV options and
// model) when --run is given, else train's defaults, with the data flags
// that were set applied.
func poolOptions(c *cli.Context) (labeling.PoolOptions, config.Experiment, error) {
	cfg := config.Default()
	if run := c.String("run"); run != "" {
		dir, err := rundir.Open(run)
		if err != nil {
			return labeling.PoolOptions{}, cfg, err
		}
		if cfg, err = config.Load(dir.Join(rundir.ConfigFile)); err != nil {
			return labeling.PoolOptions{}, cfg, err
		}
	}
	dc := &cfg.Data
	for name, dst := range map[string]*string{"data": &dc.Source, "label-column": &dc.LabelColumn, "delimiter": &dc.Delimiter} {
		if c.IsSet(name) {
			*dst = c.String(name)
		}
	}
	if c.IsSet("ignore-columns") {
		dc.IgnoreColumns = nil
		for _, n := range strings.Split(c.String("ignore-columns"), ",") {
			if n = strings.TrimSpace(n); n != "" {
				dc.IgnoreColumns = append(dc.IgnoreColumns, n)
			}
		}
	}
	if c.IsSet("image-size") {
		dc.ImageSize = c.Int("image-size")
	}
	dc.Labels = ""
	cfg.Training.Seed = c.Uint64("seed")
	delim, err := data.ParseDelimiter(dc.Delimiter)
	if err != nil {
		return labeling.PoolOptions{}, cfg, cliutil.Usagef(c, `--delimiter %q: want ",", ";", "\t" (or tab) or "|"`, dc.Delimiter)
	}
	opt := labeling.PoolOptions{
		Source: dc.Source,
		Open: data.OpenOptions{LabelColumn: dc.LabelColumn, ImageSize: dc.ImageSize, DataDir: data.DataDirFromEnv(), Seed: cfg.Training.Seed,
			Delimiter: delim, IgnoreColumns: dc.IgnoreColumns, Missing: data.Missing(dc.Missing)},
		Run: c.String("run"), Seed: cfg.Training.Seed, Score: c.String("score"), Clusters: c.Int("clusters"),
	}
	return opt, cfg, nil
}
