package traincmd

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/feasibility"
	"github.com/practica-ml/practica/internal/cliutil"
)

// feasibilityFlags are the flags of the feasibility tests.
func feasibilityFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "overfit-one", Category: catFeasibility, Usage: "can the model memorize one training example? PASS/FAIL (exit 0/3)"},
		&cli.IntFlag{Name: "overfit-batch", Category: catFeasibility, DefaultText: "off", Usage: "memorize N training examples, against the inputs zeroed; PASS/FAIL (exit 0/3)"},
		&cli.IntFlag{Name: "overfit-steps", Category: catFeasibility, Value: feasibility.DefaultSteps, Usage: "step budget of --overfit-one and --overfit-batch"},
		&cli.BoolFlag{Name: "naive-embeddings", Category: catFeasibility, Usage: "linear and k-NN probes on naive embeddings of the inputs; SIGNAL/NO SIGNAL (exit 0/3)"},
		&cli.BoolFlag{Name: "feasibility", Category: catFeasibility, Usage: fmt.Sprintf("every test above (--overfit-batch %d) and clustering; writes feasibility.json, .md and plots", feasibility.BatchSize)},
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
			return nil, cliutil.Usagef(c, "--overfit-steps sets the budget of --overfit-one, --overfit-batch or --feasibility; give one of them")
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
