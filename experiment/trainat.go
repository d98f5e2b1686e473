package experiment

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/rundir"
)

// TrainAt is Train into the run directory path exactly, not a new
// <time>-<name> under output.root: a search's trials live at paths fixed
// by their index, so that every shard finds them. path must not exist; it
// appears whole, with config.yaml, command.txt and meta.json, by renaming
// a hidden temporary directory beside it (atomicfile.IsTemp), so that a
// process killed on the way leaves no half run there.
func TrainAt(ctx context.Context, cfg config.Experiment, path string, opt Options) (*rundir.Summary, error) {
	start := opt.start()
	p, m, o, err := newModel(cfg, opt)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(abs); err == nil {
		return nil, fmt.Errorf("run directory %s already exists", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, fmt.Errorf("creating the run directory: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".tmp")
	if err != nil {
		return nil, fmt.Errorf("creating the run directory: %w", err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	dir := &runDir{Dir: &rundir.Dir{Path: tmp}, p: p, args: opt.Args, start: start, meta: newMeta(p, opt.Args, start)}
	if err := dir.writeIdentity(); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	// os.Rename fails when path exists as a directory: a second process
	// given the same path gets an error, never a shared run.
	if err := os.Rename(tmp, abs); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("creating the run directory %s: %w", path, err)
	}
	dir.Dir = &rundir.Dir{Path: abs}
	opt.logger().Info("run directory", "path", abs)
	return runLoop(ctx, p, m, o, dir, opt, nil, "")
}
