// Command practica is Practica in one binary: train, eval and predict as
// subcommands, the very same commands as cmd/train, cmd/eval and
// cmd/predict, plus shell completion and a man page.
//
//	go install github.com/practica-ml/practica/cmd/practica@latest
//	practica train [flags]
//	practica eval --run DIR
//	practica predict --run DIR --split test
//
// See README.md and `practica --help`.
package main

import (
	"os"

	_ "go4.org/unsafe/assume-no-moving-gc" // gorgonia panics at start-up on Go 1.26 without it
)

func main() {
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
