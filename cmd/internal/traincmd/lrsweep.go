package traincmd

import (
	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/lrsweep"
)

// sweepFlags are the flags of the learning-rate sweeps.
func sweepFlags() []cli.Flag {
	d := lrsweep.DefaultConfig()
	return []cli.Flag{
		&cli.BoolFlag{Name: "lr-sweep", Category: catSweep, Usage: "run the learning-rate range test instead of training; writes lr_sweep.{csv,json,png}"},
		&cli.Float64Flag{Name: "lr-min", Category: catSweep, Value: d.MinLR, Usage: "range test: first learning rate"},
		&cli.Float64Flag{Name: "lr-max", Category: catSweep, Value: d.MaxLR, Usage: "range test: last learning rate"},
		&cli.IntFlag{Name: "lr-steps", Category: catSweep, Value: d.Steps, Usage: "range test: steps (one batch each) from --lr-min to --lr-max"},
		&cli.IntFlag{Name: "lr-sweep-seeds", Category: catSweep, Value: d.Seeds, Usage: "range test: repeat with this many seeds; the answer is their median"},
		&cli.StringFlag{Name: "lr-suggestion", Category: catSweep, Value: d.Recommend, Usage: "the rule that recommends: steepest, valley or minimum/10"},
		&cli.StringFlag{Name: "grid", Category: catSweep, Usage: "then train briefly at each of these rates (1e-4,3e-4,...) or auto (the answer ×1/3, ×1, ×3)", DefaultText: "none"},
		&cli.IntFlag{Name: "grid-max-extend", Category: catSweep, Value: d.GridMaxExtend, Usage: "an automatic grid extends ×3 past its edge at most this often while the best value sits there"},
		&cli.IntFlag{Name: "sweep-epochs", Category: catSweep, Value: d.GridEpochs, Usage: "epochs of each --grid run"},
	}
}

// sweepOnlyFlags are meaningless without --lr-sweep or --lr auto.
var sweepOnlyFlags = []string{"lr-min", "lr-max", "lr-steps", "lr-sweep-seeds", "lr-suggestion", "grid", "sweep-epochs", "grid-max-extend"}

// sweepConfig reads the sweep's flags: nil when the command line asks for
// neither --lr-sweep nor --lr auto; auto is set for --lr auto.
func sweepConfig(c *cli.Context) (sc *lrsweep.Config, auto bool, err error) {
	auto = c.String("lr") == "auto"
	if !c.Bool("lr-sweep") && !auto {
		for _, f := range sweepOnlyFlags {
			if c.IsSet(f) {
				return nil, false, cliutil.Usagef(c, "--%s needs --lr-sweep (or --lr auto)", f)
			}
		}
		return nil, false, nil
	}
	cfg := lrsweep.DefaultConfig()
	cfg.MinLR, cfg.MaxLR, cfg.Steps = c.Float64("lr-min"), c.Float64("lr-max"), c.Int("lr-steps")
	cfg.Seeds, cfg.Recommend, cfg.GridEpochs = c.Int("lr-sweep-seeds"), c.String("lr-suggestion"), c.Int("sweep-epochs")
	cfg.GridMaxExtend = c.Int("grid-max-extend")
	if c.IsSet("grid") {
		if cfg.Grid, cfg.GridAuto, err = lrsweep.ParseGrid(c.String("grid")); err != nil {
			return nil, false, err
		}
	}
	return &cfg, auto, cfg.Validate()
}
