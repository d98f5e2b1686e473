package modelrepo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/practica-ml/practica/internal/atomicfile"
	"github.com/practica-ml/practica/rundir"
)

// tempPrefix starts the hidden directory an export builds its version
// in; Scan skips it.
const tempPrefix = ".tmp-"

// maxRenameAttempts bounds the versions an export tries when other
// exporters keep taking the next number first.
const maxRenameAttempts = 1000

// Export copies a run's checkpoint (best.ckpt when checkpoint is "") into
// the repository root as the next version of the model name (the run
// directory's base name when name is ""), <root>/<name>/<version>/, with
// its card: the run's model.json when it describes those very bytes (its
// sha256 matches), else one built from the run's files (BuildCard), with
// the name and version filled in, checkpoint model.ckpt and the sha256
// of the bytes copied.
//
// The version is built in a hidden directory <root>/<name>/.tmp-* whose
// files and entries are synced to disk, then renamed to its number, so
// that no reader ever sees half a version. When another exporter takes
// that number first, the rename fails and the next number is tried. An
// export that fails removes its hidden directory; one killed outright
// leaves it behind, which Scan skips and anyone may remove while no
// export runs.
func Export(root, runDir, checkpoint, name string) (Version, error) {
	dir, err := rundir.Open(runDir)
	if err != nil {
		return Version{}, err
	}
	if name == "" {
		name = filepath.Base(dir.Path)
	}
	if err := CheckName(name); err != nil {
		return Version{}, err
	}
	if checkpoint == "" {
		checkpoint = dir.Join(rundir.BestCheckpoint)
	}
	b, err := os.ReadFile(checkpoint)
	if err != nil {
		return Version{}, err
	}
	card, err := runCard(dir, checkpoint, b)
	if err != nil {
		return Version{}, err
	}
	// The run directory may have moved since train wrote its card.
	card.Name, card.Checkpoint, card.Run = name, CheckpointFile, dir.Path
	root, err = filepath.Abs(root)
	if err != nil {
		return Version{}, err
	}
	modelDir := filepath.Join(root, name)
	if err := os.MkdirAll(modelDir, 0o755); err != nil {
		return Version{}, fmt.Errorf("model repository: %w", err)
	}
	tmp, err := os.MkdirTemp(modelDir, tempPrefix)
	if err != nil {
		return Version{}, fmt.Errorf("model repository: %w", err)
	}
	v, err := publish(tmp, modelDir, card, b)
	if err != nil {
		os.RemoveAll(tmp)
		return Version{}, err
	}
	return v, nil
}

// runCard is the card of the checkpoint b read from the run dir: the
// run's own model.json when it pins these bytes (train wrote it, with
// what only the end of training knows), else one built from the run's
// files (an older run, or a checkpoint the card does not describe).
func runCard(dir *rundir.Dir, checkpoint string, b []byte) (*Card, error) {
	if c, err := ReadCard(dir.Path); err == nil && c.SHA256 == sha256Hex(b) {
		return c, nil
	}
	return buildCard(dir, checkpoint, b)
}

// publish writes the checkpoint b and card into the empty directory tmp
// inside modelDir and renames tmp to the next free version number.
func publish(tmp, modelDir string, card *Card, b []byte) (Version, error) {
	// MkdirTemp makes the directory private; a server may run as another
	// user, and reads a version as it reads any model file.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return Version{}, err
	}
	card.SHA256 = sha256Hex(b)
	if err := atomicfile.Write(filepath.Join(tmp, CheckpointFile), b); err != nil {
		return Version{}, err
	}
	for range maxRenameAttempts {
		n, err := nextVersion(modelDir)
		if err != nil {
			return Version{}, err
		}
		card.Version = n
		if err := WriteCard(tmp, card); err != nil {
			return Version{}, err
		}
		if err := atomicfile.SyncDir(tmp); err != nil {
			return Version{}, err
		}
		target := filepath.Join(modelDir, strconv.Itoa(n))
		// rename(2) refuses to replace a directory that has entries
		// (ENOTEMPTY, which errors.Is counts as fs.ErrExist): every
		// published version has its two files.
		err = os.Rename(tmp, target)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return Version{}, fmt.Errorf("model repository: %w", err)
		}
		if err := atomicfile.SyncDir(modelDir); err != nil {
			return Version{}, err
		}
		return Version{Name: card.Name, Version: n, Dir: target, Card: card}, nil
	}
	return Version{}, fmt.Errorf("model repository: no free version of %s after %d attempts", modelDir, maxRenameAttempts)
}

// nextVersion is one more than the largest version in modelDir (1 in an
// empty one). Every entry named as a version counts, valid or not, so
// that an export never renames onto one.
func nextVersion(modelDir string) (int, error) {
	entries, err := os.ReadDir(modelDir)
	if err != nil {
		return 0, fmt.Errorf("model repository: %w", err)
	}
	last := 0
	for _, e := range entries {
		if n, ok := parseVersion(e.Name()); ok {
			last = max(last, n)
		}
	}
	return last + 1, nil
}
