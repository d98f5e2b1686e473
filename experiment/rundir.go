package experiment

import (
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/kernels"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/setup"
	"github.com/practica-ml/practica/train"
)

// Options are the process-level inputs of every mode.
type Options struct {
	Env setup.Env
	// Args is the command line, recorded in command.txt and meta.json.
	Args []string
	// Progress receives progress lines (stderr); nil for none.
	Progress io.Writer
	Log      *slog.Logger
	// Now is the run's start time (time.Now when zero).
	Now time.Time
	// MaxMemory, in bytes, refuses an experiment whose training is
	// estimated to need more (model.EstimateMemory) before its model is
	// built; 0 for no limit. It describes the machine, not the experiment,
	// so it is an option of the process and not a key of the config file:
	// the same config.yaml must run on a machine with more memory.
	MaxMemory int64
	// MaxMemoryFrom says where MaxMemory came from, for the refusal
	// (train: "--max-memory").
	MaxMemoryFrom string
}

func (o Options) logger() *slog.Logger {
	if o.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Log
}

func (o Options) start() time.Time {
	if o.Now.IsZero() {
		return time.Now()
	}
	return o.Now
}

// newRun is how every mode starts: it prepares the experiment (data,
// splits, normalization, resolved model spec), builds its model and
// optimizer, and creates the run directory named prefix+<model>-<data>
// (or output.name). Bad input is reported before anything is created.
func newRun(cfg config.Experiment, opt Options, prefix string) (*setup.Prepared, *model.Model, train.Optimizer, *runDir, error) {
	start := opt.start()
	p, m, o, err := newModel(cfg, opt)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	dir, err := createRunDir(p, prefix+p.RunName(), opt, start, nil)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return p, m, o, dir, nil
}

// newModel prepares the experiment and builds its model and optimizer,
// refusing one too large for the machine's memory. A fine-tuned run's
// model starts from the checkpoint of training.init_from (see
// setup.Prepared.LoadInitFrom), which it logs.
func newModel(cfg config.Experiment, opt Options) (*setup.Prepared, *model.Model, train.Optimizer, error) {
	p, err := setup.Prepare(cfg, opt.Env)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := checkMemory(p, opt); err != nil {
		return nil, nil, nil, err
	}
	if err := p.LoadInitFrom(); err != nil {
		return nil, nil, nil, err
	}
	m, o, err := p.NewModel(model.Options{})
	if err != nil {
		return nil, nil, nil, err
	}
	logInitFrom(opt.logger(), p)
	logPartialLabels(opt.logger(), p)
	return p, m, o, nil
}

// logPartialLabels reports a partial labels file: training sees only the
// examples it labels; the others wait for a labeling session's next round.
func logPartialLabels(log *slog.Logger, p *setup.Prepared) {
	if d := p.Data; d.Unlabeled > 0 {
		log.Info("partial labels: training on the labeled examples only", "labels", d.Labels, "labeled", d.Labeled, "unlabeled", d.Unlabeled)
	}
}

// logInitFrom reports what a fine-tuned run loaded from its init-from
// checkpoint and what it did not, parameter by parameter (an output layer
// of other classes is never loaded: setup says so in its reason).
func logInitFrom(log *slog.Logger, p *setup.Prepared) {
	in := p.InitFrom
	if in == nil {
		return
	}
	log.Info("init-from: loaded", "from", in.Source(), "sha256", in.SHA256, "parameters", len(in.Loaded), "names", in.Loaded)
	for _, s := range in.Skipped {
		switch {
		case s.Reason != "":
			log.Info("init-from: not loaded", "parameter", s.Name, "shape", s.Shape, "why", s.Reason)
		case s.Absent():
			log.Info("init-from: not loaded", "parameter", s.Name, "shape", s.Shape, "why", "absent in "+in.Source())
		default:
			log.Info("init-from: not loaded", "parameter", s.Name, "shape", s.Shape, "checkpoint_shape", s.CheckpointShape)
		}
	}
}

// runDir is a run directory being written: where it is, the experiment it
// records and its meta.json.
type runDir struct {
	*rundir.Dir
	p     *setup.Prepared
	meta  rundir.Meta
	args  []string
	start time.Time
}

