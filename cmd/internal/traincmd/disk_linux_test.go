package traincmd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/practica-ml/practica/rundir"
)

// mountTmpfs mounts a tmpfs of the given size (e.g. "3m") with flags
// (syscall.MS_RDONLY) on a new temporary directory, unmounted when the test
// ends. It skips the test, saying why, where mounting is not permitted
// (not root, or a container without CAP_SYS_ADMIN).
func mountTmpfs(t *testing.T, size string, flags uintptr) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", flags, "size="+size); err != nil {
		t.Skipf("cannot mount a %s tmpfs on %s (%v): mounting needs root with CAP_SYS_ADMIN", size, dir, err)
	}
	// Registered after t.TempDir's removal, so it runs before it.
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
	})
	return dir
}

// tree lists every path under root (relative), to compare before and after.
func tree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// errorLines splits train's stderr into log lines (slog's "time=...") and
// the rest, which must be the one error line.
func errorLines(stderr string) (logs, rest []string) {
	for _, l := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		if strings.HasPrefix(l, "time=") {
			logs = append(logs, l)
		} else if l != "" {
			rest = append(rest, l)
		}
	}
	return logs, rest
}

// TestUnwritableOutputFailsBeforeTraining: an output root that cannot be
// created or written ends the run before any training, with one error
// line naming the path and its problem and exit status 1, and leaves the
// file system as it was. The tests run as root in CI, where permission
// bits stop nothing, so "read-only" is a read-only tmpfs (or, when
// mounting is not permitted, a mode 0555 directory for a non-root user).
func TestUnwritableOutputFailsBeforeTraining(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, []byte("not a directory\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 300)
	type tc struct {
		name, out string
		// want are substrings of the error line.
		want []string
		// root is the directory that must look the same afterwards.
		root string
	}
	cases := []tc{
		{"root is a regular file", file, []string{"creating the runs directory " + file, "not a directory"}, tmp},
		{"root under a regular file", filepath.Join(file, "runs"), []string{"creating the runs directory " + filepath.Join(file, "runs"), "mkdir " + file + ": not a directory"}, tmp},
		// The two new parents are made before the third name fails: they
		// must be removed again.
		{"name too long", filepath.Join(tmp, "new", "parents", long), []string{"creating the runs directory", "file name too long"}, tmp},
	}
	readOnly := func(t *testing.T) (string, string) {
		if os.Geteuid() != 0 {
			dir := t.TempDir()
			if err := os.Chmod(dir, 0o555); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(dir, 0o755) })
			return dir, "permission denied"
		}
		return mountTmpfs(t, "1m", syscall.MS_RDONLY), "read-only file system"
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkUnwritable(t, c.out, c.root, c.want) })
	}
	t.Run("read-only root", func(t *testing.T) {
		ro, cause := readOnly(t)
		checkUnwritable(t, ro, ro, []string{"creating the run directory: mkdir " + ro + "/", cause})
	})
	t.Run("root to make in a read-only directory", func(t *testing.T) {
		ro, cause := readOnly(t)
		out := filepath.Join(ro, "runs")
		checkUnwritable(t, out, ro, []string{"creating the runs directory " + out, "mkdir " + out + ": " + cause})
	})
}

func checkUnwritable(t *testing.T, out, root string, want []string) {
	t.Helper()
	before := tree(t, root)
	stderr, err := runTrain(t, "--data", "digits", "--model", "mlp", "--epochs", "1", "--out", out)
	var ee interface{ ExitCode() int }
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1\n%s", err, stderr)
	}
	logs, rest := errorLines(stderr)
	if len(rest) != 1 || !strings.HasPrefix(rest[0], "train: ") {
		t.Fatalf("want one error line, got:\n%s", stderr)
	}
	for _, w := range want {
		if !strings.Contains(rest[0], w) {
			t.Errorf("error line %q lacks %q", rest[0], w)
		}
	}
	for _, l := range logs {
		if strings.Contains(l, "msg=training") {
			t.Errorf("training started: %s", l)
		}
	}
	if after := tree(t, root); !slices.Equal(before, after) {
		t.Errorf("%s changed:\nbefore %v\nafter  %v", root, before, after)
	}
	t.Logf("%s", rest[0])
}

