// Package rundir lays out a run directory: one plain directory per run that
// can be copied anywhere and reproduces the run (config.yaml, command.txt,
// meta.json, metrics.csv, checkpoints/, summary.json, plots). It declares
// every file name of a run directory once; package experiment writes
// through it, atomically, and eval and predict read through it.
package rundir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/practica-ml/practica/internal/atomicfile"
)

// Version is Practica's version, recorded in every run.
const Version = "0.1.0"

// File names inside a run directory, declared here once for every mode
// that writes one and every command that reads one.
const (
	// What identifies every run.
	ConfigFile  = "config.yaml"
	CommandFile = "command.txt"
	MetaFile    = "meta.json"

	// Training.
	MetricsFile    = "metrics.csv"
	SummaryFile    = "summary.json"
	CheckpointsDir = "checkpoints"
	BestCheckpoint = "checkpoints/best.ckpt"
	LastCheckpoint = "checkpoints/last.ckpt"
	CurvesPlot     = "curves.png"

	// Temperature scaling at the end of training: the calibration record
	// and the test split's reliability diagram.
	CalibrationFile = "calibration.json"
	ReliabilityPlot = "reliability.png"

	// The feasibility tests.
	FeasibilityFile  = "feasibility.json"
	FeasibilityNotes = "feasibility.md"
	OverfitLossPlot  = "overfit_loss.png"
	ProbePlot        = "probe_accuracy.png"
	PCAScatterPlot   = "pca_scatter.png"

	// The learning-rate range test and grid.
	LRSweepCSV  = "lr_sweep.csv"
	LRSweepFile = "lr_sweep.json"
	LRSweepPlot = "lr_sweep.png"
	LRGridPlot  = "lr_grid.png"

	// EvalDir is where eval writes its report by default.
	EvalDir = "eval"
)

