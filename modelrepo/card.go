package modelrepo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/practica-ml/practica/internal/atomicfile"
	"github.com/practica-ml/practica/metrics"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/rundir"
)

// CardFile is the model card's file name, in a run directory and in each
// version of a repository.
const CardFile = "model.json"

// CheckpointFile is the checkpoint's file name in a repository version.
const CheckpointFile = "model.ckpt"

// Card is a model card: model.json. Its JSON keys are a contract with
// the servers and clients that read it.
type Card struct {
	// Name is the model's name: its directory in a repository, the run
	// directory's base name in a run.
	Name string `json:"name"`
	// Version is the repository version; absent in a run directory.
	Version int `json:"version,omitempty"`
	// Checkpoint is the checkpoint's path relative to the card's
	// directory, slash-separated: checkpoints/best.ckpt in a run
	// directory, model.ckpt in a repository version. BuildCard gives an
	// absolute path for a checkpoint outside the run directory, which no
	// card file may hold.
	Checkpoint string `json:"checkpoint"`
	// SHA256 is the hex SHA-256 of the checkpoint file's bytes.
	SHA256 string `json:"sha256"`
	// Created is when the model was made: the end time in the run's
	// meta.json (the checkpoint's modification time for a run that has
	// none), RFC 3339.
	Created time.Time `json:"created"`
	// PracticaVersion and GitCommit are those of the build that trained
	// the model, as its run's meta.json records them.
	PracticaVersion string `json:"practica_version"`
	GitCommit       string `json:"git_commit,omitempty"`
	// Run is the absolute path of the run directory the model came from.
	Run string `json:"run"`
	// Data is what the model was trained on; nil for a run that recorded
	// nothing about its data.
	Data *Data `json:"data,omitempty"`
	// Input is the input schema stored with the checkpoint: what a client
	// must send and how the server converts it.
	Input   model.InputSchema `json:"input"`
	Classes []string          `json:"classes"`
	// Temperature is the calibration temperature the server applies,
	// probabilities = softmax(logits / T); 1 when the checkpoint has none.
	Temperature float64 `json:"temperature"`
	// Test is the model's score on its run's test split; nil when the
	// run has none (no test split, an end never written, or a checkpoint
	// other than best.ckpt, which the run did not score).
	Test *Test `json:"test,omitempty"`
	// Config is the run's config.yaml as a JSON object.
	Config map[string]any `json:"config"`
	// InitFrom and Freeze are, for a fine-tuned model, its run's
	// meta.json records of where its initial weights came from (the run,
	// the checkpoint and its sha256, the parameters loaded and not) and
	// of the parameters kept fixed; absent for a model trained from
	// scratch.
	InitFrom *rundir.InitFrom `json:"init_from,omitempty"`
	Freeze   *rundir.Freeze   `json:"freeze,omitempty"`
}

// Data is the data a model was trained on: the data block of its run's
// meta.json (source and labels as typed, and the fingerprint of the data
// its last stretch of training saw), and TrainSplitSHA256.
type Data struct {
	rundir.Data
	// TrainSplitSHA256 hashes the training split's raw examples and
	// labels, as read from the source (data.SplitSHA256); train records
	// it, and a card built later from a run's files (BuildCard) has none.
	TrainSplitSHA256 string `json:"train_split_sha256,omitempty"`
}

// Test is a model's score on its run's test split, under the keys
// eval's metrics.json uses for the same numbers.
type Test struct {
	N        int     `json:"n"`
	Accuracy float64 `json:"accuracy"`
	// AccuracyCI95 is the 95% Wilson interval of Accuracy.
	AccuracyCI95 [2]float64 `json:"accuracy_ci95"`
	Loss         float64    `json:"loss"`
	// ECEBefore and ECEAfter are the expected calibration error without
	// and with the temperature; absent when the run fitted none.
	ECEBefore *float64 `json:"ece_before,omitempty"`
	ECEAfter  *float64 `json:"ece_after,omitempty"`
}

// sha256Hex is the hex SHA-256 of b, as sha256sum prints it.
func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Source is what NewCard builds a card from: a run's records, read from
// its files or, at the end of training, about to be written.
type Source struct {
	// RunDir is the run directory.
	RunDir string
	// Meta is the run's meta.json.
	Meta *rundir.Meta
	// Summary is the run's summary.json; nil when the run has none.
	Summary *rundir.Summary
	// ConfigYAML is the run's config.yaml.
	ConfigYAML []byte
	// CheckpointPath is the checkpoint's file and Checkpoint its bytes.
	CheckpointPath string
	Checkpoint     []byte
}

