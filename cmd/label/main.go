// Command label labels examples from a local web page, the most useful
// first, into the index,label CSV that train --labels reads; with
// --simulate it plays a person labeling with each strategy and writes the
// test accuracy against the number of labels.
//
//	go run ./cmd/label --simulate --data digits --budget 200 --round 50 --out DIR
//
// See README.md and `label --help`.
package main

import (
	"os"

	"github.com/practica-ml/practica/cmd/internal/labelcmd"
	"github.com/practica-ml/practica/internal/cliutil"

	_ "go4.org/unsafe/assume-no-moving-gc" // gorgonia panics at start-up on Go 1.26 without it
)

func main() {
	os.Exit(cliutil.RunStandalone(labelcmd.Command(), os.Args, os.Stdin, os.Stdout, os.Stderr))
}
