package labelcmd

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// serveAction serves the labeling page. This build has only a stand-in:
// the labeling page, its journal and its server are written on another
// branch, whose serve.go replaces this file when the two are merged.
func serveAction(c *cli.Context) error {
	return errors.New("label --serve: not in this build")
}
