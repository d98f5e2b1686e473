// Package atomicfile writes files so that a reader never sees half of one:
// the bytes go to a temporary file in the same directory, are synced, and
// the temporary file is renamed over the target.
//
// A write that fails (a full disk, an I/O error) removes its temporary file
// and returns an error naming the target. A process killed outright
// (SIGKILL, a power cut) between creating the temporary file and renaming
// it cannot clean up: the temporary file stays, next to an intact target
// (the old version, or none). Temporary files are therefore named so that
// nothing mistakes them for the file: ".<name>.tmp<digits>", hidden, never
// a name any reader opens (IsTemp recognizes them). Whoever next owns the
// directory removes them with RemoveTemps (train --resume does, before it
// writes anything). Write itself leaves other temporary files alone: one
// may belong to a write still in progress in another process.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// tempPattern is what os.CreateTemp makes of "."+name+".tmp*".
var tempPattern = regexp.MustCompile(`^\..+\.tmp[0-9]+$`)

// IsTemp reports whether a file name (not a path) is one of Write's
// temporary files.
func IsTemp(name string) bool { return tempPattern.MatchString(name) }

// Write writes b to path atomically with mode 0644. An error names path
// (not the temporary file) and wraps the cause, so that errors.Is finds
// syscall.ENOSPC and the like.
func Write(path string, b []byte) error {
	// Renaming a file over a directory fails with a message about the
	// temporary file; say what is wrong instead, before writing anything.
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("writing %s: it is a directory, not a file", path)
	}
	dir := filepath.Dir(path)
	prefix := "." + filepath.Base(path) + ".tmp"
	f, err := os.CreateTemp(dir, prefix+"*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, withoutTemp(err, prefix))
	}
	tmp := f.Name()
	if _, err = f.Write(b); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, withoutTemp(err, prefix))
	}
	return nil
}

// withoutTemp drops the temporary file's name from an error about it
// ("write /run/.best.ckpt.tmp123: no space left on device"): the user
// never sees that file, and the message already names the target.
func withoutTemp(err error, prefix string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && strings.HasPrefix(filepath.Base(pe.Path), prefix) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) && strings.HasPrefix(filepath.Base(le.Old), prefix) {
		return fmt.Errorf("renaming the written file over it: %w", le.Err)
	}
	return err
}

// RemoveTemps removes the temporary files that writes into dir left
// behind when their process was killed, and returns the names it removed.
// Only the owner of dir may call it: a write in progress would lose its
// temporary file and fail.
func RemoveTemps(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if e.Type().IsRegular() && IsTemp(e.Name()) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
				continue
			}
			removed = append(removed, e.Name())
		}
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("removing temporary files in %s: %w", dir, err)
	}
	return removed, nil
}

// SyncDir flushes a directory's entries (a file renamed or created in it)
// to disk: after Write's rename, what makes the new name survive a power
// cut.
func SyncDir(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	return nil
}
