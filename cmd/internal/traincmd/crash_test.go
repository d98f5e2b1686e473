package traincmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/internal/atomicfile"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/train"
)

// killArgs is a small run (about half a second once started) that still
// has every phase: start-up, epochs with their checkpoints, and the end
// (test split, calibration, plots, summary).
var killArgs = []string{"--data", "digits", "--model", "mlp", "--epochs", "6", "--batch-size", "64", "-q"}

const killEpochs = 6

// runState is what checkRunDir found in a run directory.
type runState struct {
	dir       string // "" when there is no run directory
	hasConfig bool
	// temps are atomic-write temporary files left behind by a kill.
	temps []string
	// lastEpochs is the number of epochs in last.ckpt (-1: no last.ckpt).
	lastEpochs int
	// bestT is best.ckpt's calibration temperature (1 until the end fits one;
	// 0 when there is no best.ckpt).
	bestT   float64
	summary *rundir.Summary
}

// finished reports whether the run wrote its summary after all its epochs.
func (s runState) finished() bool {
	return s.summary != nil && s.summary.EpochsRun == killEpochs && s.summary.StopReason == train.StopMaxEpochs
}

// phase names where, judging by what is on disk, the run was killed.
func (s runState) phase() string {
	switch {
	case s.dir == "":
		return "start-up: no run directory yet (at most its hidden temporary one)"
	case !s.hasConfig:
		return "start-up: run directory without config.yaml"
	case s.lastEpochs < 0:
		return "epoch 1: no checkpoint yet"
	case s.lastEpochs < killEpochs:
		return fmt.Sprintf("epoch %d: %d saved", s.lastEpochs+1, s.lastEpochs)
	case s.finished():
		return "end: summary.json written"
	case s.bestT != 0 && s.bestT != 1:
		return "end: best.ckpt calibrated, no summary.json"
	default:
		return "end: best.ckpt not yet calibrated"
	}
}

// findRunDir returns the run directory under root holding config.yaml, or
// else any run directory, or "".
func findRunDir(t *testing.T, root string) string {
	t.Helper()
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	found := ""
	for _, e := range entries {
		if atomicfile.IsTemp(e.Name()) {
			// A run directory still being filled, under its temporary
			// name: no run yet.
			continue
		}
		p := filepath.Join(root, e.Name())
		if _, err := os.Stat(filepath.Join(p, rundir.ConfigFile)); err == nil {
			return p
		}
		found = p
	}
	return found
}

