package predictcmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/inference"
	"github.com/practica-ml/practica/inputlog"
	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/modelrepo"
	"github.com/practica-ml/practica/serve"
)

// servingFlags are predict's flags that only --serve reads (--name is
// left out: --export-to names a model too).
var servingFlags = []string{"model-repository", "max-body", "batch-window", "max-batch", "queue", "log-inputs", "log-sample"}

// servingFlagsAlone refuses serving flags without --serve, rather than
// ignoring them.
func servingFlagsAlone(c *cli.Context) error {
	for _, f := range servingFlags {
		if c.IsSet(f) {
			return cliutil.Usagef(c, "--%s needs --serve ADDR", f)
		}
	}
	return nil
}

// serveAction answers Open Inference Protocol requests on --serve's
// address for the run's model until SIGTERM or SIGINT (then it drains
// and returns nil: exit 0); SIGHUP reloads the run.
func serveAction(c *cli.Context) error {
	addr, run := c.String("serve"), c.String("run")
	switch {
	case c.NArg() > 0:
		return cliutil.Usagef(c, "--serve answers requests and reads no input files: drop %q", c.Args().First())
	case c.IsSet("export"):
		return cliutil.Usagef(c, "give either --serve or --export, not both")
	case c.IsSet("output"):
		return cliutil.Usagef(c, "--serve answers over HTTP and writes no file: drop --output")
	case addr == "":
		return cliutil.Usagef(c, "--serve needs an address, such as 127.0.0.1:8080")
	case c.Int64("max-body") < 1:
		return cliutil.Usagef(c, "--max-body must be at least 1 byte, got %d", c.Int64("max-body"))
	case c.Duration("batch-window") < 0:
		return cliutil.Usagef(c, "--batch-window must be 0 (no batching) or more, got %v", c.Duration("batch-window"))
	case c.Int("max-batch") < 1:
		return cliutil.Usagef(c, "--max-batch must be at least 1, got %d", c.Int("max-batch"))
	case c.Int("queue") < 1:
		return cliutil.Usagef(c, "--queue must be at least 1, got %d", c.Int("queue"))
	}
	for _, f := range scoringFlags {
		if c.IsSet(f) {
			return cliutil.Usagef(c, "--%s is about scoring input files, which --serve does not do: drop it", f)
		}
	}
	repo := c.String("model-repository")
	var load serve.Loader
	switch {
	case c.IsSet("model-repository") && run != "":
		return cliutil.Usagef(c, "give --serve either --run DIR or --model-repository DIR, not both")
	case c.IsSet("model-repository") && c.IsSet("name"):
		return cliutil.Usagef(c, "--name names the model of --run; a repository's models are named by their directories")
	case c.IsSet("model-repository") && repo == "":
		return cliutil.Usagef(c, "--model-repository needs a directory")
	case c.IsSet("model-repository"):
		load = repositoryLoader(repo)
	case run == "":
		return cliutil.Usagef(c, "--serve needs --run DIR (the run directory written by train) or --model-repository DIR")
	}
	if c.IsSet("log-sample") && !c.IsSet("log-inputs") {
		return cliutil.Usagef(c, "--log-sample needs --log-inputs DIR")
	}
	if load == nil {
		name := c.String("name")
		if !c.IsSet("name") {
			abs, err := filepath.Abs(run)
			if err != nil {
				return err
			}
			name = filepath.Base(abs)
		}
		if err := modelrepo.CheckName(name); err != nil {
			if c.IsSet("name") {
				return cliutil.Usagef(c, "--name: %v", err)
			}
			return cliutil.Usagef(c, "the run directory's base name cannot name the model in URLs (%v): give --name", err)
		}
		load = runLoader(run, c.String("checkpoint"), name, c.App.ErrWriter)
	}
	if beyondLoopback(addr) {
		fmt.Fprintf(c.App.ErrWriter, "warning: --serve %s listens beyond this machine, and the server has no authentication: anyone who reaches the port can query the model; use 127.0.0.1:PORT, or put it behind a proxy that authenticates\n", addr)
	}
	// Listening first: a port in use is said before a model is loaded.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--serve %s: %w", addr, err)
	}
	log := cliutil.Logger(c.App.ErrWriter, false, false)
	opt := serve.Options{
		MaxBody: c.Int64("max-body"), BatchWindow: c.Duration("batch-window"), MaxBatch: c.Int("max-batch"), Queue: c.Int("queue"),
		Logger: log,
	}
	var inputs *inputlog.Log
	if c.IsSet("log-inputs") {
		if inputs, err = inputlog.Open(c.String("log-inputs"), inputlog.Options{Sample: c.Float64("log-sample")}); err != nil {
			ln.Close()
			return err
		}
		opt.InputLogger = inputs
	}
	srv, err := serve.New(load, opt)
	if err != nil {
		ln.Close()
		if inputs != nil {
			inputs.Close()
		}
		return err
	}
	ctx, stop := cliutil.SignalContext(c.Context)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-hup:
				log.Info("SIGHUP: reloading")
				srv.Reload() // it logs what failed, and keeps serving
			case <-ctx.Done():
				return
			}
		}
	}()
	err = srv.Serve(ctx, ln)
	if inputs != nil {
		// After the drain: every answered request has been logged.
		err = errors.Join(err, inputs.Close())
	}
	return err
}

