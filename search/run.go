package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/internal/atomicfile"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/train"
)

// Files and directories of a search directory.
const (
	SpaceFile  = "space.yaml"
	TrialsDir  = "trials"
	FailedDir  = "failed"
	RungsDir   = "rungs"
	CSVFile    = "search.csv"
	JSONFile   = "search.json"
	BestConfig = "best.yaml"
)

// Dir is the directory of the search named name under root:
// <root>/search-<name>, without a time stamp, so that shards started at
// different moments meet in it.
func Dir(root, name string) string { return filepath.Join(root, "search-"+name) }

// TrialDir is trial i's run directory inside the search directory dir:
// trials/<i> with i zero-padded to four digits (0000, 0001, ...; more
// digits from 10000 on).
func TrialDir(dir string, i int) string {
	return filepath.Join(dir, TrialsDir, fmt.Sprintf("%04d", i))
}

// TrainFunc trains cfg into the run directory runDir, which must not
// exist yet (it appears whole, with its config.yaml).
type TrainFunc func(ctx context.Context, cfg config.Experiment, runDir string) (*rundir.Summary, error)

// ResumeFunc continues the run in runDir to epochs epochs in all (from
// its last.ckpt), or finishes its end when it has them.
type ResumeFunc func(ctx context.Context, runDir string, epochs int) (*rundir.Summary, error)

// Runner runs one shard of a search into the shared search directory.
type Runner struct {
	Space *Space
	// SpaceYAML are the bytes of SPACE.yaml, copied to the search
	// directory.
	SpaceYAML []byte
	// Base is the config every trial starts from.
	Base  config.Experiment
	Dir   string
	Shard Shard
	// Train and Resume run trials (package experiment's, given by the
	// command, which this package must not import).
	Train  TrainFunc
	Resume ResumeFunc
	Log    *slog.Logger
	// Poll is how often a halving shard looks whether the other shards
	// have finished a rung (a second when zero).
	Poll time.Duration
}

// Outcome is what one shard did.
type Outcome struct {
	// Ran are the trials this shard trained (or resumed), Skipped those
	// it found finished, Failed those whose training failed.
	Ran, Skipped, Failed []int
}

// Run checks every trial's config, claims the search directory and runs
// the shard's trials. A trial that fails is recorded (failed/<i>.txt or
// its summary.json's error) and the search goes on; an interrupt (ctx)
// stops it, and running the same command again resumes.
func (r *Runner) Run(ctx context.Context) (*Outcome, error) {
	for i := range r.Space.Trials {
		if _, err := r.Space.Config(r.Base, r.Space.Trial(i)); err != nil {
			return nil, fmt.Errorf("trial %d (%s): %w", i, r.Space.describe(r.Space.Trial(i)), err)
		}
	}
	if err := r.claim(); err != nil {
		return nil, err
	}
	out := &Outcome{}
	if r.Space.Method != Halving {
		epochs := r.Base.Training.Epochs
		for i := range r.Space.Trials {
			if r.Shard.Owns(i) {
				if err := r.runTrial(ctx, i, epochs, out); err != nil {
					return out, err
				}
			}
		}
		return out, nil
	}
	return out, r.runHalving(ctx, out)
}

// claim makes the search directory and puts the space in it, or checks
// that the space already there is this one.
func (r *Runner) claim() error {
	if err := os.MkdirAll(filepath.Join(r.Dir, TrialsDir), 0o755); err != nil {
		return fmt.Errorf("creating the search directory: %w", err)
	}
	path := filepath.Join(r.Dir, SpaceFile)
	if err := createOnce(path, r.SpaceYAML); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	there, err := ParseSpace(path)
	if err != nil {
		return fmt.Errorf("%s holds a search space that does not parse: %w", r.Dir, err)
	}
	if string(there.Canonical()) != string(r.Space.Canonical()) {
		return fmt.Errorf("%s holds a different search space (%s): give another --name or --out, or remove it", r.Dir, path)
	}
	return nil
}

