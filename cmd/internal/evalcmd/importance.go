package evalcmd

import (
	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/explain"
	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/report/evaluation"
)

func importanceFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "repeats", Value: explain.DefaultRepeats, Usage: "tabular models: shuffles of each feature for the permutation importance (0: none)"},
	}
}

// addImportance computes the permutation importance of a tabular run's
// features on the evaluated split, seeded by the run's training seed.
func addImportance(c *cli.Context, e *evaluation.Result) error {
	r := c.Int("repeats")
	switch {
	case r < 0 || r > 1000:
		return cliutil.Usagef(c, "--repeats must be between 0 and 1000, got %d", r)
	case r == 0:
		return nil
	}
	return e.AddPermutationImportance(r, e.Run.Config.Training.Seed)
}
