package search

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/train"
)

// fakeTrainer stands in for package experiment: each epoch's val_loss is
// a fixed function of the config (lr, dropout, seed) and the epoch, and
// it writes config.yaml, metrics.csv and summary.json as a run does.
// stopAfter, when > 0, cancels ctx after that many epochs in all (an
// interrupt in the middle of a trial).
type fakeTrainer struct {
	stopAfter int
	epochs    int
	cancel    context.CancelFunc
}

func (f *fakeTrainer) train(ctx context.Context, cfg config.Experiment, dir string) (*rundir.Summary, error) {
	if _, err := os.Stat(dir); err == nil {
		return nil, fmt.Errorf("%s exists", dir)
	}
	tmp := dir + ".tmp0"
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, err
	}
	b, err := cfg.Marshal()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, rundir.ConfigFile), b, 0o644); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, err
	}
	return f.run(ctx, dir, cfg, nil)
}

func (f *fakeTrainer) resume(ctx context.Context, dir string, epochs int) (*rundir.Summary, error) {
	cfg, err := config.Load(filepath.Join(dir, rundir.ConfigFile))
	if err != nil {
		return nil, err
	}
	cfg.Training.Epochs = epochs
	rows, _ := readMetrics(dir)
	return f.run(ctx, dir, cfg, rows)
}

func (f *fakeTrainer) run(ctx context.Context, dir string, cfg config.Experiment, rows []train.EpochMetrics) (*rundir.Summary, error) {
	sum := &rundir.Summary{RunDir: dir, StopReason: train.StopMaxEpochs}
	for e := len(rows) + 1; e <= cfg.Training.Epochs; e++ {
		if ctx.Err() != nil {
			sum.StopReason = train.StopInterrupted
			break
		}
		loss := math.Abs(math.Log10(cfg.Optimizer.LR)+2.5) + cfg.Model.Dropout + float64(cfg.Training.Seed%7)/100 + 1/float64(e)
		rows = append(rows, train.EpochMetrics{Epoch: e, Step: int64(e), ValLoss: loss, ValAccuracy: 1 / (1 + loss)})
		if err := os.WriteFile(filepath.Join(dir, rundir.MetricsFile), []byte(train.FormatMetrics(rows)), 0o644); err != nil {
			return nil, err
		}
		f.epochs++
		if f.stopAfter > 0 && f.epochs == f.stopAfter {
			f.cancel()
		}
	}
	sum.EpochsRun = len(rows)
	d := rundir.Dir{Path: dir}
	return sum, d.WriteJSON(rundir.SummaryFile, sum)
}

// writeSpace writes a space file into a temporary directory.
func writeSpace(t *testing.T, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "space.yaml")
	if err := os.WriteFile(p, []byte(strings.TrimLeft(yaml, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// runShard runs one shard of the space at path into dir with trainer f.
func runShard(t *testing.T, ctx context.Context, path, dir string, shard Shard, f *fakeTrainer) (*Outcome, error) {
	t.Helper()
	s, err := ParseSpace(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	base := config.Default()
	base.Training.Epochs = 3
	r := &Runner{Space: s, SpaceYAML: b, Base: base, Dir: dir, Shard: shard, Train: f.train, Resume: f.resume, Poll: 5e6}
	return r.Run(ctx)
}

// csvWithoutTimes is search.csv without the seconds and run_dir columns.
func csvWithoutTimes(t *testing.T, dir string) string {
	t.Helper()
	g, err := Gather(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := g.CSV()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(line, ",")
		out = append(out, strings.Join(f[:len(f)-2], ","))
	}
	return strings.Join(out, "\n")
}
