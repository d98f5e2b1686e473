package predictcmd

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/setup"
	"github.com/practica-ml/practica/train"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/calibration"
	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/export"
	"github.com/practica-ml/practica/inference"
	"github.com/practica-ml/practica/internal/atomicfile"
	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/serve"
)

// renames are the old spellings of predict's flags: --labels and --seed
// meant other things here than in train and eval.
var renames = []cliutil.Rename{{Old: "labels", New: "idx-labels"}, {Old: "seed", New: "mc-seed"}}

// Command is the predict command: practica's subcommand and cmd/predict.
func Command() *cli.Command {
	cmd := &cli.Command{
		Name:  "predict",
		Usage: "score inputs with a trained run's model: one JSON line each, probabilities softmax(logits / T), T the temperature train fitted",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "run", Usage: "run directory written by train (required but with --serve --model-repository)"},
			&cli.StringFlag{Name: "checkpoint", Usage: "checkpoint file", DefaultText: "RUN/checkpoints/best.ckpt"},
			&cli.StringFlag{Name: "split", Usage: "score a split of the run's own data: train, val or test"},
			&cli.BoolFlag{Name: "allow-data-change", Usage: "with --split: go on when the run's data differ from the fingerprint in its meta.json"},
			&cli.StringFlag{Name: "label-column", Usage: "CSV column with true labels, if present", DefaultText: "the training label column"},
			&cli.StringFlag{Name: "idx-labels", Usage: "IDX labels file for an IDX images input"},
			&cli.StringFlag{Name: "delimiter", Usage: `CSV field separator: ",", ";", "\t" (or tab) or "|"`, DefaultText: "the training CSV's"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the JSON lines to this file (atomically) instead of stdout"},
			&cli.BoolFlag{Name: "uncalibrated", Usage: "probabilities of the raw logits: skip the checkpoint's calibration temperature"},
			&cli.IntFlag{Name: "mc-dropout", Usage: "K >= 2 stochastic passes with dropout on: adds mc_probabilities, entropy and mutual_information", DefaultText: "off"},
			&cli.StringFlag{Name: "rank", Usage: "output the examples most worth labelling first: least-confident, margin, entropy or bald (needs --mc-dropout)"},
			&cli.IntFlag{Name: "top", Usage: "with --rank: only the N most valuable examples", DefaultText: "all"},
			&cli.Uint64Flag{Name: "mc-seed", Value: 1, Usage: "seed of the MC dropout masks"},
			&cli.StringFlag{Name: "export", Usage: "write the model to --output instead of scoring: onnx (the evaluation graph, with the normalization and softmax(logits / T)) or safetensors (its tensors)"},
			&cli.StringFlag{Name: "serve", Usage: "answer Open Inference Protocol (KServe v2 REST) requests on ADDR (host:port) until SIGTERM or SIGINT, which drain; SIGHUP reloads the model"},
			&cli.StringFlag{Name: "name", Usage: "the model's name: with --serve --run in URLs (/v2/models/NAME), with --export-to in the repository; [A-Za-z0-9][A-Za-z0-9._-]*, at most 100 characters", DefaultText: "the run directory's base name"},
			&cli.StringFlag{Name: "model-repository", Usage: "with --serve: serve every version of every model in the repository DIR (DIR/NAME/VERSION/, as --export-to fills it), each checked against its model.json's sha256, instead of one run"},
			&cli.Int64Flag{Name: "max-body", Value: serve.DefaultMaxBody, Usage: "with --serve: the largest request body, in bytes (413 beyond)"},
			&cli.DurationFlag{Name: "batch-window", Value: serve.DefaultBatchWindow, Usage: "with --serve: how long a model waits for more requests to run with the first as one batch (0: each request alone)"},
			&cli.IntFlag{Name: "max-batch", Value: serve.DefaultMaxBatch, Usage: "with --serve: the most examples run through the model at once"},
			&cli.IntFlag{Name: "queue", Value: serve.DefaultQueue, Usage: "with --serve: the requests that may wait for a model (503 beyond)"},
			&cli.StringFlag{Name: "log-inputs", Usage: "with --serve: keep what was served (raw inputs, predicted class, confidence, time, version) in rotating files under DIR/NAME/VERSION/ that eval --data reads back"},
			&cli.Float64Flag{Name: "log-sample", Value: 1, Usage: "with --log-inputs: the fraction of examples kept, in (0, 1]"},
			&cli.StringFlag{Name: "labels", Hidden: true},
			&cli.Uint64Flag{Name: "seed", Hidden: true},
		},
		Before: func(c *cli.Context) error { return cliutil.ApplyRenames(c, renames) },
		Action: func(c *cli.Context) error {
			return cliutil.FlagErrors(predictAction(c, c.App.Reader, c.App.Writer), map[string]string{"split": "split", "rank": "rank", "mc_dropout": "mc-dropout", "allow_data_change": "allow-data-change", "delimiter": "delimiter", "log-inputs": "log-inputs", "log-sample": "log-sample"}, c.IsSet)
		},
	}
	cmd.Flags = append(cmd.Flags, exportToFlags()...)
	cmd.Flags = append(cmd.Flags, explainFlags()...)
	cmd.CustomHelpTemplate = cliutil.HelpTemplate(cmd.Flags, nil,
		"--run DIR --split test|val|train     score a split of the run's own data",
		"--run DIR FILE...                    one CSV, one IDX images file (*idx3-ubyte[.gz]), or PNG/JPEG images",
		"--run DIR - < rows.csv               a CSV on standard input",
		"--run DIR --export onnx -o FILE      write the model as ONNX (or safetensors) for other tools",
		exportToUsage,
		"--serve ADDR --run DIR [--name N]    answer Open Inference Protocol (KServe v2 REST) requests on ADDR",
		"--serve ADDR --model-repository REPO serve every version of every model in a repository")
	return cmd
}

