package labelcmd

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/labeling"
)

// serveAction is the label command's page mode: it opens the pool
// (--data, --run, --seed and the data flags), replays the journal next to
// --labels, and serves the labeling page on --serve until SIGINT or
// SIGTERM; then it finishes the requests in flight, closes the journal
// and returns nil (exit 0). Every decision is in the journal, synced,
// before the page shows it as saved.
func serveAction(c *cli.Context) error {
	labels, addr, strategy := c.String("labels"), c.String("serve"), c.String("strategy")
	switch {
	case c.NArg() > 0:
		return cliutil.Usagef(c, "the labeling page reads no arguments: drop %q", c.Args().First())
	case labels == "":
		return cliutil.Usagef(c, "the labeling page needs --labels FILE: the labels file it writes (index,label, what train --labels reads), with every decision in FILE%s", labeling.JournalSuffix)
	case addr == "":
		return cliutil.Usagef(c, "--serve needs an address, such as %s", labeling.DefaultAddr)
	case strategy == "":
		strategy = labeling.Cluster
	}
	if strategy != labeling.Random && strategy != labeling.Uncertain && strategy != labeling.Cluster {
		return cliutil.Usagef(c, "--strategy %q: want %s, %s or %s", strategy, labeling.Cluster, labeling.Uncertain, labeling.Random)
	}
	// The pool as --simulate reads it: the run's data settings, then the
	// data flags, --score and --clusters.
	popt, _, err := poolOptions(c)
	if err != nil {
		return err
	}
	log := cliutil.Logger(c.App.ErrWriter, false, false)
	// Listening first: a port in use is said before the data are read.
	ln, err := labeling.Listen(addr, log)
	if err != nil {
		return err
	}
	pool, err := labeling.OpenPool(popt)
	if err != nil {
		ln.Close()
		return err
	}
	j, err := labeling.OpenJournal(labels, labeling.JournalOptions{
		N: pool.Data.Len(), Classes: pool.Data.Classes,
		Warn: func(msg string) { fmt.Fprintln(c.App.ErrWriter, "label: warning: "+msg) },
	})
	if err != nil {
		ln.Close()
		return err
	}
	srv, err := labeling.NewServer(pool, j, labeling.ServerOptions{
		Strategy: strategy, ShowSourceLabels: c.Bool("show-source-labels"), Logger: log,
	})
	if err != nil {
		ln.Close()
		return errors.Join(err, j.Close())
	}
	labeled, skipped, _ := j.Counts()
	fmt.Fprintf(c.App.ErrWriter, "label: %d of %d examples labeled so far, %d skipped; labels in %s, every decision in %s; Ctrl-C stops\n",
		labeled, pool.Data.Len(), skipped, j.LabelsPath(), j.Path())
	fmt.Fprintf(c.App.Writer, "label: labeling page at %s\n", labeling.PageURL(ln))
	ctx, stop := cliutil.SignalContext(c.Context)
	defer stop()
	return srv.Serve(ctx, ln)
}
