package search

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/internal/atomicfile"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/train"
)

// Trial statuses in search.csv.
const (
	StatusDone        = "done"
	StatusFailed      = "failed"
	StatusInterrupted = "interrupted"
	StatusRunning     = "running"
	StatusPending     = "pending"
)

// Row is one trial as the shards left it.
type Row struct {
	Trial
	// Epochs is the number of epochs in its metrics.csv.
	Epochs int
	// Metric is the best value of the search's metric over those epochs;
	// NaN when none finished.
	Metric  float64
	Status  string
	Seconds float64
	RunDir  string
	// Curve is its metrics.csv.
	Curve []train.EpochMetrics
}

// Gathered is a search directory read back: its space and every trial.
type Gathered struct {
	Dir   string
	Space *Space
	Rows  []Row
	// Best is the index in Rows of the best finished trial (for halving,
	// among those that ran the most epochs); -1 when none finished.
	Best int
}

// Gather reads the search directory dir: space.yaml and every trial's run
// directory, whichever shard wrote it.
func Gather(dir string) (*Gathered, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	space, err := ParseSpace(filepath.Join(abs, SpaceFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s is not a search directory (no %s): give the OUT/search-NAME directory train --search wrote", dir, SpaceFile)
	}
	if err != nil {
		return nil, err
	}
	g := &Gathered{Dir: abs, Space: space, Best: -1}
	for i := range space.Trials {
		row := Row{Trial: space.Trial(i), Metric: math.NaN(), RunDir: TrialDir(abs, i), Status: StatusPending}
		sum, exists := readSummary(row.RunDir)
		if exists {
			row.Status = StatusRunning
			row.Curve, _ = readMetrics(row.RunDir)
			row.Epochs = len(row.Curve)
			row.Metric = space.metricUpTo(row.RunDir, row.Epochs)
		}
		switch {
		case sum != nil && sum.Error != "":
			row.Status = StatusFailed
		case sum != nil && sum.StopReason == train.StopInterrupted:
			row.Status = StatusInterrupted
		case sum != nil:
			row.Status = StatusDone
		}
		if sum != nil {
			row.Seconds = sum.Seconds
		}
		if _, err := os.Stat(filepath.Join(abs, FailedDir, strconv.Itoa(i)+".txt")); err == nil {
			row.Status = StatusFailed
		}
		g.Rows = append(g.Rows, row)
		if row.Status == StatusDone && !math.IsNaN(row.Metric) && (g.Best < 0 || g.beats(row, g.Rows[g.Best])) {
			g.Best = len(g.Rows) - 1
		}
	}
	return g, nil
}

// beats reports whether a is a better trial than b: for halving, more
// epochs first (a trial stopped at a low rung is not comparable), then
// the metric.
func (g *Gathered) beats(a, b Row) bool {
	if g.Space.Method == Halving && a.Epochs != b.Epochs {
		return a.Epochs > b.Epochs
	}
	return g.Space.Better(a.Metric, b.Metric)
}

// CSV is search.csv: one row per trial, columns index, each parameter
// (by its dotted key), epochs, the metric, status, seconds, run_dir.
// Numbers are in the shortest form that reads back exactly, so that the
// same trials give the same bytes.
func (g *Gathered) CSV() ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	head := []string{"index"}
	for _, p := range g.Space.Params {
		head = append(head, p.Key)
	}
	head = append(head, "epochs", g.Space.Metric, "status", "seconds", "run_dir")
	if err := w.Write(head); err != nil {
		return nil, err
	}
	for _, r := range g.Rows {
		rec := []string{strconv.Itoa(r.Index)}
		for _, v := range r.Values {
			rec = append(rec, FormatValue(v))
		}
		metric := ""
		if !math.IsNaN(r.Metric) {
			metric = strconv.FormatFloat(r.Metric, 'g', -1, 64)
		}
		rec = append(rec, strconv.Itoa(r.Epochs), metric, r.Status, strconv.FormatFloat(r.Seconds, 'g', -1, 64), r.RunDir)
		if err := w.Write(rec); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// BestTrial is search.json: the best trial and its resolved config.
type BestTrial struct {
	Index  int            `json:"index"`
	Params map[string]any `json:"params"`
	Metric string         `json:"metric"`
	Value  float64        `json:"value"`
	Epochs int            `json:"epochs"`
	Seed   uint64         `json:"seed"`
	RunDir string         `json:"run_dir"`
	Config map[string]any `json:"config"`
}

// Write writes search.csv, search.json and best.yaml (the best trial's
// config.yaml, ready for train --config) into the search directory, each
// atomically. With no finished trial it writes search.csv alone and
// returns an error saying so.
func (g *Gathered) Write() error {
	b, err := g.CSV()
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(g.Dir, CSVFile), b); err != nil {
		return err
	}
	if g.Best < 0 {
		return fmt.Errorf("%s: no trial has finished yet (%s lists their status)", g.Dir, CSVFile)
	}
	best := g.Rows[g.Best]
	cfgPath := filepath.Join(best.RunDir, rundir.ConfigFile)
	cfgYAML, err := os.ReadFile(cfgPath)
	if err != nil {
		return err
	}
	if _, err := config.Parse(cfgYAML); err != nil {
		return fmt.Errorf("%s: %w", cfgPath, err)
	}
	bt := BestTrial{Index: best.Index, Params: map[string]any{}, Metric: g.Space.Metric, Value: best.Metric, Epochs: best.Epochs, Seed: best.Seed, RunDir: best.RunDir}
	for k, p := range g.Space.Params {
		bt.Params[p.Key] = best.Values[k]
	}
	if err := yaml.Unmarshal(cfgYAML, &bt.Config); err != nil {
		return fmt.Errorf("%s: %w", cfgPath, err)
	}
	js, err := json.MarshalIndent(bt, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(g.Dir, JSONFile), append(js, '\n')); err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(g.Dir, BestConfig), cfgYAML)
}

// Describe is trial row's parameters as key=value.
func (g *Gathered) Describe(r Row) string { return strings.TrimSpace(g.Space.describe(r.Trial)) }
