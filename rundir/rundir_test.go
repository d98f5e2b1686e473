package rundir

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
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
		if _, err := os.Stat(d.Join(CheckpointsDir)); err != nil {
			t.Error(err)
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
	s := Summary{RunDir: d.Path, BestEpoch: 3, ValLoss: 0.25, ValAccuracy: 0.9, EpochsRun: 5, StopReason: "max-epochs", StillImproving: true, Warnings: []string{"w"}}
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
