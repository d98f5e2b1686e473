package experiment

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/practica-ml/practica/internal/setting"
	"github.com/practica-ml/practica/setup"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/train"
)

// Resume continues the run in the directory path from checkpoints/last.ckpt: the same
// config (but for what edit changes, see Resumable), the weights, batch-norm
// statistics, optimizer state and position in the data order, so that the
// metrics it writes are those of a run that was never interrupted.
//
// It also picks up a run killed outright (SIGKILL, a power cut), whose
// files are whole but whose work stopped anywhere: it first removes the
// temporary files of writes the kill cut short; a run killed before its
// first checkpoint starts over in the same directory; a run killed or
// interrupted after its last epoch but before summary.json (while
// testing, calibrating or drawing) gets that end done, without training.
//
// A fine-tuned run (training.init_from) does not load its init-from
// checkpoint again, its weights being in last.ckpt, unless it starts over;
// the parameters of training.freeze are frozen by the epoch as they were
// (released from training.unfreeze_at on), and Adam's per-parameter step
// counts come back with the optimizer's state.
//
// edit, when not nil, may change the settings a run can continue with
// (Resumable: the total of epochs and early stopping), so that a run
// stopped by patience can be continued on purpose; the changes are
// recorded in meta.json's resumptions and config.yaml holds the new
// values. Any other change is an error naming the key.
func Resume(ctx context.Context, path string, edit func(*config.Experiment) error, opt Options) (*rundir.Summary, error) {
	start := opt.start()
	log := opt.logger()
	dir, err := rundir.Open(path)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(dir.Join(rundir.ConfigFile))
	if err != nil {
		return nil, err
	}
	changes, err := editResumed(&cfg, edit)
	if err != nil {
		return nil, err
	}
	p, err := setup.Prepare(cfg, opt.Env)
	if err != nil {
		return nil, setup.ExplainRelative(dir.Path, cfg, err)
	}
	dataChange, err := checkResumedData(dir, p, opt.Env.AllowDataChange)
	if err != nil {
		return nil, err
	}
	if err := checkMemory(p, opt); err != nil {
		return nil, err
	}
	removed, err := dir.RemoveTemps()
	if err != nil {
		return nil, err
	}
	if len(removed) > 0 {
		log.Info("removed the temporary files of writes cut short", "files", removed)
	}
	m, o, err := p.NewModel(model.Options{})
	if err != nil {
		return nil, err
	}
	lastPath := dir.Join(rundir.LastCheckpoint)
	c, err := model.LoadCheckpoint(lastPath)
	if errors.Is(err, fs.ErrNotExist) {
		return startOver(ctx, dir, p, m, o, opt, start, changes, dataChange)
	}
	if err != nil {
		return nil, err
	}
	if err := m.SetTensors(c.Tensors); err != nil {
		return nil, fmt.Errorf("%s: %w", lastPath, err)
	}
	rs, err := train.Restore(c, m, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", lastPath, err)
	}
	if rs.Seed != cfg.Training.Seed {
		return nil, fmt.Errorf("%s was written with seed %d, config.yaml says %d", lastPath, rs.Seed, cfg.Training.Seed)
	}
	// stopped is why the run is over after its finished epochs: it had
	// stopped when its end was cut short, or the settings it resumes
	// with end it there. Then only the end is left to do, and the steps an
	// interrupt left it inside the next epoch are abandoned with that
	// epoch. It is decided before any epoch starts, whatever the run was
	// doing when it stopped.
	stopped := ""
	reason := ""
	if es, ok := earlyStopping(cfg.Training); ok {
		reason = es.Decide(rs.History)
	}
	if reason == "" && len(rs.History) >= cfg.Training.Epochs {
		reason = train.StopMaxEpochs
	}
	switch {
	case reason == "":
	case rs.Position != nil || !ended(dir, len(rs.History)):
		stopped = reason
		rs.Position, rs.Step = nil, rs.History[len(rs.History)-1].Step
		log.Info("the run is over after its finished epochs; finishing its end", "epochs", len(rs.History), "stop_reason", reason)
	case len(rs.History) >= cfg.Training.Epochs:
		return nil, setting.Errorf("training.epochs", "is %d, and the run already has %d of %d epochs: resume with a larger total", cfg.Training.Epochs, len(rs.History), cfg.Training.Epochs)
	default:
		return nil, setting.Errorf("training.early_stopping", "stopped the run after %d epochs (%s) and would stop it again at once: "+
			"to continue it, raise its patience, lower its min_delta or disable it", len(rs.History), reason)
	}
	if err := restoreSeconds(dir, rs.History); err != nil {
		return nil, err
	}
	var meta rundir.Meta
	if err := dir.ReadJSON(rundir.MetaFile, &meta); err != nil {
		return nil, err
	}
	meta.Resumed = append(meta.Resumed, rundir.Resumption{At: start, Command: rerunnable(opt.Args), Changes: changes, DataFingerprint: dataChange})
	rd := &runDir{Dir: dir, p: p, meta: meta, args: meta.Command, start: start}
	if err := rd.writeIdentity(); err != nil {
		return nil, err
	}
	return runLoop(ctx, p, m, o, rd, opt, &rs, stopped)
}

// Epochs is the edit of Resume that raises the total of epochs to n.
func Epochs(n int) func(*config.Experiment) error {
	return func(cfg *config.Experiment) error {
		cfg.Training.Epochs = n
		return nil
	}
}

// Resumable are the config keys a resumed run may change: the total of
// epochs and when early stopping ends it. The rest (the data, the model,
// the optimizer, the schedule) would make the continued run a different
// experiment from the one its first epochs belong to.
var Resumable = []string{"training.epochs", "training.early_stopping.enabled", "training.early_stopping.patience",
	"training.early_stopping.min_delta", "training.early_stopping.baseline", "training.early_stopping.divergence_threshold"}

