// Command predict scores new inputs with a trained run's model, using the
// preprocessing stored in its checkpoint, and writes one JSON line per
// input.
//
//	go run ./cmd/predict --run DIR [--split test | FILES...]
//
// See README.md and `predict --help`.
package main

import (
	"os"

	"github.com/practica-ml/practica/cmd/internal/predictcmd"
	"github.com/practica-ml/practica/internal/cliutil"

	_ "go4.org/unsafe/assume-no-moving-gc" // gorgonia panics at start-up on Go 1.26 without it
)

func main() {
	os.Exit(cliutil.RunStandalone(predictcmd.Command(), os.Args, os.Stdin, os.Stdout, os.Stderr))
}