// TestDiskFull trains into a tmpfs that fills up during training: the run
// must end with exit 1 and one error line naming the file and "no space
// left on device", leave every file complete (the last checkpoint that
// fit loads, no temporary file remains), and, once there is room again,
// train --resume must finish it exactly as a run that never ran out of
// space. A disk already full at the start fails before training and leaves
// nothing behind.
func TestDiskFull(t *testing.T) {
	args := []string{"--data", "digits", "--model", "mlp", "--hidden", "256,256", "--epochs", "4", "--batch-size", "64", "-q"}
	refRoot := filepath.Join(t.TempDir(), "reference")
	if out, err := runTrain(t, append(args, "--out", refRoot)...); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	refDir := findRunDir(t, refRoot)
	ref := readResult(t, refDir)
	st, err := os.Stat(filepath.Join(refDir, rundir.LastCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	ckpt := st.Size()

	t.Run("during training", func(t *testing.T) {
		// Room for the first epoch's best.ckpt and last.ckpt and the small
		// files, not for the temporary file of the second epoch's first
		// checkpoint.
		size := fmt.Sprintf("%dk", (5*ckpt/2)>>10)
		mnt := mountTmpfs(t, size, 0)
		root := filepath.Join(mnt, "runs")
		stderr, err := runTrain(t, append(args, "--out", root)...)
		var ee interface{ ExitCode() int }
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("exit %v, want 1 (checkpoints of %d bytes, tmpfs of %s)\n%s", err, ckpt, size, stderr)
		}
		dir := findRunDir(t, root)
		_, rest := errorLines(stderr)
		if len(rest) != 1 || !strings.HasPrefix(rest[0], "train: writing "+dir+"/") || !strings.Contains(rest[0], ": no space left on device") {
			t.Fatalf("want one line naming the file and the full disk, got:\n%s", stderr)
		}
		t.Logf("%s", rest[0])
		got := checkRunDir(t, "after the disk filled", dir)
		if len(got.temps) > 0 || got.lastEpochs < 1 || got.summary != nil {
			t.Fatalf("after the disk filled: %+v", got)
		}
		t.Logf("last.ckpt holds %d of 4 epochs (checkpoints of %d bytes, tmpfs of %s)", got.lastEpochs, ckpt, size)
		if err := syscall.Mount("tmpfs", mnt, "tmpfs", syscall.MS_REMOUNT, "size=64m"); err != nil {
			t.Fatalf("growing the tmpfs: %v", err)
		}
		if out, err := runTrain(t, "--resume", dir, "-q"); err != nil {
			t.Fatalf("resume with room: %v\n%s", err, out)
		}
		if got := checkRunDir(t, "resumed", dir); len(got.temps) > 0 || got.summary == nil || got.summary.EpochsRun != 4 {
			t.Fatalf("resumed: %+v", got)
		}
		if d := readResult(t, dir).diff(ref); d != "" {
			t.Fatalf("the resumed run differs from one that had room:\n%s", d)
		}
	})

	t.Run("full at the start", func(t *testing.T) {
		mnt := mountTmpfs(t, "256k", 0)
		f, err := os.Create(filepath.Join(mnt, "filler"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.Write(make([]byte, 512<<10))
		f.Close()
		if !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("filling the tmpfs: %v", err)
		}
		before := tree(t, mnt)
		root := filepath.Join(mnt, "runs")
		stderr, err := runTrain(t, append(args, "--out", root)...)
		var ee interface{ ExitCode() int }
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("exit %v, want 1\n%s", err, stderr)
		}
		_, rest := errorLines(stderr)
		if len(rest) != 1 || !strings.HasPrefix(rest[0], "train: ") || !strings.Contains(rest[0], root) || !strings.Contains(rest[0], "no space left on device") {
			t.Fatalf("want one line naming the file and the full disk, got:\n%s", stderr)
		}
		t.Logf("%s", rest[0])
		if after := tree(t, mnt); !slices.Equal(before, after) {
			t.Errorf("the failed start left files behind:\nbefore %v\nafter  %v", before, after)
		}
	})
}
