package main

import (
	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/config"
)

// feasibilityFlags are the flags of the feasibility tests (issue 5).
func feasibilityFlags() []cli.Flag { return nil }

// runFeasibility runs a feasibility test when one was asked for; handled
// is false when the command line asks for none.
func runFeasibility(c *cli.Context, cfg config.Experiment, env *commandEnv) (handled bool, err error) {
	return false, nil
}
