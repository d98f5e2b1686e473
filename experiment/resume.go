package experiment

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/practica-ml/practica/setup"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/train"
)

// Resume continues the run in the directory path from checkpoints/last.ckpt: the same
// config (with epochs, when > 0, as the new total), the weights, batch-norm
// statistics, optimizer state and position in the data order, so that the
// metrics it writes are those of a run that was never interrupted.
func Resume(ctx context.Context, path string, epochs int, opt Options) (*rundir.Summary, error) {
	start := opt.start()
	dir, err := rundir.Open(path)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(dir.Join(rundir.ConfigFile))
	if err != nil {
		return nil, err
	}
	if epochs > 0 {
		cfg.Training.Epochs = epochs
	}
	p, err := setup.Prepare(cfg, opt.Env)
	if err != nil {
		return nil, err
	}
	if err := checkMemory(p, opt); err != nil {
		return nil, err
	}
	c, err := model.LoadCheckpoint(dir.Join(rundir.LastCheckpoint))
	if err != nil {
		return nil, err
	}
	m, o, err := p.NewModel(model.Options{})
	if err != nil {
		return nil, err
	}
	if err := m.SetTensors(c.Tensors); err != nil {
		return nil, fmt.Errorf("%s: %w", dir.Join(rundir.LastCheckpoint), err)
	}
	rs, err := train.Restore(c, m, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir.Join(rundir.LastCheckpoint), err)
	}
	if rs.Seed != cfg.Training.Seed {
		return nil, fmt.Errorf("%s was written with seed %d, config.yaml says %d", dir.Join(rundir.LastCheckpoint), rs.Seed, cfg.Training.Seed)
	}
	if len(rs.History) >= cfg.Training.Epochs && rs.Position == nil {
		return nil, fmt.Errorf("the run already has %d of %d epochs (training.epochs): resume with a larger total", len(rs.History), cfg.Training.Epochs)
	}
	if err := restoreSeconds(dir, rs.History); err != nil {
		return nil, err
	}
	var meta rundir.Meta
	if err := dir.ReadJSON(rundir.MetaFile, &meta); err != nil {
		return nil, err
	}
	meta.Resumed = append(meta.Resumed, rundir.Resumption{At: start, Command: opt.Args})
	rd := &runDir{Dir: dir, p: p, meta: meta, args: meta.Command, start: start}
	if err := rd.writeIdentity(); err != nil {
		return nil, err
	}
	return runLoop(ctx, p, m, o, rd, opt, &rs)
}

// restoreSeconds copies the wall times of finished epochs from metrics.csv
// (checkpoints leave them out so that their bytes are reproducible). A run
// interrupted inside its first epoch has no metrics.csv yet.
func restoreSeconds(dir *rundir.Dir, history []train.EpochMetrics) error {
	path := dir.Join(rundir.MetricsFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := train.ReadMetrics(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, r := range rows {
		if r.Epoch >= 1 && r.Epoch <= len(history) {
			history[r.Epoch-1].Seconds = r.Seconds
		}
	}
	return nil
}
