package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/internal/cliutil"
)

// manCommand prints the man page urfave/cli generates from the commands
// and their flags, in section 1 (user commands).
func manCommand() *cli.Command {
	return &cli.Command{
		Name:      "man",
		Usage:     "print the man page (every command and flag) in roff",
		UsageText: "practica man > practica.1; man ./practica.1",
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return cliutil.Usagef(c, "man takes no arguments")
			}
			page, err := c.App.ToManWithSection(1)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(c.App.Writer, page)
			return err
		},
	}
}