// runLoader loads the run's checkpoint (best.ckpt unless checkpoint is
// set) as version 1 of the model name, with the run's model.json as its
// card when the run has one; SIGHUP reads them again.
func runLoader(run, checkpoint, name string, warnings io.Writer) serve.Loader {
	return func() ([]*serve.Model, error) {
		p, dir, err := inference.LoadRun(run, checkpoint)
		if err != nil {
			return nil, err
		}
		if checkpoint == "" {
			if w := unfinished(dir); w != "" {
				fmt.Fprintln(warnings, "warning: "+w)
			}
		}
		card, err := readCard(dir.Join(modelrepo.CardFile))
		if err != nil {
			return nil, err
		}
		return []*serve.Model{{Name: name, Version: 1, Predictor: p, Card: card}}, nil
	}
}

// repositoryLoader loads every version of every model in the model
// repository root (modelrepo.Scan). A version whose checkpoint does not
// match its card's sha256, or does not load, is left out and named in
// the error, and the others are served: the server logs the error, and
// refuses to start (or keeps its previous models on SIGHUP) only when
// nothing loads.
func repositoryLoader(root string) serve.Loader {
	return func() ([]*serve.Model, error) {
		versions, err := modelrepo.Scan(root)
		errs := []error{err}
		var models []*serve.Model
		for _, v := range versions {
			b, err := v.ReadCheckpoint()
			if err != nil {
				errs = append(errs, err)
				continue
			}
			p, err := inference.LoadBytes(v.CheckpointPath(), b, inference.LoadOptions{})
			if err != nil {
				errs = append(errs, err)
				continue
			}
			card, err := json.Marshal(v.Card)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", v.Dir, err))
				continue
			}
			models = append(models, &serve.Model{Name: v.Name, Version: v.Version, Predictor: p, Card: card})
		}
		return models, errors.Join(errs...)
	}
}

// readCard reads a model card, nil when there is none.
func readCard(path string) (json.RawMessage, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var card map[string]any
	if err := json.Unmarshal(b, &card); err != nil {
		return nil, fmt.Errorf("%s: the model card must be a JSON object: %w", path, err)
	}
	if card == nil {
		return nil, fmt.Errorf("%s: the model card must be a JSON object, not null", path)
	}
	return b, nil
}

// beyondLoopback tells whether addr listens on more than the loopback
// interface: an empty host (every interface), an address that is not
// loopback, or a host name other than localhost.
func beyondLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "localhost" {
		return false // a bad address is net.Listen's to report
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}
