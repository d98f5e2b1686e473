package main

import (
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/cmd/internal/evalcmd"
	"github.com/practica-ml/practica/cmd/internal/labelcmd"
	"github.com/practica-ml/practica/cmd/internal/predictcmd"
	"github.com/practica-ml/practica/cmd/internal/traincmd"
	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/kernels"
)

// run runs the practica app on args and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	kernels.Install()
	cliutil.TuneGC()
	name := "practica"
	if len(args) > 1 && !strings.HasPrefix(args[1], "-") {
		name += " " + args[1]
	}
	return cliutil.Handle(stderr, name, newApp(stdin, stdout, stderr, args).Run(args))
}

// newApp is the testable constructor of the practica command.
func newApp(stdin io.Reader, stdout, stderr io.Writer, args []string) *cli.App {
	app := &cli.App{
		Name:  "practica",
		Usage: "a deep-learning practitioner's checklist as commands: explore, check feasibility, pick a learning rate, train, calibrate, evaluate, serve",
		UsageText: "practica train [flags]                  train (no flags: the default model on the embedded digits)\n" +
			"practica eval --run DIR                 evaluate a run into report.html\n" +
			"practica predict --run DIR FILE...      score inputs, one JSON line each\n" +
			"practica label --data SOURCE            label examples, most useful first (--simulate: compare the strategies)\n" +
			"practica COMMAND --help                 a command's flags, with their defaults",
		Version: cliutil.Version(),
		Commands: []*cli.Command{
			traincmd.Command(),
			evalcmd.Command(),
			predictcmd.Command(),
			labelcmd.Command(),
			completionCommand(),
			manCommand(),
		},
		EnableBashCompletion: true,
		HideHelpCommand:      true,
		Reader:               stdin,
		Writer:               stdout,
		ErrWriter:            stderr,
		Action:               rootAction,
	}
	cliutil.Configure(app, args)
	return app
}

// rootAction runs when no command is named: help, or a usage error for a
// word that is no command.
func rootAction(c *cli.Context) error {
	if c.NArg() == 0 {
		return cli.ShowAppHelp(c)
	}
	typed := c.Args().First()
	msg := "unknown command " + typed
	if s := cliutil.SuggestCommand(c.App.VisibleCommands(), typed); s != "" {
		msg += "; did you mean " + s + "?"
	}
	return cliutil.Usagef(c, "%s", msg)
}
