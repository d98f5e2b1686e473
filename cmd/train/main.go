// Command train trains a model and writes a run directory that reproduces
// it. With no arguments it trains the default model on the embedded digits.
//
//	go run ./cmd/train [flags]
//
// See README.md and `train --help`.
package main

import (
	"os"

	"github.com/practica-ml/practica/cmd/internal/traincmd"
	"github.com/practica-ml/practica/internal/cliutil"

	_ "go4.org/unsafe/assume-no-moving-gc" // gorgonia panics at start-up on Go 1.26 without it
)

func main() {
	os.Exit(cliutil.RunStandalone(traincmd.Command(), os.Args, os.Stdin, os.Stdout, os.Stderr))
}