// createOnce writes b to path only if path does not exist: the bytes go
// to a temporary file, which is hard-linked to path (link(2) fails when
// path exists, so that of processes racing exactly one creates it, and
// whole).
func createOnce(path string, b []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fs.ErrExist
		}
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// runTrial brings trial i to epochs epochs: trains it when its directory
// does not exist, skips it when it has them (or stopped for good), and
// resumes it otherwise (an interrupted or killed run, or a promotion).
func (r *Runner) runTrial(ctx context.Context, i, epochs int, out *Outcome) error {
	path := TrialDir(r.Dir, i)
	failed := r.failedPath(i)
	if err := os.Remove(failed); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	sum, exists := readSummary(path)
	if sum != nil && reached(sum, epochs) {
		out.Skipped = append(out.Skipped, i)
		return nil
	}
	t := r.Space.Trial(i)
	r.logger().Info("trial", "index", i, "epochs", epochs, "params", r.Space.describe(t))
	var err error
	if exists {
		sum, err = r.Resume(ctx, path, epochs)
	} else {
		cfg, cerr := r.Space.Config(r.Base, t)
		if cerr != nil {
			return cerr
		}
		cfg.Training.Epochs = epochs
		sum, err = r.Train(ctx, cfg, path)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if sum != nil && sum.StopReason == train.StopInterrupted {
		return fmt.Errorf("trial %d was interrupted", i)
	}
	if err != nil {
		out.Failed = append(out.Failed, i)
		r.logger().Warn("trial failed", "index", i, "error", err)
		if sum != nil {
			// A non-finite loss: summary.json records it.
			return nil
		}
		if err := os.MkdirAll(filepath.Dir(failed), 0o755); err != nil {
			return err
		}
		return atomicfile.Write(failed, []byte(err.Error()+"\n"))
	}
	out.Ran = append(out.Ran, i)
	return nil
}

func (r *Runner) failedPath(i int) string {
	return filepath.Join(r.Dir, FailedDir, strconv.Itoa(i)+".txt")
}

func (r *Runner) logger() *slog.Logger {
	if r.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Log
}

// readSummary reads the run's summary.json (nil when it has none) and
// whether the run directory exists.
func readSummary(path string) (*rundir.Summary, bool) {
	if _, err := os.Stat(path); err != nil {
		return nil, false
	}
	var s rundir.Summary
	d := rundir.Dir{Path: path}
	if d.ReadJSON(rundir.SummaryFile, &s) != nil {
		return nil, true
	}
	return &s, true
}

// reached reports whether a run whose summary is sum has nothing left to
// do for a total of epochs: it ran them (and was not interrupted), or it
// stopped for good before (early stopping, a non-finite loss).
func reached(sum *rundir.Summary, epochs int) bool {
	if sum.StopReason == train.StopInterrupted {
		return false
	}
	return sum.EpochsRun >= epochs || sum.StopReason != train.StopMaxEpochs
}

// Rungs are halving's epochs per rung: MinEpochs·Eta^r, the last capped
// at MaxEpochs.
func (h HalvingRungs) Rungs() []int {
	var out []int
	e := h.MinEpochs
	for e < h.MaxEpochs {
		out = append(out, e)
		e *= h.Eta
	}
	return append(out, h.MaxEpochs)
}

// decision is a rung's promotions, written once to rungs/<r>.json.
type decision struct {
	Rung     int   `json:"rung"`
	Epochs   int   `json:"epochs"`
	Promoted []int `json:"promoted"`
}

// runHalving runs synchronous successive halving (see the package doc).
func (r *Runner) runHalving(ctx context.Context, out *Outcome) error {
	rungs := r.Space.Halving.Rungs()
	members := make([]int, r.Space.Trials)
	for i := range members {
		members[i] = i
	}
	for rung, epochs := range rungs {
		last := rung == len(rungs)-1
		if !last {
			if d, ok := r.readDecision(rung); ok {
				members = d.Promoted
				continue
			}
		}
		if !slices.ContainsFunc(members, r.Shard.Owns) {
			// Nothing of this shard's is left: the others finish.
			return nil
		}
		for _, i := range members {
			if r.Shard.Owns(i) {
				if err := r.runTrial(ctx, i, epochs, out); err != nil {
					return err
				}
			}
		}
		if last {
			return nil
		}
		if err := r.waitRung(ctx, members, epochs); err != nil {
			return err
		}
		d, err := r.decide(rung, members, epochs)
		if err != nil {
			return err
		}
		members = d.Promoted
	}
	return nil
}

// waitRung polls the search directory until every trial of the rung has
// reported: reached its epochs, stopped for good, or failed.
func (r *Runner) waitRung(ctx context.Context, members []int, epochs int) error {
	poll := r.Poll
	if poll <= 0 {
		poll = time.Second
	}
	for {
		waiting := 0
		for _, i := range members {
			if _, err := os.Stat(r.failedPath(i)); err == nil {
				continue
			}
			if sum, _ := readSummary(TrialDir(r.Dir, i)); sum == nil || !reached(sum, epochs) {
				waiting++
			}
		}
		if waiting == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
}

// decide ranks the rung's trials by the metric at the rung's epochs and
// records the top 1/eta (at least one) in rungs/<r>.json, unless another
// shard recorded it first: then its decision, the same, stands.
func (r *Runner) decide(rung int, members []int, epochs int) (decision, error) {
	ranked := slices.Clone(members)
	metric := make(map[int]float64, len(ranked))
	for _, i := range ranked {
		metric[i] = r.Space.metricUpTo(TrialDir(r.Dir, i), epochs)
	}
	slices.SortStableFunc(ranked, func(a, b int) int {
		switch {
		case r.Space.Better(metric[a], metric[b]):
			return -1
		case r.Space.Better(metric[b], metric[a]):
			return 1
		}
		return a - b
	})
	keep := max(1, len(ranked)/r.Space.Halving.Eta)
	d := decision{Rung: rung, Epochs: epochs, Promoted: slices.Sorted(slices.Values(ranked[:keep]))}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return d, err
	}
	if err := os.MkdirAll(filepath.Join(r.Dir, RungsDir), 0o755); err != nil {
		return d, err
	}
	if err := createOnce(r.decisionPath(rung), append(b, '\n')); errors.Is(err, fs.ErrExist) {
		if there, ok := r.readDecision(rung); ok {
			return there, nil
		}
		return d, fmt.Errorf("%s exists but does not parse", r.decisionPath(rung))
	} else if err != nil {
		return d, err
	}
	r.logger().Info("rung decided", "rung", rung, "epochs", epochs, "promoted", d.Promoted)
	return d, nil
}

func (r *Runner) decisionPath(rung int) string {
	return filepath.Join(r.Dir, RungsDir, strconv.Itoa(rung)+".json")
}

func (r *Runner) readDecision(rung int) (decision, bool) {
	var d decision
	b, err := os.ReadFile(r.decisionPath(rung))
	if err != nil || json.Unmarshal(b, &d) != nil {
		return d, false
	}
	return d, true
}

// metricUpTo is the best value of the metric in the run's metrics.csv
// over its first epochs epochs; NaN when it has none. Epochs past them
// (a promotion already training) do not count, so that the value is the
// same whenever it is read.
func (s *Space) metricUpTo(runDir string, epochs int) float64 {
	rows, err := readMetrics(runDir)
	if err != nil {
		return math.NaN()
	}
	return s.BestOf(rows, epochs)
}

// BestOf is the best value of the metric over the curve's first epochs
// epochs; NaN when it has none.
func (s *Space) BestOf(curve []train.EpochMetrics, epochs int) float64 {
	best := math.NaN()
	for _, m := range curve {
		if m.Epoch > epochs {
			break
		}
		v := m.ValLoss
		if s.Metric == ValAccuracy {
			v = m.ValAccuracy
		}
		if s.Better(v, best) {
			best = v
		}
	}
	return best
}

// readMetrics reads a run's metrics.csv.
func readMetrics(runDir string) ([]train.EpochMetrics, error) {
	f, err := os.Open(filepath.Join(runDir, rundir.MetricsFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return train.ReadMetrics(f)
}

// describe is a trial's parameters as key=value, for messages.
func (s *Space) describe(t Trial) string {
	out := ""
	for k, p := range s.Params {
		if k > 0 {
			out += " "
		}
		out += p.Key + "=" + FormatValue(t.Values[k])
	}
	return out
}

// FormatValue writes a parameter's value in the shortest form that reads
// back exactly (numbers), or as YAML flow (lists).
func FormatValue(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int:
		return strconv.Itoa(x)
	case string:
		return x
	case []any:
		s := "["
		for i, e := range x {
			if i > 0 {
				s += ", "
			}
			s += FormatValue(e)
		}
		return s + "]"
	}
	return fmt.Sprint(v)
}
