package evaluation

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/feasibility"
	"github.com/practica-ml/practica/lrsweep"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/train"
)

// RunInfo is what a run directory records about its training, read for
// the report. Every part but Config may be missing (a run stopped early,
// a sweep-only directory); the report says so instead of failing.
type RunInfo struct {
	Dir    *rundir.Dir
	Config config.Experiment
	// ConfigYAML and Command are the files' text.
	ConfigYAML string
	Command    string
	Meta       *rundir.Meta
	Summary    *rundir.Summary
	History    []train.EpochMetrics
	// LRSweep and Feasibility are present when those stages wrote into
	// this directory.
	LRSweep     *lrsweep.Report
	Feasibility *feasibility.Report
	// FeasibilityMarkdown is feasibility.md.
	FeasibilityMarkdown string
	// Figures are the PNGs of earlier stages found in the directory, by
	// file name, in report order.
	Figures []string
}

// stageFigures are the figures earlier stages leave in a run directory.
var stageFigures = []string{rundir.LRSweepPlot, rundir.LRGridPlot, rundir.OverfitLossPlot, rundir.ProbePlot, rundir.PCAScatterPlot}

// ReadRun reads what a run directory holds.
func ReadRun(path string) (*RunInfo, error) {
	dir, err := rundir.Open(path)
	if err != nil {
		return nil, err
	}
	info := &RunInfo{Dir: dir}
	if info.Config, err = config.Load(dir.Join(rundir.ConfigFile)); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(dir.Join(rundir.ConfigFile))
	if err != nil {
		return nil, err
	}
	info.ConfigYAML = string(b)
	if b, err := os.ReadFile(dir.Join(rundir.CommandFile)); err == nil {
		info.Command = strings.TrimSpace(string(b))
	}
	var meta rundir.Meta
	if err := readOptionalJSON(dir, rundir.MetaFile, &meta); err != nil {
		return nil, err
	} else if exists(dir.Join(rundir.MetaFile)) {
		info.Meta = &meta
	}
	var sum rundir.Summary
	if err := readOptionalJSON(dir, rundir.SummaryFile, &sum); err != nil {
		return nil, err
	} else if exists(dir.Join(rundir.SummaryFile)) {
		info.Summary = &sum
	}
	if exists(dir.Join(rundir.MetricsFile)) {
		if info.History, err = readMetricsCSV(dir.Join(rundir.MetricsFile)); err != nil {
			return nil, err
		}
	}
	var sweep lrsweep.Report
	if err := readOptionalJSON(dir, rundir.LRSweepFile, &sweep); err != nil {
		return nil, err
	} else if exists(dir.Join(rundir.LRSweepFile)) {
		info.LRSweep = &sweep
	}
	var feas feasibility.Report
	if err := readOptionalJSON(dir, rundir.FeasibilityFile, &feas); err != nil {
		return nil, err
	} else if exists(dir.Join(rundir.FeasibilityFile)) {
		info.Feasibility = &feas
		if b, err := os.ReadFile(dir.Join(rundir.FeasibilityNotes)); err == nil {
			info.FeasibilityMarkdown = string(b)
		}
	}
	for _, f := range stageFigures {
		if exists(dir.Join(f)) {
			info.Figures = append(info.Figures, f)
		}
	}
	return info, nil
}

// bestIndex is the index in History of the summary's best epoch, or -1.
func (r *RunInfo) bestIndex() int {
	if r.Summary == nil || r.Summary.BestEpoch == nil {
		return -1
	}
	for i, m := range r.History {
		if m.Epoch == *r.Summary.BestEpoch {
			return i
		}
	}
	return -1
}

func readOptionalJSON(dir *rundir.Dir, name string, v any) error {
	err := dir.ReadJSON(name, v)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// readMetricsCSV reads a run's metrics.csv.
func readMetricsCSV(path string) ([]train.EpochMetrics, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h, err := train.ReadMetrics(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return h, nil
}
