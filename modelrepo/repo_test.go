package modelrepo_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/experiment"
	"github.com/practica-ml/practica/internal/kerneltest"
	"github.com/practica-ml/practica/metrics"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/modelrepo"
	"github.com/practica-ml/practica/rundir"
)

// TestMain trains on the matrix multiply the commands install.
func TestMain(m *testing.M) { kerneltest.Main(m) }

// trainedRun trains a linear model on breast_cancer for two epochs, with
// its calibration, and returns its run directory.
func trainedRun(t *testing.T) string {
	t.Helper()
	cfg := config.Default()
	cfg.Data.Source = "../data/testdata/breast_cancer.csv"
	cfg.Model.Arch = model.Linear
	cfg.Training.Epochs, cfg.Training.Seed = 2, 3
	cfg.Calibration.Bootstrap = 20
	cfg.Output.Root = t.TempDir()
	sum, err := experiment.Train(context.Background(), cfg, experiment.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return sum.RunDir
}

// copyTree copies the regular files under src to a new directory.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// cardJSON is a card's JSON with the given fields blanked, for comparing
// cards that differ in those alone.
func cardJSON(t *testing.T, c *modelrepo.Card, blank ...string) string {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range blank {
		if k == "train_split_sha256" {
			delete(m["data"].(map[string]any), k)
			continue
		}
		delete(m, k)
	}
	b, _ = json.Marshal(m)
	return string(b)
}

// TestBuildCard: the card of a real run's checkpoint holds the values of
// its summary.json, meta.json, config.yaml and checkpoint; its sha256 is
// that of the file; only best.ckpt, which the summary scores, gets test
// metrics; and the card train wrote differs from it by the training
// split's hash alone.
func TestBuildCard(t *testing.T) {
	run := trainedRun(t)
	var meta rundir.Meta
	var sum rundir.Summary
	readJSON(t, filepath.Join(run, rundir.MetaFile), &meta)
	readJSON(t, filepath.Join(run, rundir.SummaryFile), &sum)
	cfg, err := config.Load(filepath.Join(run, rundir.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	noSummary := copyTree(t, run)
	if err := os.Remove(filepath.Join(noSummary, rundir.SummaryFile)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		run        string
		checkpoint string // as given to BuildCard
		want       string // the card's checkpoint
		test       bool
	}{
		{"best.ckpt", run, "", rundir.BestCheckpoint, true},
		{"best.ckpt by its path", run, filepath.Join(run, rundir.BestCheckpoint), rundir.BestCheckpoint, true},
		{"last.ckpt", run, filepath.Join(run, rundir.LastCheckpoint), rundir.LastCheckpoint, false},
		{"a run without summary.json", noSummary, "", rundir.BestCheckpoint, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			card, err := modelrepo.BuildCard(c.run, c.checkpoint)
			if err != nil {
				t.Fatal(err)
			}
			ckptPath := filepath.Join(c.run, c.want)
			ck, err := model.LoadCheckpoint(ckptPath)
			if err != nil {
				t.Fatal(err)
			}
			if card.Name != filepath.Base(c.run) || card.Version != 0 || card.Checkpoint != c.want || card.Run != c.run {
				t.Errorf("name %q, version %d, checkpoint %q, run %q", card.Name, card.Version, card.Checkpoint, card.Run)
			}
			if want := fileSHA256(t, ckptPath); card.SHA256 != want {
				t.Errorf("sha256 %s, want %s", card.SHA256, want)
			}
			if !card.Created.Equal(meta.End) || card.PracticaVersion != rundir.Version || card.PracticaVersion != meta.Version || card.GitCommit != meta.GitCommit {
				t.Errorf("created %v (meta end %v), version %q, commit %q (meta %q)", card.Created, meta.End, card.PracticaVersion, card.GitCommit, meta.GitCommit)
			}
			if card.Data == nil || card.Data.Source != "../data/testdata/breast_cancer.csv" || !reflect.DeepEqual(card.Data.Fingerprint, meta.Data.Fingerprint) || card.Data.TrainSplitSHA256 != "" {
				t.Errorf("data %+v, meta.json's %+v", card.Data, meta.Data)
			}
			if !reflect.DeepEqual(card.Input, ck.Input) || len(card.Input.FeatureNames) != 30 || !slices.Equal(card.Classes, []string{"benign", "malignant"}) {
				t.Errorf("input %+v, classes %v", card.Input, card.Classes)
			}
			if card.Temperature != ck.Temperature || !(card.Temperature > 0) {
				t.Errorf("temperature %v, the checkpoint's %v", card.Temperature, ck.Temperature)
			}
			training := card.Config["training"].(map[string]any)
			if card.Config["data"].(map[string]any)["source"] != cfg.Data.Source || training["seed"] != 3 || training["epochs"] != 2 {
				t.Errorf("config %v", card.Config)
			}
			if !c.test {
				if card.Test != nil {
					t.Errorf("test metrics %+v, want none", card.Test)
				}
				return
			}
			if card.Temperature != sum.Temperature {
				t.Errorf("temperature %v, summary.json's %v", card.Temperature, sum.Temperature)
			}
			tm := card.Test
			if tm == nil || tm.N != 57 || tm.N != sum.TestSize || tm.Accuracy != *sum.TestAccuracy || tm.Loss != *sum.TestLoss ||
				*tm.ECEBefore != *sum.TestECEBefore || *tm.ECEAfter != *sum.TestECEAfter {
				t.Fatalf("test %+v, summary.json %+v", tm, sum)
			}
			correct := int(math.Round(tm.Accuracy * 57))
			lo, hi := metrics.Wilson(correct, 57, metrics.Z95)
			if tm.AccuracyCI95 != [2]float64{lo, hi} || !(lo < tm.Accuracy && tm.Accuracy < hi) || float64(correct)/57 != tm.Accuracy {
				t.Errorf("accuracy %v (%d of 57), interval %v, want [%v %v]", tm.Accuracy, correct, tm.AccuracyCI95, lo, hi)
			}
			written, err := modelrepo.ReadCard(c.run)
			if err != nil {
				t.Fatal(err)
			}
			if written.Data.TrainSplitSHA256 == "" || cardJSON(t, written, "train_split_sha256") != cardJSON(t, card, "train_split_sha256") {
				t.Errorf("train's model.json differs from the built card:\n%s\n%s", cardJSON(t, written), cardJSON(t, card))
			}
		})
	}
}

// TestExport: exporting twice makes versions 1 and 2, each a copy of
// best.ckpt with the run's card, its name, version, checkpoint and
// sha256 filled in; a run without a card, or with one that describes
// other bytes, gets a card built from its files.
func TestExport(t *testing.T) {
	run := trainedRun(t)
	runCard, err := modelrepo.ReadCard(run)
	if err != nil {
		t.Fatal(err)
	}
	best, err := os.ReadFile(filepath.Join(run, rundir.BestCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	withoutCard := copyTree(t, run)
	os.Remove(filepath.Join(withoutCard, modelrepo.CardFile))
	stale := copyTree(t, run)
	staleCard := *runCard
	staleCard.SHA256 = strings.Repeat("0", 64)
	if err := modelrepo.WriteCard(stale, &staleCard); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		run       string
		modelName string
		want      string // the model's name in the repository
		// splitHash says whether the card keeps train's training split hash.
		splitHash bool
	}{
		{"default name", run, "", filepath.Base(run), true},
		{"named", run, "bc", "bc", true},
		{"a run without model.json", withoutCard, "bc", "bc", false},
		{"a stale model.json", stale, "bc", "bc", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			for want := 1; want <= 2; want++ {
				v, err := modelrepo.Export(root, c.run, "", c.modelName)
				if err != nil {
					t.Fatal(err)
				}
				dir := filepath.Join(root, c.want, []string{"", "1", "2"}[want])
				if v.Name != c.want || v.Version != want || v.Dir != dir || v.CheckpointPath() != filepath.Join(dir, "model.ckpt") {
					t.Fatalf("export %d: %s version %d in %s", want, v.Name, v.Version, v.Dir)
				}
				copied, err := os.ReadFile(v.CheckpointPath())
				if err != nil || !bytes.Equal(copied, best) {
					t.Fatalf("model.ckpt is not best.ckpt (%v)", err)
				}
				card, err := modelrepo.ReadCard(dir)
				if err != nil {
					t.Fatal(err)
				}
				if card.Name != c.want || card.Version != want || card.Checkpoint != "model.ckpt" || card.SHA256 != fileSHA256(t, v.CheckpointPath()) || card.Run != c.run {
					t.Errorf("card: name %q, version %d, checkpoint %q, sha256 %s, run %s", card.Name, card.Version, card.Checkpoint, card.SHA256, card.Run)
				}
				if cardJSON(t, card) != cardJSON(t, v.Card) {
					t.Errorf("the card returned differs from the one written:\n%s\n%s", cardJSON(t, v.Card), cardJSON(t, card))
				}
				if (card.Data.TrainSplitSHA256 == runCard.Data.TrainSplitSHA256) != c.splitHash {
					t.Errorf("train_split_sha256 %q, the run's %q", card.Data.TrainSplitSHA256, runCard.Data.TrainSplitSHA256)
				}
				blank := []string{"name", "version", "checkpoint", "run", "train_split_sha256"}
				if cardJSON(t, card, blank...) != cardJSON(t, runCard, blank...) {
					t.Errorf("card differs from the run's beyond its name, version, checkpoint and run:\n%s\n%s", cardJSON(t, card, blank...), cardJSON(t, runCard, blank...))
				}
				if err := v.Verify(); err != nil {
					t.Error(err)
				}
			}
			assertNoTemps(t, root)
		})
	}
}

// assertNoTemps fails when an export left a hidden directory in root.
func assertNoTemps(t *testing.T, root string) {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(root, "*", ".tmp-*"))
	if err != nil || len(matches) > 0 {
		t.Errorf("temporary directories left: %v (%v)", matches, err)
	}
}

// TestExportRefuses: a bad name, a missing run or a corrupt checkpoint
// is an error naming what is wrong, and leaves no version behind.
func TestExportRefuses(t *testing.T) {
	run := trainedRun(t)
	junk := filepath.Join(t.TempDir(), "junk.ckpt")
	if err := os.WriteFile(junk, []byte("not a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, run, checkpoint, modelName string
		want                             string
	}{
		{"a name with a slash", run, "", "../x", `the model name "../x" is not a letter or digit`},
		{"a missing run", filepath.Join(run, "nope"), "", "m", "run directory: stat " + filepath.Join(run, "nope")},
		{"a missing checkpoint", run, filepath.Join(run, "nope.ckpt"), "m", filepath.Join(run, "nope.ckpt")},
		{"a corrupt checkpoint", run, junk, "m", junk + ": not a Practica checkpoint"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			_, err := modelrepo.Export(root, c.run, c.checkpoint, c.modelName)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("%v, want an error containing %q", err, c.want)
			}
			versions, _ := filepath.Glob(filepath.Join(root, "*", "*"))
			hidden, _ := filepath.Glob(filepath.Join(root, "*", ".*"))
			if len(versions)+len(hidden) > 0 {
				t.Errorf("left %v %v", versions, hidden)
			}
		})
	}
}

