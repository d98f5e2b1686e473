package predictcmd

import (
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/modelrepo"
	"github.com/practica-ml/practica/rundir"
)

// exportToFlags are the flags of predict --export-to.
func exportToFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "export-to", Usage: "copy the model (best.ckpt, or --checkpoint) and its model.json into the model repository DIR as DIR/NAME/VERSION/, the next version; prints that directory"},
	}
}

// exportToUsage is the usage line of --export-to in predict's help.
const exportToUsage = "--run DIR --export-to REPO           add the model to a versioned model repository as its next version"

// exportToAction copies the run's model into the repository --export-to
// as its next version and prints the version's directory. It scores
// nothing, so inputs and scoring flags are usage errors, as with --export.
func exportToAction(c *cli.Context) error {
	root := c.String("export-to")
	switch {
	case !c.IsSet("export-to"):
		return cliutil.Usagef(c, "--name needs --export-to DIR (the model repository to add the model to) or --serve ADDR")
	case root == "":
		return cliutil.Usagef(c, "--export-to needs a directory, the model repository")
	case c.NArg() > 0:
		return cliutil.Usagef(c, "--export-to copies the model and reads no inputs: drop %q", c.Args().First())
	}
	for _, f := range append([]string{"export", "output"}, scoringFlags...) {
		if c.IsSet(f) {
			return cliutil.Usagef(c, "--%s is not about adding a model to a repository, which --export-to does: drop it", f)
		}
	}
	name := c.String("name")
	if c.IsSet("name") {
		if err := modelrepo.CheckName(name); err != nil {
			return cliutil.Usagef(c, "--name: %v", err)
		}
	}
	dir, err := rundir.Open(c.String("run"))
	if err != nil {
		return err
	}
	if name == "" {
		if err := modelrepo.CheckName(filepath.Base(dir.Path)); err != nil {
			return fmt.Errorf("the run directory's name cannot name the model (%v): give one with --name", err)
		}
	}
	if !c.IsSet("checkpoint") {
		if w := unfinished(dir); w != "" {
			fmt.Fprintln(c.App.ErrWriter, "warning: "+w)
		}
	}
	v, err := modelrepo.Export(root, dir.Path, c.String("checkpoint"), name)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(c.App.Writer, v.Dir)
	return err
}