// createRunDir creates the run directory of a prepared experiment, named
// name (the config's output.name when set), with what identifies the run:
// config.yaml (resolved), command.txt and meta.json (whose end time finish
// fills in), then what also writes (nil: nothing more). The directory
// gets its name only once they are written (rundir.Fill): one without its
// config.yaml would be no run, which --resume could not start over.
func createRunDir(p *setup.Prepared, name string, opt Options, start time.Time, also func(*runDir) error) (*runDir, error) {
	if p.Config.Output.Name != "" {
		name = p.Config.Output.Name
	}
	r := &runDir{p: p, args: opt.Args, start: start, meta: newMeta(p, opt.Args, start)}
	dir, err := rundir.Fill(p.Config.Output.Root, name, start, func(d *rundir.Dir) error {
		r.Dir = d
		if err := r.writeIdentity(); err != nil || also == nil {
			return err
		}
		return also(r)
	})
	if err != nil {
		return nil, err
	}
	r.Dir = dir
	opt.logger().Info("run directory", "path", dir.Path)
	return r, nil
}

// writeIdentity (re)writes config.yaml, command.txt and meta.json: again
// when a stage has decided part of the config (the learning rate of lr
// auto) or a run is resumed.
func (r *runDir) writeIdentity() error {
	cfgYAML, err := r.p.Config.Marshal()
	if err != nil {
		return err
	}
	if err := r.WriteFile(rundir.ConfigFile, cfgYAML); err != nil {
		return err
	}
	if err := r.WriteFile(rundir.CommandFile, []byte(shellJoin(rerunnable(r.args))+"\n")); err != nil {
		return err
	}
	return r.WriteJSON(rundir.MetaFile, r.meta)
}

// newMeta is the meta.json of a run of p starting now: the build and the
// machine, the command and the data, as given and fingerprinted.
func newMeta(p *setup.Prepared, args []string, now time.Time) rundir.Meta {
	m := rundir.NewMeta(p.Config.Training.Seed, rerunnable(args), now, kernels.InUse())
	d := p.Data
	m.Data = &d
	m.InitFrom, m.Freeze = fineTuneMeta(p)
	return m
}

// fineTuneMeta is what meta.json records of a fine-tuned run: the
// checkpoint it started from and what it loaded, and what it froze; nil
// for what the run does not do.
func fineTuneMeta(p *setup.Prepared) (*rundir.InitFrom, *rundir.Freeze) {
	var init *rundir.InitFrom
	if in := p.InitFrom; in != nil {
		init = &rundir.InitFrom{Run: in.Run, Checkpoint: in.Path, SHA256: in.SHA256, Loaded: slices.Clone(in.Loaded), Skipped: []rundir.SkippedParam{}}
		for _, s := range in.Skipped {
			init.Skipped = append(init.Skipped, rundir.SkippedParam{Name: s.Name, Shape: s.Shape, CheckpointShape: s.CheckpointShape, Reason: s.Reason})
		}
	}
	var freeze *rundir.Freeze
	if t := p.Config.Training; len(t.Freeze) > 0 {
		freeze = &rundir.Freeze{Prefixes: slices.Clone(t.Freeze), Parameters: slices.Clone(p.Frozen), UnfreezeAt: t.UnfreezeAt}
	}
	return init, freeze
}

// finish records the end time in meta.json.
func (r *runDir) finish(end time.Time) error {
	r.meta.End = end
	return r.WriteJSON(rundir.MetaFile, r.meta)
}

// rerunnable is the command line args with a program that go run built
// in a temporary directory ($TMPDIR/go-build.../exe/practica, removed when
// go run exits) replaced by its base name, practica: the recorded command
// is for a user to run again, and the temporary path no longer exists by
// the time anyone reads it.
func rerunnable(args []string) []string {
	if len(args) == 0 || !isGoRunBinary(args[0]) {
		return args
	}
	out := slices.Clone(args)
	out[0] = filepath.Base(args[0])
	return out
}

// isGoRunBinary reports whether prog is a program go run built: go run
// links it as <work>/b001/exe/<name> under a go-build work directory.
func isGoRunBinary(prog string) bool {
	dir := filepath.Dir(prog)
	return filepath.Base(dir) == "exe" && strings.Contains(filepath.ToSlash(dir), "/go-build")
}

// shellJoin quotes args so that the line can be pasted into a shell.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a != "" && !strings.ContainsAny(a, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
			q[i] = a
		} else {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}
