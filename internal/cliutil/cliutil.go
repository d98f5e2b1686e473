// Package cliutil holds what the three commands share at their boundary:
// exit codes, the one-line error format, the check that catches flags
// written after positional arguments, and the logger.
package cliutil

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"github.com/practica-ml/practica/internal/setting"
	"github.com/urfave/cli/v2"
)

// Exit codes.
const (
	ExitOK = 0
	// ExitError is any failure: bad input, a bad flag, a failed run.
	ExitError = 1
	// ExitVerdict is a feasibility test that answered FAIL or NO SIGNAL.
	ExitVerdict = 3
	// ExitInterrupted is a run stopped by SIGINT (128 + 2); SIGTERM exits
	// 143 (128 + 15), see SignalContext.
	ExitInterrupted = 130
)

// Environment variables of the commands' flags (PRACTICA_DATA, the
// directory of downloaded datasets, is the data package's). A flag given
// on the command line overrides its variable.
const (
	// EnvOut is train's --out, the root of run directories.
	EnvOut = "PRACTICA_OUT"
	// EnvSeed is the --seed of train and eval: the split's (and in train
	// the weights', batch order's and dropout's).
	EnvSeed = "PRACTICA_SEED"
	// EnvQuiet, true or 1, is --quiet for every command.
	EnvQuiet = "PRACTICA_QUIET"
)

// Exit wraps an error with the exit code the process should end with.
type Exit struct {
	Code int
	Err  error
}

func (e *Exit) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *Exit) Unwrap() error { return e.Err }

// Handle prints err as one line prefixed by the command's name and returns
// the exit code.
func Handle(stderr io.Writer, name string, err error) int {
	if err == nil {
		return ExitOK
	}
	var usage *Usage
	if errors.As(err, &usage) {
		fmt.Fprintf(stderr, "%s: %s\nrun '%s'\n", name, OneLine(err), usage.Help)
		return ExitUsage
	}
	code := ExitError
	var ex *Exit
	if errors.As(err, &ex) {
		code = ex.Code
		if ex.Err == nil {
			return code
		}
	}
	fmt.Fprintf(stderr, "%s: %s\n", name, OneLine(err))
	return code
}

// OneLine folds a (possibly joined) error onto one line.
func OneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}

// NoStrayFlags rejects positional arguments that look like flags: urfave/cli
// v2 stops parsing flags at the first positional argument, so
// "predict file.csv --run x" would silently treat "--run" as a file.
func NoStrayFlags(c *cli.Context) error {
	for _, a := range c.Args().Slice() {
		if strings.HasPrefix(a, "-") && a != "-" {
			return Usagef(c, "%q comes after a positional argument: put flags first, before any file names", a)
		}
	}
	return nil
}

// Logger is a text logger on w at Info level, or Warn when quiet, or Debug
// when verbose.
func Logger(w io.Writer, quiet, verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if quiet {
		level = slog.LevelWarn
	}
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// GCPercent is the garbage collector's target the commands run with: the
// heap may grow to 1.5× the live data (Go's default is 2×). Live data is
// mostly the dataset's pointer-free float arrays, which cost the collector
// nothing to scan, so collecting more often is nearly free, while peak
// memory on Fashion-MNIST drops by about 120 MB.
const GCPercent = 50

// TuneGC sets GCPercent unless the user chose GOGC. It is a process-wide
// setting, made once at the start of a command, like kernels.Install.
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
}

// FlagErrors rewrites the setting errors in err (see package setting) for
// a command line; flags maps a setting's key to the flag that sets it. A
// config key (one with a dot, as in config.yaml) keeps its name, which is
// what the user finds in config.yaml, and gains the flag when set reports
// that the flag was given. An option that only the command has is named
// by its flag, and so are the other such options its message mentions.
func FlagErrors(err error, flags map[string]string, set func(flag string) bool) error {
	return setting.Map(err, func(e *setting.Error) error {
		flag, ok := flags[e.Key]
		switch {
		case !ok:
			return e
		case strings.Contains(e.Key, "."):
			if set(flag) {
				return fmt.Errorf("%s (--%s)", e.Error(), flag)
			}
			return e
		}
		msg := e.Msg
		for key, other := range flags {
			if !strings.Contains(key, ".") && key != e.Key {
				msg = replaceWord(msg, key, "--"+other)
			}
		}
		return errors.New("--" + flag + " " + msg)
	})
}

// replaceWord replaces whole-word occurrences of old in s (an option name
// such as lr_min inside a message, not inside another name).
func replaceWord(s, old, repl string) string {
	isWord := func(b byte) bool { return b == '_' || b == '.' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' }
	var b strings.Builder
	for {
		i := strings.Index(s, old)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(old)
		if (i > 0 && isWord(s[i-1])) || (end < len(s) && isWord(s[end])) {
			b.WriteString(s[:end])
		} else {
			b.WriteString(s[:i] + repl)
		}
		s = s[end:]
	}
}
