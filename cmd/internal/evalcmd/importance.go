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
		&cli.IntFlag{Name: "attribution-examples", Value: evaluation.DefaultAttributionExamples, Usage: "image models: examples of the split whose Integrated Gradients make the report's per-class maps (0: no attributions in the report)"},
	}
}

// addImportance adds what the run's model relies on: the permutation
// importance of a tabular run's features on the evaluated split, seeded
// by the run's training seed, and an image run's Integrated Gradients.
func addImportance(c *cli.Context, e *evaluation.Result) error {
	r, k := c.Int("repeats"), c.Int("attribution-examples")
	switch {
	case r < 0 || r > 1000:
		return cliutil.Usagef(c, "--repeats must be between 0 and 1000, got %d", r)
	case k < 0:
		return cliutil.Usagef(c, "--attribution-examples must be 0 (none) or more, got %d", k)
	}
	if r > 0 {
		if err := e.AddPermutationImportance(r, e.Run.Config.Training.Seed); err != nil {
			return err
		}
	}
	return e.AddAttributions(k)
}
