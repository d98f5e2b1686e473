package experiment

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"strconv"

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
	restoreSeconds(dir, rs.History)
	var meta rundir.Meta
	if err := dir.ReadJSON(rundir.MetaFile, &meta); err != nil {
		return nil, err
	}
	meta.Resumed = append(meta.Resumed, rundir.Resumption{At: start, Command: opt.Args})
	rd := &runDir{Dir: dir, p: p, meta: meta, args: meta.Command}
	if err := rd.writeIdentity(); err != nil {
		return nil, err
	}
	return runLoop(ctx, p, m, o, rd, start, opt, &rs)
}

// restoreSeconds copies the wall times of finished epochs from metrics.csv
// (checkpoints leave them out so that their bytes are reproducible).
func restoreSeconds(dir *rundir.Dir, history []train.EpochMetrics) {
	f, err := os.Open(dir.Join(rundir.MetricsFile))
	if err != nil {
		return
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return
	}
	for _, r := range rows[1:] {
		if len(r) < 8 {
			continue
		}
		epoch, err1 := strconv.Atoi(r[0])
		secs, err2 := strconv.ParseFloat(r[7], 64)
		if err1 == nil && err2 == nil && epoch >= 1 && epoch <= len(history) {
			history[epoch-1].Seconds = secs
		}
	}
}
