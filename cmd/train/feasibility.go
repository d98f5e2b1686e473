package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/feasibility"
	"github.com/practica-ml/practica/internal/cliutil"
)

// feasibilityFlags are the flags of the feasibility tests.
func feasibilityFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "overfit-one", Usage: "feasibility: can the model memorize one training example? PASS/FAIL (exit 0/3)"},
		&cli.IntFlag{Name: "overfit-batch", Usage: "feasibility: memorize N training examples, against the same training with the inputs zeroed; PASS/FAIL (exit 0/3)"},
		&cli.IntFlag{Name: "overfit-steps", Value: feasibility.DefaultSteps, Usage: "step budget of --overfit-one and --overfit-batch"},
		&cli.BoolFlag{Name: "naive-embeddings", Usage: "feasibility: linear and k-NN probes on raw, random-projection, PCA (and untrained-CNN) embeddings; SIGNAL/NO SIGNAL (exit 0/3)"},
		&cli.BoolFlag{Name: "feasibility", Usage: fmt.Sprintf("run every feasibility test (overfit-one, overfit-batch %d, naive embeddings, clustering) and write feasibility.json, feasibility.md and plots", feasibility.BatchSize)},
	}
}

// feasibilityTests reads the feasibility flags: nil when the command line
// asks for no test.
func feasibilityTests(c *cli.Context) (*feasibility.Options, error) {
	opt := feasibility.Options{
		OverfitOne:      c.Bool("overfit-one"),
		OverfitBatch:    c.Int("overfit-batch"),
		NaiveEmbeddings: c.Bool("naive-embeddings"),
		Steps:           c.Int("overfit-steps"),
	}
	if c.Bool("feasibility") {
		all := feasibility.All(opt.Steps, nil)
		if c.IsSet("overfit-batch") {
			all.OverfitBatch = opt.OverfitBatch
		}
		opt = all
	}
	if !opt.OverfitOne && !c.IsSet("overfit-batch") && !opt.NaiveEmbeddings && !opt.Clustering {
		if c.IsSet("overfit-steps") {
			return nil, fmt.Errorf("--overfit-steps sets the budget of --overfit-one, --overfit-batch or --feasibility; give one of them")
		}
		return nil, nil
	}
	if c.IsSet("overfit-batch") && opt.OverfitBatch < 1 {
		return nil, fmt.Errorf("--overfit-batch must be a number of examples ≥ 1, got %d", opt.OverfitBatch)
	}
	if opt.Steps < 1 {
		return nil, fmt.Errorf("--overfit-steps must be ≥ 1, got %d", opt.Steps)
	}
	return &opt, nil
}

// printFeasibility prints the report (JSON or for people); a FAIL or NO
// SIGNAL verdict exits 3.
func printFeasibility(c *cli.Context, out *output, rep *feasibility.Report) error {
	if c.Bool("json") {
		if err := out.json(rep); err != nil {
			return err
		}
	} else {
		fmt.Fprint(out.stdout, rep.Text())
	}
	if !rep.OK() {
		return &cliutil.Exit{Code: cliutil.ExitVerdict}
	}
	return nil
}
