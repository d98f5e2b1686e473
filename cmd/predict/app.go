package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/practica-ml/practica/setup"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/calibration"
	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/inference"
	"github.com/practica-ml/practica/internal/atomicfile"
	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/kernels"
	"github.com/practica-ml/practica/rundir"
)

func run(args []string, stdout, stderr io.Writer) int {
	kernels.Install()
	cliutil.TuneGC()
	return cliutil.Handle(stderr, "predict", newApp(stdout, stderr).Run(args))
}

// newApp is the testable constructor of the predict command.
func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:      "predict",
		Usage:     "score inputs with a trained run's model; one JSON line per input",
		UsageText: "predict --run DIR [--split test | FILE...]\n   FILE: one CSV, one IDX images file (*idx3-ubyte[.gz]), or PNG/JPEG images\n   probabilities are softmax(logits / T), T the calibration temperature fitted by train (--uncalibrated: T = 1)",
		Version:   rundir.Version,
		Writer:    stdout,
		ErrWriter: stderr,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "run", Usage: "run directory written by train", Required: true},
			&cli.StringFlag{Name: "checkpoint", Usage: "checkpoint file (default: RUN/checkpoints/best.ckpt)"},
			&cli.StringFlag{Name: "split", Usage: "score a split of the run's own data: train, val or test"},
			&cli.StringFlag{Name: "label-column", Usage: "CSV column with true labels, if present (default: the training label column)"},
			&cli.StringFlag{Name: "labels", Usage: "IDX labels file for an IDX images input"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the JSON lines to this file (atomically) instead of stdout"},
			&cli.BoolFlag{Name: "uncalibrated", Usage: "probabilities of the raw logits: skip the checkpoint's calibration temperature"},
			&cli.IntFlag{Name: "mc-dropout", Usage: "K >= 2 stochastic passes with dropout on: adds mc_probabilities, entropy and mutual_information"},
			&cli.StringFlag{Name: "rank", Usage: "output the examples most worth labelling first: least-confident, margin, entropy or bald (bald needs --mc-dropout)"},
			&cli.IntFlag{Name: "top", Usage: "with --rank: only the N most valuable examples (default all)"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the MC dropout masks"},
		},
		Action: func(c *cli.Context) error {
			return cliutil.FlagErrors(predictAction(c, stdout), map[string]string{"split": "split", "rank": "rank", "mc_dropout": "mc-dropout"}, c.IsSet)
		},
		HideHelpCommand: true,
		ExitErrHandler:  func(*cli.Context, error) {},
	}
}

func predictAction(c *cli.Context, stdout io.Writer) error {
	if err := cliutil.NoStrayFlags(c); err != nil {
		return err
	}
	mcPasses, method := c.Int("mc-dropout"), c.String("rank")
	switch {
	case c.IsSet("mc-dropout") && mcPasses < 2:
		return fmt.Errorf("--mc-dropout must be at least 2 passes, got %d", mcPasses)
	case c.IsSet("rank") && !slices.Contains(calibration.Methods(), method):
		return fmt.Errorf("--rank must be least-confident, margin, entropy or bald, got %q", method)
	case method == calibration.BALD && mcPasses == 0:
		return fmt.Errorf("--rank bald needs --mc-dropout K (the mutual information of K stochastic passes)")
	case c.IsSet("top") && !c.IsSet("rank"):
		return fmt.Errorf("--top needs --rank")
	case c.IsSet("top") && c.Int("top") < 1:
		return fmt.Errorf("--top must be at least 1, got %d", c.Int("top"))
	}
	p, dir, err := inference.LoadRun(c.String("run"), c.String("checkpoint"))
	if err != nil {
		return err
	}
	if c.Bool("uncalibrated") {
		p.Temperature = 1
	}
	var in inference.Input
	switch {
	case c.IsSet("split") && c.NArg() > 0:
		return fmt.Errorf("give either --split or input files, not both")
	case c.IsSet("split"):
		in, err = inference.ReadSplit(dir, c.String("split"), setup.Env{DataDir: data.DataDirFromEnv()})
	default:
		labelColumn := c.String("label-column")
		if !c.IsSet("label-column") {
			labelColumn = p.Checkpoint.Input.LabelColumn
		}
		in, err = p.ReadFiles(c.Args().Slice(), labelColumn, c.String("labels"))
	}
	if err != nil {
		return err
	}
	preds, err := p.Predict(in)
	if err != nil {
		return err
	}
	if mcPasses > 0 {
		if err := p.AddMCDropout(preds, in, mcPasses, c.Uint64("seed")); err != nil {
			return err
		}
	}
	if method != "" {
		if preds, err = inference.Rank(preds, len(p.Checkpoint.Classes), method, c.Int("top")); err != nil {
			return err
		}
	}
	if out := c.String("output"); out != "" {
		var buf bufferWriter
		if err := writeLines(&buf, preds); err != nil {
			return err
		}
		return atomicfile.Write(out, buf.b)
	}
	w := bufio.NewWriter(stdout)
	if err := writeLines(w, preds); err != nil {
		return err
	}
	return w.Flush()
}

func writeLines(w io.Writer, preds []inference.Prediction) error {
	enc := json.NewEncoder(w)
	for i := range preds {
		if err := enc.Encode(&preds[i]); err != nil {
			return err
		}
	}
	return nil
}

type bufferWriter struct{ b []byte }

func (w *bufferWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
