package main

import (
	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/config"
)

// sweepFlags are the flags of the learning-rate sweeps (issue 6).
func sweepFlags() []cli.Flag { return nil }

// runSweep runs the learning-rate range test when asked for; handled is
// false when the command line asks for none.
func runSweep(c *cli.Context, cfg config.Experiment, env *commandEnv) (handled bool, err error) {
	return false, nil
}