// editResumed applies edit to a resumed run's cfg and returns what it
// changed, refusing a key outside Resumable.
func editResumed(cfg *config.Experiment, edit func(*config.Experiment) error) ([]rundir.Change, error) {
	if edit == nil {
		return nil, nil
	}
	before := *cfg
	if err := edit(cfg); err != nil {
		return nil, err
	}
	var changes []rundir.Change
	for _, c := range config.Diff(before, *cfg) {
		if !slices.Contains(Resumable, c.Key) {
			return nil, setting.Errorf(c.Key, "cannot change when resuming (from %v to %v): a resumed run keeps its config.yaml but for %s", c.From, c.To, strings.Join(Resumable, ", "))
		}
		changes = append(changes, rundir.Change{Key: c.Key, From: c.From, To: c.To})
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return changes, nil
}

// checkResumedData refuses to resume a run on data other than those its
// meta.json pins, unless allowChange (see setup.CheckData), and returns
// the fingerprint the resumption records: nil when the data are those the
// run recorded. A warning (data that cannot be checked, or differ and are
// allowed) joins p's, which training logs and summary.json keeps.
func checkResumedData(dir *rundir.Dir, p *setup.Prepared, allowChange bool) (*rundir.DataFingerprint, error) {
	var meta rundir.Meta
	err := dir.ReadJSON(rundir.MetaFile, &meta)
	if errors.Is(err, fs.ErrNotExist) {
		// Killed before meta.json was written: startOver writes it
		// afresh, with this data's fingerprint.
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	recorded, now := meta.DataFingerprint(), p.Data.Fingerprint
	warning, err := setup.CheckData(dir.Path, p.Config, recorded, *now, allowChange)
	if err != nil {
		return nil, err
	}
	if warning != "" {
		p.Warnings = append(p.Warnings, warning)
	}
	if recorded != nil && *recorded == *now {
		return nil, nil
	}
	return now, nil
}

// ended reports whether the run wrote summary.json after epochs epochs
// (and was not interrupted there): summary.json is the last file a run
// writes, so its end (test split, calibration, plots) is complete.
func ended(dir *rundir.Dir, epochs int) bool {
	var s rundir.Summary
	return dir.ReadJSON(rundir.SummaryFile, &s) == nil && s.EpochsRun == epochs && s.StopReason != train.StopInterrupted
}

// startOver trains a run that has no last.ckpt from its first epoch, in
// its own directory: it was killed before its first checkpoint, so the
// fresh model and optimizer (seeded as before) are exactly where it
// began. Its metrics.csv may hold that first epoch, written just before
// the kill; more than that means last.ckpt was lost some other way, and
// starting over would discard finished epochs.
func startOver(ctx context.Context, dir *rundir.Dir, p *setup.Prepared, m *model.Model, o train.Optimizer, opt Options, start time.Time, changes []rundir.Change, dataChange *rundir.DataFingerprint) (*rundir.Summary, error) {
	rows, err := readMetrics(dir)
	if err != nil {
		return nil, err
	}
	if len(rows) > 1 {
		return nil, fmt.Errorf("%s is missing, yet %s records finished epochs: cannot resume", dir.Join(rundir.LastCheckpoint), dir.Join(rundir.MetricsFile))
	}
	log := opt.logger()
	log.Info("no epoch was saved before the run stopped; starting it over in its directory", "dir", dir.Path)
	if p.Config.Training.InitFrom != "" {
		// A fine-tuned run starts over from its init-from checkpoint.
		if err := p.LoadInitFrom(); err != nil {
			return nil, err
		}
		if m, o, err = p.NewModel(model.Options{}); err != nil {
			return nil, err
		}
		logInitFrom(log, p)
	}
	var meta rundir.Meta
	err = dir.ReadJSON(rundir.MetaFile, &meta)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Killed between config.yaml and meta.json.
		meta = newMeta(p, opt.Args, start)
	case err != nil:
		return nil, err
	}
	if rec, in := meta.InitFrom, p.InitFrom; rec != nil && in != nil && rec.SHA256 != in.SHA256 {
		return nil, setting.Errorf("training.init_from", "%s is not the checkpoint the run started from (sha256 %s in its %s, now %s): starting it over would make another run; start a new one",
			in.Path, rec.SHA256[:min(12, len(rec.SHA256))], rundir.MetaFile, in.SHA256[:12])
	}
	meta.Resumed = append(meta.Resumed, rundir.Resumption{At: start, Command: rerunnable(opt.Args), Changes: changes, DataFingerprint: dataChange})
	rd := &runDir{Dir: dir, p: p, meta: meta, args: meta.Command, start: start}
	if err := rd.writeIdentity(); err != nil {
		return nil, err
	}
	return runLoop(ctx, p, m, o, rd, opt, nil, "")
}

// restoreSeconds copies the wall times of finished epochs from metrics.csv
// (checkpoints leave them out so that their bytes are reproducible).
func restoreSeconds(dir *rundir.Dir, history []train.EpochMetrics) error {
	rows, err := readMetrics(dir)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.Epoch >= 1 && r.Epoch <= len(history) {
			history[r.Epoch-1].Seconds, history[r.Epoch-1].StepSeconds = r.Seconds, r.StepSeconds
		}
	}
	return nil
}

// readMetrics reads the run's metrics.csv. A run stopped inside its first
// epoch has none yet: no rows.
func readMetrics(dir *rundir.Dir) ([]train.EpochMetrics, error) {
	path := dir.Join(rundir.MetricsFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := train.ReadMetrics(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}