// TestVerifyTamperedCheckpoint: one byte flipped in model.ckpt fails
// Verify and ReadCheckpoint with the file and both hashes named.
func TestVerifyTamperedCheckpoint(t *testing.T) {
	run := trainedRun(t)
	v, err := modelrepo.Export(t.TempDir(), run, "", "bc")
	if err != nil {
		t.Fatal(err)
	}
	path := v.CheckpointPath()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []int{0, len(b) / 2, len(b) - 1} {
		tampered := bytes.Clone(b)
		tampered[at] ^= 1
		if err := os.WriteFile(path, tampered, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(tampered)
		want := "checkpoint " + path + " has sha256 " + hex.EncodeToString(sum[:]) + ", its model.json says " + v.Card.SHA256
		if err := v.Verify(); err == nil || err.Error() != want {
			t.Errorf("byte %d flipped: Verify: %v, want %q", at, err, want)
		}
		if got, err := v.ReadCheckpoint(); err == nil || err.Error() != want || got != nil {
			t.Errorf("byte %d flipped: ReadCheckpoint: %d bytes, %v, want %q", at, len(got), err, want)
		}
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(); err != nil {
		t.Errorf("restored: %v", err)
	}
	if got, err := v.ReadCheckpoint(); err != nil || !bytes.Equal(got, b) {
		t.Errorf("restored: ReadCheckpoint: %d bytes (want %d), %v", len(got), len(b), err)
	}
}

// TestScan: a repository with good versions and every kind of bad entry
// lists the good ones in order and reports each bad one by its path;
// hidden entries and plain files are skipped.
func TestScan(t *testing.T) {
	run := trainedRun(t)
	root := t.TempDir()
	for _, name := range []string{"a", "b", "a", "c", "b"} {
		if _, err := modelrepo.Export(root, run, "", name); err != nil {
			t.Fatal(err)
		}
	}
	good := filepath.Join(root, "a", "1")
	cp := func(dst string) string {
		t.Helper()
		p := filepath.Join(root, dst)
		if err := os.Rename(copyTree(t, good), p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write := func(path, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Skipped: hidden entries, plain files.
	write(filepath.Join(root, "a", ".tmp-123", "model.json"), "half")
	write(filepath.Join(root, ".git", "1", "model.json"), "{}")
	write(filepath.Join(root, "README"), "models")
	write(filepath.Join(root, "a", "notes.txt"), "v1 is the first")
	// Reported.
	cp("a/01")
	cp("c/3")
	write(filepath.Join(root, "a", "latest", "model.json"), "{}")
	os.MkdirAll(filepath.Join(root, "b", "4"), 0o755)
	write(filepath.Join(root, "b", "5", "model.json"), `{"name": "b",`)
	os.Remove(filepath.Join(root, "b", "2", "model.ckpt"))
	os.MkdirAll(filepath.Join(root, "bad name", "1"), 0o755)
	// c's only good version is renamed to d: the card says c.
	if err := os.Rename(filepath.Join(root, "c"), filepath.Join(root, "d")); err != nil {
		t.Fatal(err)
	}

	versions, err := modelrepo.Scan(root)
	var got []string
	for _, v := range versions {
		got = append(got, v.Name+"/"+filepath.Base(v.Dir))
		if v.Card == nil || v.Card.Name != v.Name || v.Card.Version != v.Version || v.Dir != filepath.Join(root, v.Name, filepath.Base(v.Dir)) {
			t.Errorf("%s: %+v", v.Dir, v)
		}
		if err := v.Verify(); err != nil {
			t.Error(err)
		}
	}
	if want := []string{"a/1", "a/2", "b/1"}; !slices.Equal(got, want) {
		t.Errorf("versions %v, want %v", got, want)
	}
	if err == nil {
		t.Fatal("no error for the bad entries")
	}
	bad := []struct{ path, why string }{
		{"a/01", `not "01"`},
		{"a/latest", `not "latest"`},
		{"b/4/model.json", "no such file"},
		{"b/5/model.json", "unexpected EOF"},
		{"b/2/model.json", "its checkpoint " + filepath.Join(root, "b", "2", "model.ckpt") + " is missing"},
		{"d/1/model.json", `the card says name "c", version 1; its path says name "d", version 1`},
		{"d/3/model.json", `the card says name "a", version 1; its path says name "d", version 3`},
		{"bad name", "is not a letter or digit"},
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(bad) {
		t.Errorf("%d errors, want %d:\n%v", len(lines), len(bad), err)
	}
	for _, b := range bad {
		path := filepath.Join(root, filepath.FromSlash(b.path))
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, path) && strings.Contains(l, b.why) }) {
			t.Errorf("no error names %s (%s):\n%v", path, b.why, err)
		}
	}
}

// TestScanWithoutModels: a repository that cannot be read or holds no
// good version is an error, with no versions.
func TestScanWithoutModels(t *testing.T) {
	empty := t.TempDir()
	onlyBad := t.TempDir()
	os.MkdirAll(filepath.Join(onlyBad, "m", "x"), 0o755)
	os.MkdirAll(filepath.Join(onlyBad, "n", ".tmp-1"), 0o755)
	cases := []struct {
		name, root string
		want       []string
	}{
		{"missing", filepath.Join(empty, "nope"), []string{"model repository: open " + filepath.Join(empty, "nope") + ": no such file"}},
		{"empty", empty, []string{"model repository " + empty + " holds no model"}},
		{"only bad versions", onlyBad, []string{filepath.Join(onlyBad, "m", "x") + ": a version directory is named by a positive integer", "holds no model"}},
	}
	for _, c := range cases {
		versions, err := modelrepo.Scan(c.root)
		if len(versions) != 0 || err == nil {
			t.Errorf("%s: %d versions, error %v", c.name, len(versions), err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v, want %q", c.name, err, w)
			}
		}
	}
}

// TestConcurrentExports: exporters racing for the same model each get a
// version of their own, every number from 1 up, and leave no temporary
// directory.
func TestConcurrentExports(t *testing.T) {
	run := trainedRun(t)
	root := t.TempDir()
	const exporters, each = 4, 3
	var mu sync.Mutex
	var got []int
	var wg sync.WaitGroup
	errs := make(chan error, exporters*each)
	for range exporters {
		wg.Go(func() {
			for range each {
				v, err := modelrepo.Export(root, run, "", "m")
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				got = append(got, v.Version)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	slices.Sort(got)
	if want := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}; !slices.Equal(got, want) {
		t.Errorf("versions %v, want %v", got, want)
	}
	versions, err := modelrepo.Scan(root)
	if err != nil || len(versions) != exporters*each {
		t.Errorf("Scan: %d versions, %v", len(versions), err)
	}
	for _, v := range versions {
		if err := v.Verify(); err != nil {
			t.Error(err)
		}
	}
	assertNoTemps(t, root)
}
