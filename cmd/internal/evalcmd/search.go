package evalcmd

import (
	"fmt"
	"io"
	"math"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/report"
	"github.com/practica-ml/practica/report/searchreport"
	"github.com/practica-ml/practica/search"
)

// searchFlag is eval --search.
func searchFlag() cli.Flag {
	return &cli.StringFlag{Name: "search", Usage: "a search directory written by train --search (OUT/search-NAME): gather its trials into search.csv, search.json, best.yaml and report.html there"}
}

// searchAction gathers a search (eval --search DIR) into DIR.
func searchAction(c *cli.Context, stdout io.Writer) error {
	for _, f := range []string{"run", "data", "compare", "out", "checkpoint", "split", "label-column", "labels", "seed", "delimiter", "ignore-columns", "bootstrap", "bootstrap-seed", "bins"} {
		if c.IsSet(f) {
			return cliutil.Usagef(c, "--%s does not apply to --search: it gathers into the search directory itself", f)
		}
	}
	g, err := search.Gather(c.String("search"))
	if err != nil {
		return err
	}
	if err := g.Write(); err != nil {
		return err
	}
	if err := searchreport.Write(g, commandLine(c)); err != nil {
		return err
	}
	switch {
	case c.Bool("json"):
		return printJSON(stdout, g.Rows[g.Best].Index)
	case c.Bool("print-dir"):
		fmt.Fprintln(stdout, g.Dir)
	default:
		counts := map[string]int{}
		for _, r := range g.Rows {
			counts[r.Status]++
		}
		best := g.Rows[g.Best]
		fmt.Fprintf(stdout, "%d trials (%d done, %d failed, %d unfinished); best: trial %d, %s %.4g after %d epochs: %s\n",
			len(g.Rows), counts[search.StatusDone], counts[search.StatusFailed], len(g.Rows)-counts[search.StatusDone]-counts[search.StatusFailed],
			best.Index, g.Space.Metric, best.Metric, best.Epochs, g.Describe(best))
		if math.IsNaN(best.Metric) {
			return nil
		}
		fmt.Fprintf(stdout, "trials: %s; best config: %s (train --config); report: %s\n",
			filepath.Join(g.Dir, search.CSVFile), filepath.Join(g.Dir, search.BestConfig), filepath.Join(g.Dir, report.HTMLFile))
	}
	return nil
}