// Dir is a run directory.
type Dir struct {
	// Path is absolute.
	Path string
	// made are the parents Create made (the deepest first), for Discard.
	made []string
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Create makes a new, empty run directory <root>/<time>-<name>: Fill
// with no files.
func Create(root, name string, now time.Time) (*Dir, error) {
	return Fill(root, name, now, nil)
}

// Fill makes a new run directory <root>/<time>-<name>, unique even when
// two runs start in the same second (a numeric suffix is added; the name
// is claimed with an exclusive mkdir, so two processes never share one),
// holding the files that identify the run, which write writes into it.
// write fills the directory under a hidden temporary name
// (".<time>-<name>.tmp<digits>", see atomicfile.IsTemp), which is then
// renamed to the claimed name: a run directory never exists without those
// files, and a process killed before the rename leaves at most the hidden
// directory, which no command takes for a run. When write fails, nothing
// is left behind (nor the parents Fill made). An error names the
// directory that could not be made.
func Fill(root, name string, now time.Time, write func(*Dir) error) (*Dir, error) {
	name = strings.Trim(unsafeName.ReplaceAllString(name, "-"), "-")
	if name == "" {
		name = "run"
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	made, err := mkdirAll(abs)
	if err != nil {
		removeDirs(made)
		return nil, fmt.Errorf("creating the runs directory %s: %w", root, err)
	}
	base := now.Format("20060102-150405") + "-" + name
	tmp, err := mkdirTemp(abs, "."+base+".tmp")
	if err != nil {
		removeDirs(made)
		return nil, fmt.Errorf("creating the run directory: %w", err)
	}
	d := &Dir{Path: tmp, made: made}
	if write != nil {
		if err := write(d); err != nil {
			d.Discard()
			return nil, err
		}
	}
	for i := 1; i < 10000; i++ {
		p := filepath.Join(abs, base)
		if i > 1 {
			p = fmt.Sprintf("%s-%d", p, i)
		}
		err := os.Mkdir(p, 0o755)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err == nil {
			// The claimed directory is empty, and rename(2) replaces an
			// empty directory (os.Rename refuses any).
			if err = syscall.Rename(tmp, p); err != nil {
				err = &os.LinkError{Op: "rename", Old: tmp, New: p, Err: err}
				os.Remove(p)
			}
		}
		if err != nil {
			d.Discard()
			return nil, fmt.Errorf("creating the run directory: %w", err)
		}
		d.Path = p
		return d, nil
	}
	d.Discard()
	return nil, fmt.Errorf("could not find a free run directory name under %s", abs)
}

// mkdirTemp makes a new directory in dir named prefix followed by random
// digits. Unlike os.MkdirTemp it honours the umask (0755 before it), as
// the run directory it becomes would.
func mkdirTemp(dir, prefix string) (string, error) {
	for {
		p := filepath.Join(dir, prefix+strconv.FormatUint(uint64(rand.Uint32()), 10))
		err := os.Mkdir(p, 0o755)
		if !errors.Is(err, os.ErrExist) {
			return p, err
		}
	}
}

// mkdirAll is os.MkdirAll that also returns the directories it made, the
// deepest first, so that a failed start can remove exactly those.
func mkdirAll(p string) ([]string, error) {
	if st, err := os.Stat(p); err == nil {
		if st.IsDir() {
			return nil, nil
		}
		return nil, &fs.PathError{Op: "mkdir", Path: p, Err: syscall.ENOTDIR}
	}
	var made []string
	if parent := filepath.Dir(p); parent != p {
		var err error
		if made, err = mkdirAll(parent); err != nil {
			return made, err
		}
	}
	if err := os.Mkdir(p, 0o755); err != nil {
		// Another process may have made it meanwhile.
		if st, serr := os.Stat(p); serr == nil && st.IsDir() {
			return made, nil
		}
		return made, err
	}
	return append([]string{p}, made...), nil
}

// removeDirs removes the directories mkdirAll made, the deepest first,
// each only if empty (another run may have started in one meanwhile).
func removeDirs(dirs []string) {
	for _, d := range dirs {
		os.Remove(d)
	}
}

// Discard removes a run directory that could not be started and the
// parents that Create made for it, so that a failed start leaves nothing
// behind. Call it only before the run has produced anything.
func (d *Dir) Discard() error {
	err := os.RemoveAll(d.Path)
	if err == nil {
		removeDirs(d.made)
	}
	return err
}

// RemoveTemps removes the temporary files of atomic writes that a killed
// process left in the run directory (see package atomicfile) and returns
// their paths inside it. Only the process that owns the run may call it.
func (d *Dir) RemoveTemps() ([]string, error) {
	var removed []string
	for _, sub := range []string{".", CheckpointsDir} {
		names, err := atomicfile.RemoveTemps(d.Join(sub))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, err
		}
		for _, n := range names {
			removed = append(removed, path.Join(sub, n))
		}
	}
	return removed, nil
}

// Open opens an existing run directory.
func Open(path string) (*Dir, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("run directory: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("run directory %s is not a directory", path)
	}
	if atomicfile.IsTemp(filepath.Base(abs)) {
		return nil, fmt.Errorf("%s is not a run directory: a run being created was killed before it got its name; remove it and start the run again", path)
	}
	if _, err := os.Stat(filepath.Join(abs, ConfigFile)); err != nil {
		return nil, fmt.Errorf("%s is not a run directory (no %s)", path, ConfigFile)
	}
	return &Dir{Path: abs}, nil
}

// Join returns the path of a file inside the run directory.
func (d *Dir) Join(name string) string { return filepath.Join(d.Path, filepath.FromSlash(name)) }

// WriteFile writes a file of the run atomically.
func (d *Dir) WriteFile(name string, b []byte) error {
	p := d.Join(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(p, b)
}

// WriteJSON writes v as indented JSON, atomically.
func (d *Dir) WriteJSON(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return d.WriteFile(name, append(b, '\n'))
}

// ReadJSON reads a JSON file of the run into v.
func (d *Dir) ReadJSON(name string, v any) error {
	b, err := os.ReadFile(d.Join(name))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", d.Join(name), err)
	}
	return nil
}

// Meta records what produced a run.
type Meta struct {
	Version   string `json:"practica_version"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPUs      int    `json:"cpus"`
	Seed      uint64 `json:"seed"`
	// GitCommit is Practica's commit: the VCS revision the binary was
	// built from (BuildRevision), "" when the build did not record one.
	GitCommit string `json:"git_commit,omitempty"`
	// WorkingDirGitCommit is the commit of the git checkout the run was
	// started in (the user's project, say), with +dirty for uncommitted
	// changes to tracked files; "" outside one.
	WorkingDirGitCommit string    `json:"working_dir_git_commit,omitempty"`
	Command             []string  `json:"command"`
	Start               time.Time `json:"start"`
	End                 time.Time `json:"end,omitzero"`
	// Kernel names the matrix-multiply implementation in use.
	Kernel string `json:"kernel"`
	// Data is what the run was trained on; nil in runs written before
	// Practica recorded it.
	Data *Data `json:"data,omitempty"`
	// Resumed lists each time the run was continued with --resume.
	Resumed []Resumption `json:"resumed,omitempty"`
	// InitFrom is where a fine-tuned run's initial weights came from
	// (training.init_from); nil for a run from scratch.
	InitFrom *InitFrom `json:"init_from,omitempty"`
	// Freeze is what the run kept fixed (training.freeze); nil when
	// nothing.
	Freeze *Freeze `json:"freeze,omitempty"`
}

// InitFrom records the checkpoint a fine-tuned run started from and what
// it loaded of it: every parameter with the same name and shape.
type InitFrom struct {
	// Run is the run directory training.init_from named, absolute; absent
	// when it named a checkpoint file.
	Run string `json:"run,omitempty"`
	// Checkpoint is the file read (the run's checkpoints/best.ckpt),
	// absolute, and SHA256 the hex SHA-256 of its bytes, as sha256sum
	// prints it.
	Checkpoint string `json:"checkpoint"`
	SHA256     string `json:"sha256"`
	// Loaded are the parameters loaded, in the model's order.
	Loaded []string `json:"loaded"`
	// Skipped are the parameters the checkpoint lacks or holds with
	// another shape, left as the run's seed drew them.
	Skipped []SkippedParam `json:"skipped"`
}

// SkippedParam is a parameter a fine-tuned run did not load.
type SkippedParam struct {
	Name string `json:"name"`
	// Shape is the model's; CheckpointShape the checkpoint's, absent when
	// the checkpoint has no tensor of that name.
	Shape           []int `json:"shape"`
	CheckpointShape []int `json:"checkpoint_shape,omitempty"`
	// Reason says why a parameter the checkpoint holds with the same
	// shape was not loaded (an output layer of other classes).
	Reason string `json:"reason,omitempty"`
}

// Freeze records the parameters a run kept fixed.
type Freeze struct {
	// Prefixes are training.freeze, and Parameters the names they froze
	// (with the running statistics of a frozen batch-norm layer).
	Prefixes   []string `json:"prefixes"`
	Parameters []string `json:"parameters"`
	// UnfreezeAt is training.unfreeze_at, the epoch from which they
	// trained as well; absent when they stayed frozen.
	UnfreezeAt int `json:"unfreeze_at,omitempty"`
}

// Data is the data a run was trained on: data.source and data.labels as
// they were given (config.yaml holds a path made absolute, so that the run
// opens from any working directory), and the fingerprint that pins them.
type Data struct {
	Source string `json:"source"`
	Labels string `json:"labels,omitempty"`
	// Labeled and Unlabeled count, for a partial labels file, the
	// examples it labels (those split into train, val and test) and those
	// it leaves unlabeled (left out); both 0 otherwise.
	Labeled     int              `json:"labeled,omitempty"`
	Unlabeled   int              `json:"unlabeled,omitempty"`
	Fingerprint *DataFingerprint `json:"fingerprint,omitempty"`
}

// DataFingerprint pins the data of a run: readers of the run (eval,
// predict --split, train --resume) recompute it and refuse data that
// differ. The hashes are hex SHA-256 (see data.SourceSHA256,
// data.FileSHA256 and data.Splits.IndexSHA256 for what each covers).
type DataFingerprint struct {
	// Source hashes the bytes the source is read from.
	Source string `json:"source_sha256"`
	// Labels hashes the labels file (data.labels), when the run has one.
	Labels string `json:"labels_sha256,omitempty"`
	// Split hashes which examples went to the train, val and test splits.
	Split string `json:"split_sha256"`
}

// DataFingerprint is the fingerprint of the data the run's last stretch
// of training saw: that of the last resumption that recorded one (a run
// resumed on purpose on changed data, or one written before fingerprints),
// else the run's own; nil when the run records none.
func (m *Meta) DataFingerprint() *DataFingerprint {
	if m == nil {
		return nil
	}
	for i := len(m.Resumed) - 1; i >= 0; i-- {
		if f := m.Resumed[i].DataFingerprint; f != nil {
			return f
		}
	}
	if m.Data == nil {
		return nil
	}
	return m.Data.Fingerprint
}

// Resumption is one continuation of a run.
type Resumption struct {
	At      time.Time `json:"at"`
	Command []string  `json:"command"`
	// Changes are the settings the continuation changed (more epochs,
	// another patience), config keys as in config.yaml.
	Changes []Change `json:"changes,omitempty"`
	// DataFingerprint is the fingerprint of the data the continuation
	// trained on, when it is not the one the run recorded before (data
	// changed and allowed, or a run that recorded none).
	DataFingerprint *DataFingerprint `json:"data_fingerprint,omitempty"`
}

// Change is a setting a resumption changed.
type Change struct {
	Key  string `json:"key"`
	From any    `json:"from"`
	To   any    `json:"to"`
}

// NewMeta fills the build and machine facts of a run starting now; kernel
// names the matrix multiply in use.
func NewMeta(seed uint64, args []string, now time.Time, kernel string) Meta {
	return Meta{Version: Version, GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH,
		CPUs: runtime.NumCPU(), Seed: seed, GitCommit: BuildRevision(), WorkingDirGitCommit: workingDirGitCommit(),
		Command: args, Start: now, Kernel: kernel}
}

// BuildRevision is the VCS revision Practica's binary was built from,
// with +dirty when the checkout had uncommitted changes, or "" when the
// build recorded none (go test, -buildvcs=false, a build outside a
// checkout).
func BuildRevision() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	rev, _ := Revision(bi)
	return rev
}

// Revision reads the VCS revision of a build (with +dirty when
// vcs.modified) and its time from its build settings; both "" when the
// build recorded none.
func Revision(bi *debug.BuildInfo) (rev, at string) {
	var modified bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev != "" && modified {
		rev += "+dirty"
	}
	return rev, at
}

// workingDirGitCommit is the commit of the git checkout of the working
// directory, with +dirty when tracked files have changes, or "".
func workingDirGitCommit() string {
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
		c += "+dirty"
	}
	return c
}

// Summary is summary.json: how a run ended and its best epoch, whose weights
// are in checkpoints/best.ckpt.
type Summary struct {
	RunDir string `json:"run_dir"`
	// BestEpoch, ValLoss and ValAccuracy are the best epoch's, null when
	// no epoch finished (a loss that diverged at once, an early
	// interrupt): zeros would read as values.
	BestEpoch   *int     `json:"best_epoch"`
	ValLoss     *float64 `json:"val_loss"`
	ValAccuracy *float64 `json:"val_accuracy"`
	EpochsRun   int      `json:"epochs_run"`
	StopReason  string   `json:"stop_reason"`
	// Monitor is the metric that chose the best epoch.
	Monitor string `json:"monitor"`
	Steps   int64  `json:"steps"`
	// TestLoss and TestAccuracy are the best model's on the test split.
	TestLoss     *float64 `json:"test_loss,omitempty"`
	TestAccuracy *float64 `json:"test_accuracy,omitempty"`
	TestSize     int      `json:"test_size,omitempty"`
	// Temperature is the calibration temperature fitted on the validation
	// split and stored in best.ckpt (absent when none was fitted);
	// TestECEBefore and TestECEAfter are the test split's ECE without and
	// with it (calibration.json has the rest).
	Temperature   float64  `json:"temperature,omitempty"`
	TestECEBefore *float64 `json:"test_ece_before,omitempty"`
	TestECEAfter  *float64 `json:"test_ece_after,omitempty"`
	Seconds       float64  `json:"seconds"`
	Model         string   `json:"model"`
	Data          string   `json:"data"`
	Error         string   `json:"error,omitempty"`
	// StillImproving is true when the best epoch is the last one: the
	// monitored metric was still improving when training stopped, and more
	// epochs (or a larger learning rate) would likely help.
	StillImproving bool `json:"still_improving"`
	// Warnings are what the user should know before trusting the run
	// (splits too small to measure on, an untrustworthy temperature, a
	// model still improving).
	Warnings []string `json:"warnings,omitempty"`
}