func predictAction(c *cli.Context, stdin io.Reader, stdout io.Writer) error {
	if err := cliutil.NoStrayFlags(c); err != nil {
		return err
	}
	if c.IsSet("serve") {
		return serveAction(c)
	}
	if err := servingFlagsAlone(c); err != nil {
		return err
	}
	if c.String("run") == "" {
		return cliutil.Usagef(c, "--run DIR is required: the run directory written by train")
	}
	if c.IsSet("export-to") || c.IsSet("name") {
		return exportToAction(c)
	}
	if c.IsSet("export") {
		return exportAction(c)
	}
	mcPasses, method := c.Int("mc-dropout"), c.String("rank")
	switch {
	case c.IsSet("mc-dropout") && mcPasses < 2:
		return cliutil.Usagef(c, "--mc-dropout must be at least 2 passes, got %d", mcPasses)
	case c.IsSet("rank") && !slices.Contains(calibration.Methods(), method):
		return cliutil.Usagef(c, "--rank must be least-confident, margin, entropy or bald, got %q", method)
	case method == calibration.BALD && mcPasses == 0:
		return cliutil.Usagef(c, "--rank bald needs --mc-dropout K (the mutual information of K stochastic passes)")
	case c.IsSet("top") && !c.IsSet("rank"):
		return cliutil.Usagef(c, "--top needs --rank")
	case c.IsSet("top") && c.Int("top") < 1:
		return cliutil.Usagef(c, "--top must be at least 1, got %d", c.Int("top"))
	case c.IsSet("allow-data-change") && !c.IsSet("split"):
		return cliutil.Usagef(c, "--allow-data-change needs --split: only a split of the run's own data has a fingerprint to check")
	}
	if err := explainUsage(c); err != nil {
		return err
	}
	if out := c.String("output"); out != "" {
		// Checked before any work: the lines go to a file.
		if st, err := os.Stat(out); err == nil && st.IsDir() {
			return fmt.Errorf("--output %s is a directory: give a file to write the JSON lines to, such as %s", out, filepath.Join(out, "predictions.jsonl"))
		}
	}
	p, dir, err := inference.LoadRun(c.String("run"), c.String("checkpoint"))
	if err != nil {
		return err
	}
	if !c.IsSet("checkpoint") {
		if w := unfinished(dir); w != "" {
			fmt.Fprintln(c.App.ErrWriter, "warning: "+w)
		}
	}
	if c.Bool("uncalibrated") {
		p.Temperature = 1
	}
	p.Delimiter = c.String("delimiter")
	var in inference.Input
	switch {
	case c.IsSet("split") && c.NArg() > 0:
		return cliutil.Usagef(c, "give either --split or input files, not both")
	case c.IsSet("split"):
		in, err = inference.ReadSplit(dir, c.String("split"), setup.Env{DataDir: data.DataDirFromEnv(), AllowDataChange: c.Bool("allow-data-change")})
		for _, w := range in.Warnings {
			fmt.Fprintf(c.App.ErrWriter, "warning: %s\n", w)
		}
	default:
		labelColumn := c.String("label-column")
		if !c.IsSet("label-column") {
			labelColumn = p.Checkpoint.Input.LabelColumn
		}
		if c.Args().Len() == 1 && c.Args().First() == "-" {
			in, err = p.ReadCSVFrom(stdin, "standard input", labelColumn)
			break
		}
		in, err = p.ReadFiles(c.Args().Slice(), labelColumn, c.String("idx-labels"))
	}
	if err != nil {
		return err
	}
	preds, err := p.Predict(in)
	if err != nil {
		return err
	}
	if mcPasses > 0 {
		if err := p.AddMCDropout(preds, in, mcPasses, c.Uint64("mc-seed")); err != nil {
			return err
		}
	}
	if method != "" {
		if preds, err = inference.Rank(preds, len(p.Checkpoint.Classes), method, c.Int("top")); err != nil {
			return err
		}
	}
	if c.Bool("explain") {
		lines, err := explainPredictions(c, p, dir, in, preds)
		if err != nil {
			return err
		}
		return emit(c, stdout, lines)
	}
	return emit(c, stdout, preds)
}

