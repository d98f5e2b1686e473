package evalcmd

import (
	"io"
	"strings"

	"github.com/practica-ml/practica/internal/cliutil"
)

// run runs the eval command as cmd/eval does, with no standard input.
func run(args []string, stdout, stderr io.Writer) int {
	return cliutil.RunStandalone(Command(), args, strings.NewReader(""), stdout, stderr)
}
