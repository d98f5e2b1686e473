package evalcmd

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/practica-ml/practica/setup"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/report"
	"github.com/practica-ml/practica/report/compare"
)

// compareAction compares runs (eval --compare DIR --compare DIR ...).
func compareAction(c *cli.Context, dirs []string, env setup.Env, stdout io.Writer) error {
	for _, f := range []string{"data", "checkpoint", "label-column", "labels", "seed", "delimiter", "ignore-columns", "bootstrap", "bootstrap-seed"} {
		if c.IsSet(f) {
			return fmt.Errorf("--%s does not apply to --compare", f)
		}
	}
	cmp, err := compare.Runs(compare.Options{Dirs: dirs, Split: c.String("split"), Env: env, Args: commandLine(c)})
	if err != nil {
		return err
	}
	out := c.String("out")
	if out == "" {
		if out, err = defaultOut("runs", "compare", time.Now()); err != nil {
			return err
		}
	}
	if out, err = filepath.Abs(out); err != nil {
		return err
	}
	if _, err := cmp.Write(out); err != nil {
		return err
	}
	switch {
	case c.Bool("json"):
		return printJSON(stdout, cmp)
	case c.Bool("print-dir"):
		fmt.Fprintln(stdout, out)
	default:
		for i, r := range cmp.Runs {
			if r.Error != "" {
				fmt.Fprintf(stdout, "%d. %s: %s\n", i+1, r.Name, r.Error)
				continue
			}
			fmt.Fprintf(stdout, "%d. %s: %s accuracy %.4f (%s of %s), macro F1 %.4f\n", i+1, r.Name, cmp.Split, r.Accuracy, report.Commas(r.Correct), report.Commas(r.N), r.MacroF1)
		}
		for _, p := range cmp.McNemar {
			fmt.Fprintf(stdout, "McNemar %s vs %s: only A right %d, only B right %d, p = %.3g: %s\n", p.A, p.B, p.OnlyA, p.OnlyB, p.PValue, p.Verdict)
		}
		for _, n := range cmp.NotComparable {
			fmt.Fprintln(stdout, n)
		}
		fmt.Fprintf(stdout, "report: %s\n", filepath.Join(out, report.HTMLFile))
	}
	return nil
}
