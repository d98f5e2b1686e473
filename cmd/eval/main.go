// Command eval evaluates a trained run's model and writes metrics.json,
// predictions.csv, the figures and one self-contained report.html; with
// --data alone it profiles a data source; with --compare it compares runs.
//
//	go run ./cmd/eval --run DIR [--split test] [--data SOURCE] [--out DIR]
//	go run ./cmd/eval --data SOURCE
//	go run ./cmd/eval --compare DIR --compare DIR ...
//
// See README.md and `eval --help`.
package main

import (
	"os"

	"github.com/practica-ml/practica/cmd/internal/evalcmd"
	"github.com/practica-ml/practica/internal/cliutil"

	_ "go4.org/unsafe/assume-no-moving-gc" // gorgonia panics at start-up on Go 1.26 without it
)

func main() {
	os.Exit(cliutil.RunStandalone(evalcmd.Command(), os.Args, os.Stdin, os.Stdout, os.Stderr))
}
