package setup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/internal/setting"
	"github.com/practica-ml/practica/rundir"
)

// absData returns the data settings with data.source (when it is a path,
// not a name such as digits) and data.labels made absolute: a run records
// them so in config.yaml, and opens its data from any working directory.
func absData(d config.Data) (config.Data, error) {
	var err error
	if d.Source, err = data.AbsSource(d.Source); err != nil {
		return d, setting.Errorf("data.source", "%v", err)
	}
	if d.Labels != "" {
		// A labels file is always a path, even one named like a source.
		if d.Labels, err = filepath.Abs(d.Labels); err != nil {
			return d, setting.Errorf("data.labels", "%v", err)
		}
	}
	return d, nil
}

// Fingerprint hashes the data of cfg, opened and split as sp: the bytes of
// its source (data.SourceSHA256), of its labels file (data.FileSHA256) and
// which examples went to which split (data.Splits.IndexSHA256). Reading
// the source's bytes again costs about 0.1 s for Fashion-MNIST's 30 MB.
func Fingerprint(cfg config.Experiment, env Env, sp *data.Splits) (rundir.DataFingerprint, error) {
	src, err := data.SourceSHA256(cfg.Data.Source, data.OpenOptions{DataDir: env.DataDir, Seed: cfg.Training.Seed})
	if err != nil {
		return rundir.DataFingerprint{}, err
	}
	f := rundir.DataFingerprint{Source: src, Split: sp.IndexSHA256()}
	if cfg.Data.Labels != "" {
		if f.Labels, err = data.FileSHA256(cfg.Data.Labels); err != nil {
			return rundir.DataFingerprint{}, setting.Errorf("data.labels", "%v", err)
		}
	}
	return f, nil
}

// ExplainRelative adds to err, an error opening the data of the run in
// directory run (cfg is its config.yaml), why a path in it may not be
// found: a run written before Practica made paths absolute holds them as
// typed, relative to a working directory it did not record.
func ExplainRelative(run string, cfg config.Experiment, err error) error {
	var se *setting.Error
	if err == nil || errors.As(err, &se) {
		return err
	}
	for _, p := range []struct{ key, path string }{{"data.source", cfg.Data.Source}, {"data.labels", cfg.Data.Labels}} {
		if p.path == "" || filepath.IsAbs(p.path) || (p.key == "data.source" && !data.IsPath(p.path)) {
			continue
		}
		if _, serr := os.Stat(p.path); serr == nil {
			continue
		}
		return fmt.Errorf("%w (%s in %s is %q, relative to the directory the run was trained in, which runs of earlier versions did not record: work from there, or make it absolute)",
			err, p.key, filepath.Join(run, rundir.ConfigFile), p.path)
	}
	return err
}

// OpenRunSplits opens the data of a run (cfg is its config.yaml, meta its
// meta.json, nil when it has none) split as training split it, and checks
// them against the fingerprint the run recorded (see CheckData). It
// returns what the user should be warned of: data that cannot be checked,
// or data that differ and env.AllowDataChange lets through.
func OpenRunSplits(run string, cfg config.Experiment, meta *rundir.Meta, env Env) (*data.Splits, []string, error) {
	sp, err := OpenSplits(cfg, env)
	if err != nil {
		return nil, nil, ExplainRelative(run, cfg, err)
	}
	now, err := Fingerprint(cfg, env, sp)
	if err != nil {
		return nil, nil, err
	}
	warning, err := CheckData(run, cfg, meta.DataFingerprint(), now, env.AllowDataChange)
	if err != nil {
		return nil, nil, err
	}
	var warnings []string
	if warning != "" {
		warnings = append(warnings, warning)
	}
	return sp, warnings, nil
}

// CheckData compares the fingerprint of a run's data opened now with the
// one the run recorded, so that eval, predict --split and train --resume
// never score or train on other examples than the run's while calling them
// its splits: different data are an error naming both hashes and what
// changed (the source's bytes, the labels file, or only the split), unless
// allowChange, when they are a warning. A run that recorded no fingerprint
// (written before Practica did) is a warning that its data cannot be
// checked.
func CheckData(run string, cfg config.Experiment, recorded *rundir.DataFingerprint, now rundir.DataFingerprint, allowChange bool) (warning string, err error) {
	if recorded == nil {
		return fmt.Sprintf("%s records no data fingerprint in %s (it was written before Practica recorded one): whether %s still holds the data it was trained on cannot be checked",
			run, rundir.MetaFile, cfg.Data.Source), nil
	}
	var what string
	switch {
	case recorded.Source != now.Source:
		what = fmt.Sprintf("the bytes of %s are not those %s was trained on (sha256 %s in its %s, now %s), so its splits would hold other examples",
			cfg.Data.Source, run, short(recorded.Source), rundir.MetaFile, short(now.Source))
	case recorded.Labels != now.Labels:
		what = fmt.Sprintf("the labels file %s is not the one %s was trained on (sha256 %s in its %s, now %s)",
			cfg.Data.Labels, run, short(recorded.Labels), rundir.MetaFile, short(now.Labels))
	case recorded.Split != now.Split:
		what = fmt.Sprintf("%s has the bytes %s was trained on (sha256 %s), but they split otherwise (split sha256 %s in its %s, now %s): this version of Practica reads or splits them differently",
			cfg.Data.Source, run, short(now.Source), short(recorded.Split), rundir.MetaFile, short(now.Split))
	default:
		return "", nil
	}
	if allowChange {
		return "the data differ from the run's, and are used as asked: " + what, nil
	}
	return "", setting.Errorf("allow_data_change", "is needed to go on: %s", what)
}

// short is the first 12 hex digits of a hash, as git shortens commits.
func short(h string) string {
	if h == "" {
		return "(none)"
	}
	return h[:min(12, len(h))]
}
