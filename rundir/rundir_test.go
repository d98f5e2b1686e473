package rundir

import (
	"errors"
	"io/fs"
	"strings"

	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/practica-ml/practica/internal/atomicfile"
)

func TestCreateIsUniqueWithinASecond(t *testing.T) {
	root := t.TempDir()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		d, err := Create(root, "mlp digits", now)
		if err != nil {
			t.Fatal(err)
		}
		if seen[d.Path] {
			t.Fatalf("run directory %s handed out twice", d.Path)
		}
		seen[d.Path] = true
		if !filepath.IsAbs(d.Path) {
			t.Errorf("path %s is not absolute", d.Path)
		}
		if entries, err := os.ReadDir(d.Path); err != nil || len(entries) != 0 {
			t.Errorf("a new run directory holds %v (%v), want nothing", entries, err)
		}
	}
	want := filepath.Join(root, "20261125-120000-mlp-digits-2")
	if !seen[want] {
		t.Errorf("no %s among %v", want, seen)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	d, err := Create(t.TempDir(), "x", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s := Summary{RunDir: d.Path, BestEpoch: new(3), ValLoss: new(0.25), ValAccuracy: new(0.9), EpochsRun: 5, StopReason: "max-epochs", StillImproving: true, Warnings: []string{"w"}}
	if err := d.WriteJSON(SummaryFile, s); err != nil {
		t.Fatal(err)
	}
	var got Summary
	if err := d.ReadJSON(SummaryFile, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("got %+v, want %+v", got, s)
	}
}

// TestDiscardRemovesWhatCreateMade: a run that cannot start takes its
// directory and the parents Create made for it away, and nothing else.
func TestDiscardRemovesWhatCreateMade(t *testing.T) {
	tmp := t.TempDir()
	keep, err := Create(filepath.Join(tmp, "a"), "kept", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	d, err := Create(filepath.Join(tmp, "a", "b", "c"), "x", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Discard(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(tmp, "a"))
	if len(entries) != 1 || filepath.Join(tmp, "a", entries[0].Name()) != keep.Path {
		t.Fatalf("left in %s: %v", filepath.Join(tmp, "a"), entries)
	}
}

// TestFillNamesTheDirectoryOnlyOnceFilled: the identifying files are
// written under a hidden temporary name, so that a process killed
// meanwhile leaves no directory a command would take for a run; the run
// directory appears with them, and a failed write leaves nothing behind.
func TestFillNamesTheDirectoryOnlyOnceFilled(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	root := filepath.Join(t.TempDir(), "runs")
	var during []string
	d, err := Fill(root, "mlp", now, func(d *Dir) error {
		entries, err := os.ReadDir(root)
		if err != nil {
			return err
		}
		for _, e := range entries {
			during = append(during, e.Name())
		}
		if err := d.WriteFile(ConfigFile, []byte("seed: 1\n")); err != nil {
			return err
		}
		if _, err := Open(d.Path); err == nil || !strings.Contains(err.Error(), "killed before it got its name") {
			t.Errorf("opening the directory under its temporary name: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(during) != 1 || !atomicfile.IsTemp(during[0]) || !strings.HasPrefix(during[0], ".20261125-120000-mlp.tmp") {
		t.Errorf("while being filled, the runs directory held %v, want one hidden temporary directory", during)
	}
	if want := filepath.Join(root, "20261125-120000-mlp"); d.Path != want {
		t.Errorf("path %s, want %s", d.Path, want)
	}
	if b, err := os.ReadFile(d.Join(ConfigFile)); err != nil || string(b) != "seed: 1\n" {
		t.Errorf("config.yaml %q (%v)", b, err)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 1 {
		t.Errorf("the runs directory holds %v, want the run directory alone", entries)
	}

	failed := filepath.Join(t.TempDir(), "new", "runs")
	if _, err := Fill(failed, "x", now, func(*Dir) error { return errors.New("disk full") }); err == nil || err.Error() != "disk full" {
		t.Fatalf("a failed write: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(failed)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a failed start left %s behind (%v)", filepath.Dir(failed), err)
	}
}
