package predictcmd

import (
	"io"
	"strings"

	"github.com/practica-ml/practica/internal/cliutil"
)

// run runs the predict command as cmd/predict does, with no standard input.
func run(args []string, stdout, stderr io.Writer) int {
	return cliutil.RunStandalone(Command(), args, strings.NewReader(""), stdout, stderr)
}
