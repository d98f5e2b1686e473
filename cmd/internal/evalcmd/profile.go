package evalcmd

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/practica-ml/practica/setup"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/data/profile"
	"github.com/practica-ml/practica/report"
)

// profileAction profiles a data source (eval --data SOURCE without --run).
func profileAction(c *cli.Context, env setup.Env, stdout io.Writer) error {
	for _, f := range []string{"split", "checkpoint", "bins", "bootstrap", "bootstrap-seed"} {
		if c.IsSet(f) {
			return fmt.Errorf("--%s applies to the evaluation of a run (--run DIR)", f)
		}
	}
	source := c.String("data")
	p, perr := profile.Data(profile.Options{Source: source, LabelColumn: c.String("label-column"),
		Labels: c.String("labels"), Delimiter: c.String("delimiter"), IgnoreColumns: c.StringSlice("ignore-columns"),
		Seed: c.Uint64("seed"), Env: env, Args: commandLine(c)})
	if p == nil {
		return perr
	}
	out := c.String("out")
	if out == "" {
		var err error
		if out, err = defaultOut("runs", "profile-"+sourceName(source), time.Now()); err != nil {
			return err
		}
	}
	out, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	if _, err := p.Write(out); err != nil {
		return err
	}
	if perr != nil {
		return fmt.Errorf("%w (what could be read is in %s)", perr, filepath.Join(out, report.HTMLFile))
	}
	switch {
	case c.Bool("json"):
		return printJSON(stdout, p)
	case c.Bool("print-dir"):
		fmt.Fprintln(stdout, out)
	default:
		l := p.Leakage
		fmt.Fprintf(stdout, "%s: %s examples, %d classes (largest/smallest %.2f); %d duplicate rows (%d with another label); shared train/val %d, train/test %d, val/test %d; %d constant features\n",
			source, report.Commas(p.N), len(p.Classes), p.Imbalance, p.DuplicateRows, p.ConflictingDuplicates, l.TrainVal, l.TrainTest, l.ValTest, len(p.ConstantFeatures))
		fmt.Fprintf(stdout, "report: %s\n", filepath.Join(out, report.HTMLFile))
	}
	return nil
}

// sourceName is a short name of a data source for a directory name.
func sourceName(source string) string {
	name := source
	if i := strings.IndexByte(name, ':'); i >= 0 && !strings.ContainsAny(name, `/\`) {
		name = name[:i]
	}
	name = strings.TrimSuffix(strings.TrimSuffix(filepath.Base(name), ".gz"), ".csv")
	var b strings.Builder
	for _, r := range name {
		if r == '-' || r == '_' || r == '.' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "data"
	}
	return b.String()
}
