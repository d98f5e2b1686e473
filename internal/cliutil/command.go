package cliutil

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/kernels"
	"github.com/xrash/smetrics"
)

// ExitUsage is a command line the command cannot take: an unknown flag, a
// flag's value of the wrong type, flags that exclude each other. It is
// Go's convention (the flag package exits 2).
const ExitUsage = 2

// Usage is a usage error: the message, and the help command that explains
// the right usage, printed on a line of its own.
type Usage struct {
	Err  error
	Help string
}

func (e *Usage) Error() string { return e.Err.Error() }
func (e *Usage) Unwrap() error { return e.Err }

// Usagef is a usage error of the command c runs.
func Usagef(c *cli.Context, format string, args ...any) error {
	return &Usage{Err: fmt.Errorf(format, args...), Help: helpCommand(c)}
}

// helpCommand is the command that shows c's help, by the program's base
// name ("practica train --help"), as a user finds it on the PATH.
func helpCommand(c *cli.Context) string {
	return withCommand(c, c.App.Name) + " --help"
}

// Metadata keys of the apps: the command line as typed (recorded in run
// directories and in the commands a message suggests).
const argsKey = "args"

// RunStandalone runs cmd as a program of its own on args (args[0] is the
// program) and returns the exit code: what cmd/train, cmd/eval and
// cmd/predict do, with the process-wide set-up every command makes first
// (the matrix-multiply kernels, the garbage collector's target).
func RunStandalone(cmd *cli.Command, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	kernels.Install()
	TuneGC()
	return Handle(stderr, cmd.Name, Standalone(cmd, stdin, stdout, stderr, args).Run(args))
}

// Standalone is cmd as an app of its own (cmd/train, cmd/eval,
// cmd/predict): the same flags, action and help as the practica
// subcommand of that name. args is the command line it will run.
func Standalone(cmd *cli.Command, stdin io.Reader, stdout, stderr io.Writer, args []string) *cli.App {
	app := &cli.App{
		Name:                  cmd.Name,
		Usage:                 cmd.Usage,
		UsageText:             cmd.UsageText,
		Description:           cmd.Description,
		Version:               Version(),
		Flags:                 cmd.Flags,
		Before:                cmd.Before,
		Action:                cmd.Action,
		HideHelpCommand:       true,
		CustomAppHelpTemplate: cmd.CustomHelpTemplate,
		Reader:                stdin,
		Writer:                stdout,
		ErrWriter:             stderr,
	}
	Configure(app, args)
	return app
}

// Configure gives app the conventions every command shares: usage errors
// on stderr with a suggestion and exit status 2, errors left to Handle
// (urfave/cli would otherwise exit on its own), the command line in the
// metadata.
func Configure(app *cli.App, args []string) {
	app.OnUsageError = OnUsageError
	app.ExitErrHandler = func(*cli.Context, error) {}
	app.Metadata = map[string]any{argsKey: args}
	// A repeated flag (eval --compare DIR --compare DIR) takes each value
	// whole: a directory's name may hold a comma.
	app.DisableSliceFlagSeparator = true
	for _, c := range app.Commands {
		if c.OnUsageError == nil {
			c.OnUsageError = OnUsageError
		}
	}
}

// Args is the command line the app runs, as typed.
func Args(c *cli.Context) []string {
	args, _ := c.App.Metadata[argsKey].([]string)
	return args
}

// Prog is the command as a user types it again: "train" for the train
// app, "practica train" for the subcommand; the program's own path
// (bin/train) when it has one, but not go run's temporary binary.
func Prog(c *cli.Context) string {
	prog := c.App.Name
	if args := Args(c); len(args) > 0 && !strings.Contains(args[0], "go-build") {
		prog = args[0]
	}
	return withCommand(c, prog)
}

// withCommand is prog followed by c's subcommand, if c runs one.
func withCommand(c *cli.Context, prog string) string {
	if c.Command != nil && c.Command.Name != "" && c.Command.Name != c.App.Name {
		prog += " " + c.Command.Name
	}
	return prog
}

// flagError matches the errors of Go's flag package that name a flag.
var (
	unknownFlag = regexp.MustCompile(`^flag provided but not defined: -+(.+)$`)
	badValue    = regexp.MustCompile(`^invalid value "(.*)" for flag -+([^:]+): (.*)$`)
	noValue     = regexp.MustCompile(`^flag needs an argument: -+(.+)$`)
)