// NewCard builds the card of a run's checkpoint. The card's name is the
// run directory's base name and it has no version. Its test metrics are
// the summary's when the checkpoint is the run's best.ckpt, which the
// summary scores. An error names the file that is wrong.
func NewCard(s Source) (*Card, error) {
	runDir, err := filepath.Abs(s.RunDir)
	if err != nil {
		return nil, err
	}
	ckptPath, err := filepath.Abs(s.CheckpointPath)
	if err != nil {
		return nil, err
	}
	if s.Meta == nil {
		return nil, fmt.Errorf("run %s: no %s to build a model card from", runDir, rundir.MetaFile)
	}
	ck, err := model.UnmarshalCheckpoint(s.Checkpoint)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ckptPath, err)
	}
	cfg, err := configObject(s.ConfigYAML)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(runDir, rundir.ConfigFile), err)
	}
	c := &Card{
		Name: filepath.Base(runDir), Checkpoint: relativeTo(runDir, ckptPath), SHA256: sha256Hex(s.Checkpoint),
		Created: s.Meta.End, PracticaVersion: s.Meta.Version, GitCommit: s.Meta.GitCommit, Run: runDir,
		Input: ck.Input, Classes: ck.Classes, Temperature: ck.Temperature, Config: cfg,
		InitFrom: s.Meta.InitFrom, Freeze: s.Meta.Freeze,
	}
	if c.Temperature == 0 {
		c.Temperature = 1
	}
	if d := s.Meta.Data; d != nil {
		c.Data = &Data{Data: rundir.Data{Source: d.Source, Labels: d.Labels, Labeled: d.Labeled, Unlabeled: d.Unlabeled, Fingerprint: s.Meta.DataFingerprint()}}
	}
	if ckptPath == filepath.Join(runDir, filepath.FromSlash(rundir.BestCheckpoint)) {
		c.Test = testMetrics(s.Summary)
	}
	return c, nil
}

// testMetrics are a summary's test metrics, nil when it has none.
func testMetrics(s *rundir.Summary) *Test {
	if s == nil || s.TestAccuracy == nil || s.TestSize <= 0 {
		return nil
	}
	t := &Test{N: s.TestSize, Accuracy: *s.TestAccuracy, ECEBefore: s.TestECEBefore, ECEAfter: s.TestECEAfter}
	if s.TestLoss != nil {
		t.Loss = *s.TestLoss
	}
	// The accuracy is correct/n, so rounding recovers the count exactly.
	correct := int(math.Round(t.Accuracy * float64(t.N)))
	t.AccuracyCI95[0], t.AccuracyCI95[1] = metrics.Wilson(correct, t.N, metrics.Z95)
	return t
}

// relativeTo is path relative to dir, slash-separated, when it lies
// inside dir, else path itself.
func relativeTo(dir, path string) string {
	rel, err := filepath.Rel(dir, path)
	if err != nil || !filepath.IsLocal(rel) {
		return path
	}
	return filepath.ToSlash(rel)
}

// configObject decodes a config.yaml into a JSON-ready object.
func configObject(b []byte) (map[string]any, error) {
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("no settings: want the run's resolved config")
	}
	return m, nil
}

// BuildCard builds the card of a run's checkpoint (best.ckpt when
// checkpoint is "") from the run's files: meta.json (required),
// summary.json (when present), config.yaml and the checkpoint's bytes.
// See NewCard.
func BuildCard(runDir, checkpoint string) (*Card, error) {
	dir, err := rundir.Open(runDir)
	if err != nil {
		return nil, err
	}
	if checkpoint == "" {
		checkpoint = dir.Join(rundir.BestCheckpoint)
	}
	b, err := os.ReadFile(checkpoint)
	if err != nil {
		return nil, err
	}
	return buildCard(dir, checkpoint, b)
}

// buildCard is BuildCard on a checkpoint already read.
func buildCard(dir *rundir.Dir, checkpoint string, b []byte) (*Card, error) {
	var meta rundir.Meta
	if err := dir.ReadJSON(rundir.MetaFile, &meta); err != nil {
		return nil, err
	}
	var sum *rundir.Summary
	switch err := dir.ReadJSON(rundir.SummaryFile, &sum); {
	case errors.Is(err, fs.ErrNotExist):
		sum = nil
	case err != nil:
		return nil, err
	}
	cfg, err := os.ReadFile(dir.Join(rundir.ConfigFile))
	if err != nil {
		return nil, err
	}
	c, err := NewCard(Source{RunDir: dir.Path, Meta: &meta, Summary: sum, ConfigYAML: cfg, CheckpointPath: checkpoint, Checkpoint: b})
	if err != nil {
		return nil, err
	}
	if c.Created.IsZero() {
		// A run killed before its end recorded no end time.
		st, err := os.Stat(checkpoint)
		if err != nil {
			return nil, err
		}
		c.Created = st.ModTime()
	}
	return c, nil
}

// ReadCard reads the card in dir. An error names the file and what is
// wrong with it.
func ReadCard(dir string) (*Card, error) {
	path := filepath.Join(dir, CardFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := parseCard(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// WriteCard writes c into dir as model.json, atomically, after checking
// it as ReadCard would.
func WriteCard(dir string, c *Card) error {
	path := filepath.Join(dir, CardFile)
	if err := c.check(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return atomicfile.Write(path, append(b, '\n'))
}

// parseCard decodes and checks a model.json.
func parseCard(b []byte) (*Card, error) {
	var c Card
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return &c, nil
}

var hexSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// check reports the first field of c that no card may hold.
func (c *Card) check() error {
	switch {
	case c.Name == "":
		return errors.New("name is empty")
	case c.Version < 0:
		return fmt.Errorf("version must be a positive integer, got %d", c.Version)
	case c.Checkpoint == "" || !filepath.IsLocal(filepath.FromSlash(c.Checkpoint)):
		return fmt.Errorf("checkpoint must be a file name relative to the card's directory, inside it, got %q", c.Checkpoint)
	case !hexSHA256.MatchString(c.SHA256):
		return fmt.Errorf("sha256 must be 64 lowercase hex digits, got %q", c.SHA256)
	case len(c.Classes) == 0:
		return errors.New("classes is empty")
	case len(c.Input.Shape) == 0:
		return errors.New("input.shape is empty")
	}
	return nil
}