// checkRunDir fails the test unless every file of the run directory is
// complete: each JSON parses, each checkpoint loads (its checksum
// included), metrics.csv parses into whole rows numbered from 1,
// config.yaml loads and validates, each PNG decodes, command.txt is a
// whole line. Temporary files of atomic writes are recorded, not checked;
// anything else is an error.
func checkRunDir(t *testing.T, label, dir string) runState {
	t.Helper()
	st := runState{dir: dir, lastEpochs: -1}
	if dir == "" {
		return st
	}
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s: %s", label, fmt.Sprintf(format, args...))
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && rel != rundir.CheckpointsDir {
				fail("unexpected directory %s", rel)
			}
			return nil
		}
		if atomicfile.IsTemp(d.Name()) {
			st.temps = append(st.temps, rel)
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		switch {
		case rel == rundir.ConfigFile:
			cfg, err := config.Load(path)
			if err == nil {
				err = cfg.Validate()
			}
			if err != nil {
				fail("%s: %v", rel, err)
			}
			st.hasConfig = true
		case rel == rundir.CommandFile:
			if len(b) < 2 || b[len(b)-1] != '\n' || bytes.Count(b, []byte("\n")) != 1 {
				fail("%s is not one whole line: %q", rel, b)
			}
		case rel == rundir.MetricsFile:
			rows, err := train.ReadMetrics(bytes.NewReader(b))
			if err != nil || len(b) == 0 || b[len(b)-1] != '\n' {
				fail("%s: %v\n%s", rel, err, b)
			}
			for i, r := range rows {
				if r.Epoch != i+1 {
					fail("%s: row %d is epoch %d", rel, i+1, r.Epoch)
				}
			}
		case rel == rundir.MetaFile:
			var m rundir.Meta
			if err := json.Unmarshal(b, &m); err != nil || m.Version == "" {
				fail("%s: %v\n%s", rel, err, b)
			}
		case rel == rundir.SummaryFile:
			var s rundir.Summary
			if err := json.Unmarshal(b, &s); err != nil {
				fail("%s: %v\n%s", rel, err, b)
			}
			st.summary = &s
		case strings.HasSuffix(rel, ".json"):
			if !json.Valid(b) {
				fail("%s is not valid JSON (%d bytes)", rel, len(b))
			}
		case strings.HasSuffix(rel, ".ckpt"):
			c, err := model.LoadCheckpoint(path)
			if err != nil {
				fail("%v", err)
			}
			var rs train.ResumeState
			if err := json.Unmarshal(c.State, &rs); err != nil {
				fail("%s: training state: %v", rel, err)
			}
			switch rel {
			case rundir.LastCheckpoint:
				st.lastEpochs = rs.Epoch
			case rundir.BestCheckpoint:
				st.bestT = c.Temperature
			default:
				fail("unexpected checkpoint %s", rel)
			}
		case strings.HasSuffix(rel, ".png"):
			if _, err := png.Decode(bytes.NewReader(b)); err != nil {
				fail("%s: %v", rel, err)
			}
		default:
			fail("unexpected file %s", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", label, err)
	}
	return st
}

// runResult is what a finished run must reproduce exactly.
type runResult struct {
	best        []byte // best.ckpt's bytes
	metrics     string // metrics.csv without the wall-time columns
	summary     string // summary.json without run_dir and seconds
	calibration []byte
}

func readResult(t *testing.T, dir string) runResult {
	t.Helper()
	var r runResult
	var err error
	if r.best, err = os.ReadFile(filepath.Join(dir, rundir.BestCheckpoint)); err != nil {
		t.Fatal(err)
	}
	if r.calibration, err = os.ReadFile(filepath.Join(dir, rundir.CalibrationFile)); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, rundir.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := train.ReadMetrics(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		rows[i].Seconds, rows[i].StepSeconds = 0, 0
	}
	r.metrics = train.FormatMetrics(rows)
	var s rundir.Summary
	b, err := os.ReadFile(filepath.Join(dir, rundir.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	s.RunDir, s.Seconds = "", 0
	js, _ := json.Marshal(s)
	r.summary = string(js)
	return r
}

func (r runResult) diff(ref runResult) string {
	var d []string
	if !bytes.Equal(r.best, ref.best) {
		d = append(d, fmt.Sprintf("best.ckpt differs (%d bytes, reference %d)", len(r.best), len(ref.best)))
	}
	if r.metrics != ref.metrics {
		d = append(d, fmt.Sprintf("metrics.csv differs:\n%s\nreference:\n%s", r.metrics, ref.metrics))
	}
	if r.summary != ref.summary {
		d = append(d, fmt.Sprintf("summary.json differs:\n%s\nreference:\n%s", r.summary, ref.summary))
	}
	if !bytes.Equal(r.calibration, ref.calibration) {
		d = append(d, "calibration.json differs")
	}
	return strings.Join(d, "\n")
}

// processTimeout bounds every child process: a hang fails the test rather
// than stalling the suite.
const processTimeout = 2 * time.Minute

// startKilled runs train with args and sends it SIGKILL after delay. It
// reports whether the process had already exited (successfully) by then,
// and how long it ran; any other ending fails the test.
func startKilled(t *testing.T, label string, delay time.Duration, args ...string) (exited bool, ran time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), processTimeout)
	defer cancel()
	cmd := trainCommand(ctx, args...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	began := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(delay)
	cmd.Process.Kill()
	err := cmd.Wait()
	ran = time.Since(began)
	if err == nil {
		return true, ran
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return false, ran
		}
	}
	t.Fatalf("%s: train ended with %v before the kill:\n%s", label, err, stderr.String())
	return false, ran
}

// runTrain runs train to its end and returns its exit error and output.
func runTrain(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), processTimeout)
	defer cancel()
	out, err := trainCommand(ctx, args...).CombinedOutput()
	return string(out), err
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		t.Fatalf("%s=%q: want a number of kills", name, s)
	}
	return v
}