// emit writes the JSON lines to --output (atomically) or stdout.
func emit[T any](c *cli.Context, stdout io.Writer, lines []T) error {
	if out := c.String("output"); out != "" {
		var buf bufferWriter
		if err := writeLines(&buf, lines); err != nil {
			return err
		}
		return atomicfile.Write(out, buf.b)
	}
	w := bufio.NewWriter(stdout)
	if err := writeLines(w, lines); err != nil {
		return err
	}
	return w.Flush()
}

// scoringFlags are predict's flags about inputs and their scores, which
// --export, scoring nothing, refuses rather than ignores.
var scoringFlags = []string{"split", "allow-data-change", "label-column", "idx-labels", "delimiter", "uncalibrated", "mc-dropout", "rank", "top", "mc-seed", "explain", "explain-top", "explain-dir"}

// exportAction writes the run's best.ckpt (or --checkpoint) to --output in
// the --export format. The checkpoint is read, not built into a model:
// the export needs its tensors only, and checks them against its spec.
func exportAction(c *cli.Context) error {
	format, out := c.String("export"), c.String("output")
	switch {
	case format != "onnx" && format != "safetensors":
		return cliutil.Usagef(c, "--export must be onnx or safetensors, got %q", format)
	case out == "":
		return cliutil.Usagef(c, "--export needs --output FILE, the file to write the model to")
	case c.NArg() > 0:
		return cliutil.Usagef(c, "--export writes the model and reads no inputs: drop %q", c.Args().First())
	}
	for _, f := range scoringFlags {
		if c.IsSet(f) {
			return cliutil.Usagef(c, "--%s is about scoring inputs, which --export does not do: drop it", f)
		}
	}
	dir, err := rundir.Open(c.String("run"))
	if err != nil {
		return err
	}
	path := c.String("checkpoint")
	if path == "" {
		path = dir.Join(rundir.BestCheckpoint)
		if w := unfinished(dir); w != "" {
			fmt.Fprintln(c.App.ErrWriter, "warning: "+w)
		}
	}
	ckpt, err := model.LoadCheckpoint(path)
	if err != nil {
		return err
	}
	if format == "onnx" {
		if err := export.WriteONNX(out, ckpt); err != nil {
			return fmt.Errorf("exporting %s: %w", path, err)
		}
		return nil
	}
	if err := export.WriteSafetensors(out, ckpt); err != nil {
		return fmt.Errorf("exporting %s: %w", path, err)
	}
	return nil
}

// unfinished says, for a run whose end was never written (its summary.json
// is missing or says interrupted: killed or interrupted during its
// epochs or its end), that its best.ckpt is the best epoch so far and
// may lack the calibration temperature, so that predict does not serve it
// without a word; "" for a finished run.
func unfinished(dir *rundir.Dir) string {
	var s rundir.Summary
	err := dir.ReadJSON(rundir.SummaryFile, &s)
	why := ""
	switch {
	case errors.Is(err, fs.ErrNotExist):
		why = "has no " + rundir.SummaryFile
	case err != nil:
		why = "has an unreadable " + rundir.SummaryFile
	case s.StopReason == train.StopInterrupted:
		why = "was interrupted"
	default:
		return ""
	}
	return fmt.Sprintf("the run %s %s: its training or the end of it (test split, calibration) did not finish, so %s is the best epoch so far and may lack its calibration temperature; train --resume %s finishes it",
		dir.Path, why, rundir.BestCheckpoint, dir.Path)
}

func writeLines[T any](w io.Writer, preds []T) error {
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
