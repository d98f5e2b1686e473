package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteReplacesWholeAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.json")
	for _, content := range []string{"first", "second, longer"} {
		if err := Write(p, []byte(content)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != content {
			t.Fatalf("read %q, %v; want %q", got, err, content)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want 1 (no temporary files left)", len(entries))
	}
	if err := Write(filepath.Join(dir, "missing", "f"), []byte("x")); err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
}

// TestFailedWriteLeavesTargetAndNoTemp: a write that fails (here the
// rename, the target being a directory) leaves no temporary file and
// names the target, not the temporary file.
func TestFailedWriteLeavesTargetAndNoTemp(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "out.json")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	err := Write(target, []byte("x"))
	if err == nil || !strings.HasPrefix(err.Error(), "writing "+target+": ") || strings.Contains(err.Error(), ".tmp") {
		t.Fatalf("got %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only the target", len(entries))
	}
}

// TestRemoveTemps: what a killed Write leaves is recognized and removed;
// nothing else is, not even a name that merely looks alike.
func TestRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	f, err := os.CreateTemp(dir, ".best.ckpt.tmp*")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	keep := []string{"best.ckpt", ".hidden", "x.tmp1", ".x.tmp", ".x.tmpA"}
	for _, n := range keep {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !IsTemp(filepath.Base(f.Name())) {
		t.Fatalf("%s is not recognized", f.Name())
	}
	removed, err := RemoveTemps(dir)
	if err != nil || len(removed) != 1 || removed[0] != filepath.Base(f.Name()) {
		t.Fatalf("removed %v, %v", removed, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(keep) {
		t.Fatalf("%d entries left, want %d", len(entries), len(keep))
	}
}

// TestWriteOverDirectory: a directory in the target's place is an error of
// one line naming it, and the directory is left as it was.
func TestWriteOverDirectory(t *testing.T) {
	dir := t.TempDir()
	err := Write(dir, []byte("x"))
	if err == nil || err.Error() != "writing "+dir+": it is a directory, not a file" {
		t.Fatalf("error %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("left %v in the directory", entries)
	}
}