// TestKillAnywhereThenResume kills real training processes with SIGKILL
// at moments spread over a whole run (seeded, so the schedule is the same
// every time; where each kill lands still depends on the machine's speed).
// After every kill each file of the run directory must be complete, and
// train --resume must finish the run with the best.ckpt bytes, metrics.csv
// rows (seconds aside), summary.json and calibration.json of a run that
// was never killed. Every third resume is itself killed once, then
// resumed again. PRACTICA_KILLS sets the number of kills (default 20);
// after PRACTICA_KILL_SECONDS (default 90) of killing, the rest are
// skipped.
func TestKillAnywhereThenResume(t *testing.T) {
	kills := envInt(t, "PRACTICA_KILLS", 20)
	budget := time.Duration(envInt(t, "PRACTICA_KILL_SECONDS", 90)) * time.Second
	if kills == 0 {
		t.Skip("PRACTICA_KILLS=0")
	}
	tmp := t.TempDir()
	// Two runs never killed: their outcome is the reference (they must
	// agree, or no comparison means anything), and the faster one's wall
	// time scales the kill schedule (the first pays for cold caches).
	var ref runResult
	var runTime time.Duration
	for i := range 2 {
		root := filepath.Join(tmp, fmt.Sprintf("reference%d", i))
		began := time.Now()
		if out, err := runTrain(t, append(killArgs, "--out", root)...); err != nil {
			t.Fatalf("reference run: %v\n%s", err, out)
		}
		if d := time.Since(began); i == 0 || d < runTime {
			runTime = d
		}
		dir := findRunDir(t, root)
		if st := checkRunDir(t, "reference", dir); !st.finished() || len(st.temps) > 0 {
			t.Fatalf("reference run: %+v", st)
		}
		r := readResult(t, dir)
		if i == 0 {
			ref = r
		} else if d := r.diff(ref); d != "" {
			t.Fatalf("two runs never killed differ:\n%s", d)
		}
	}

	rng := rand.New(rand.NewPCG(20261129, 1))
	phases := map[string]int{}
	temps := map[string]int{}
	n := 0
	began := time.Now()
	for run := 0; n < kills; run++ {
		if time.Since(began) > budget {
			t.Logf("the %v budget is spent: %d of %d kills done, the rest skipped", budget, n, kills)
			break
		}
		root := filepath.Join(tmp, fmt.Sprintf("run%03d", run))
		args := append(slices.Clone(killArgs), "--out", root)
		// Stratified over 0..1.1 of the reference run's wall time: every
		// part of the run gets its share of kills, and a few land after
		// the end.
		frac := (float64(n) + rng.Float64()) / float64(kills) * 1.1
		delay := time.Duration(frac * float64(runTime))
		label := fmt.Sprintf("kill %d (run %d, after %v)", n+1, run, delay.Round(time.Millisecond))
		exited, ran := startKilled(t, label, delay, args...)
		n++
		if exited {
			// The machine is faster now than when the reference ran (it
			// may be shared): later kills take the shorter scale.
			runTime = min(runTime, ran)
		}
		st := checkRunDir(t, label, findRunDir(t, root))
		if st.dir != "" && !st.hasConfig {
			t.Fatalf("%s: the run directory %s has no config.yaml: --resume could not start it over", label, st.dir)
		}
		phase := st.phase()
		if exited {
			phase = "after the process had exited"
		}
		phases[phase]++
		countTemps(temps, st.temps)

		killResume := run%3 == 2
		for {
			if !st.hasConfig {
				// Killed before the run directory got its name: nothing
				// to resume; a new run must still work beside what the
				// kill left.
				if out, err := runTrain(t, args...); err != nil {
					t.Fatalf("%s: a new run after the kill: %v\n%s", label, err, out)
				}
				st = checkRunDir(t, label+", new run", findRunDir(t, root))
				break
			}
			resume := []string{"--resume", st.dir, "-q"}
			if killResume && !st.finished() && n < kills {
				killResume = false
				delay := time.Duration(rng.Float64() * float64(runTime))
				label = fmt.Sprintf("kill %d (run %d, its resume after %v)", n+1, run, delay.Round(time.Millisecond))
				exited, _ := startKilled(t, label, delay, resume...)
				n++
				st = checkRunDir(t, label, st.dir)
				phase := "resume: " + st.phase()
				if exited {
					phase = "resume: after the process had exited"
				}
				phases[phase]++
				countTemps(temps, st.temps)
				continue
			}
			out, err := runTrain(t, resume...)
			if st.finished() {
				if err == nil || !strings.Contains(out, fmt.Sprintf("already has %d of %d epochs", killEpochs, killEpochs)) {
					t.Fatalf("%s: resuming a finished run: %v\n%s", label, err, out)
				}
			} else if err != nil {
				t.Fatalf("%s: resume (%s): %v\n%s", label, st.phase(), err, out)
			}
			st = checkRunDir(t, label+", resumed", st.dir)
			break
		}
		if len(st.temps) > 0 || !st.finished() {
			t.Fatalf("%s: after the resume: %+v", label, st)
		}
		if d := readResult(t, st.dir).diff(ref); d != "" {
			t.Fatalf("%s: the resumed run differs from one never killed:\n%s", label, d)
		}
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(phases)) {
		fmt.Fprintf(&b, "\n  %3d  %s", phases[k], k)
	}
	b.WriteString("\ntemporary files left by a kill (removed by the resume):")
	if len(temps) == 0 {
		b.WriteString(" none")
	}
	for _, k := range slices.Sorted(maps.Keys(temps)) {
		fmt.Fprintf(&b, "\n  %3d  %s", temps[k], k)
	}
	t.Logf("%d kills in %v (delays scaled to a run of %v); after each, every file of the run directory was complete, and every resume ended as the run never killed. Where the kills landed:%s",
		n, time.Since(began).Round(time.Second), runTime.Round(time.Millisecond), b.String())
}

// countTemps tallies temporary files by the file they were to become.
func countTemps(counts map[string]int, temps []string) {
	for _, p := range temps {
		counts[strings.TrimRight(p, "0123456789")+"*"]++
	}
}