// OnUsageError turns a parse error of urfave/cli into a Usage error of
// one line: an unknown flag names the nearest known one.
func OnUsageError(c *cli.Context, err error, _ bool) error {
	msg := err.Error()
	switch m := unknownFlag.FindStringSubmatch(msg); {
	case m != nil:
		msg = "unknown flag " + dashed(m[1])
		if s := SuggestFlag(visibleFlags(c), m[1]); s != "" {
			msg += "; did you mean " + dashed(s) + "?"
		}
	case badValue.MatchString(msg):
		m := badValue.FindStringSubmatch(msg)
		msg = fmt.Sprintf("invalid value %q for %s: %s", m[1], dashed(m[2]), valueProblem(m[3]))
	case noValue.MatchString(msg):
		msg = dashed(noValue.FindStringSubmatch(msg)[1]) + " needs a value"
	}
	return &Usage{Err: errors.New(msg), Help: helpCommand(c)}
}

// valueProblem says what a strconv error inside a flag error means.
func valueProblem(s string) string {
	switch {
	case strings.Contains(s, "invalid syntax") || strings.Contains(s, "parse error"):
		return "not a number of the flag's type"
	case strings.Contains(s, "out of range"):
		return "out of range"
	}
	return s
}

// dashed is a flag's name as typed: -q, --epochs.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

func visibleFlags(c *cli.Context) []cli.Flag {
	if c.Command != nil && len(c.Command.Flags) > 0 {
		return c.Command.Flags
	}
	return c.App.Flags
}

// minSimilarity is the least Jaro-Winkler similarity of a suggestion: below
// it the nearest flag is no likely typo (--epoch and --epochs score 0.97,
// --lr and --seed 0).
const minSimilarity = 0.8

// SuggestFlag is the visible flag name nearest to the unknown name typed,
// by Jaro-Winkler similarity (as urfave/cli's own suggestions and git's
// "did you mean"), or "" when none is near.
func SuggestFlag(flags []cli.Flag, typed string) string {
	best, score := "", minSimilarity
	for _, f := range flags {
		if vf, ok := f.(cli.VisibleFlag); ok && !vf.IsVisible() {
			continue
		}
		for _, name := range f.Names() {
			if s := smetrics.JaroWinkler(name, typed, 0.7, 4); s > score {
				best, score = name, s
			}
		}
	}
	return best
}

// SuggestCommand is the command name nearest to the unknown name typed,
// or "".
func SuggestCommand(commands []*cli.Command, typed string) string {
	best, score := "", minSimilarity
	for _, c := range commands {
		for _, name := range c.Names() {
			if s := smetrics.JaroWinkler(name, typed, 0.7, 4); s > score {
				best, score = name, s
			}
		}
	}
	return best
}

// Rename is a flag's old spelling, still accepted with a warning.
type Rename struct{ Old, New string }

// Hidden is the old spelling of a flag: accepted, not shown in help.
func (r Rename) Hidden(f cli.Flag) cli.Flag {
	switch f := f.(type) {
	case *cli.StringFlag:
		return &cli.StringFlag{Name: r.Old, Hidden: true}
	case *cli.Uint64Flag:
		return &cli.Uint64Flag{Name: r.Old, Hidden: true}
	case *cli.IntFlag:
		return &cli.IntFlag{Name: r.Old, Hidden: true}
	case *cli.BoolFlag:
		return &cli.BoolFlag{Name: r.Old, Hidden: true}
	default:
		panic(fmt.Sprintf("cliutil: no hidden spelling for %T", f))
	}
}

// ApplyRenames moves the values given under old spellings to the new
// flags, warning once per spelling on stderr; giving both is a usage
// error.
func ApplyRenames(c *cli.Context, renames []Rename) error {
	for _, r := range renames {
		if !c.IsSet(r.Old) {
			continue
		}
		if c.IsSet(r.New) {
			return Usagef(c, "%s is the old spelling of %s: give one of them", dashed(r.Old), dashed(r.New))
		}
		if err := c.Set(r.New, fmt.Sprint(c.Value(r.Old))); err != nil {
			return err
		}
		fmt.Fprintf(c.App.ErrWriter, "warning: %s is now %s; the old spelling will go away\n", dashed(r.Old), dashed(r.New))
	}
	return nil
}
