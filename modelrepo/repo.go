package modelrepo

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/practica-ml/practica/data"
)

// MaxNameLength is the longest model name.
const MaxNameLength = 100

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// CheckName reports why name cannot name a model: a model's name is its
// directory in the repository and a component of the URLs that serve it,
// so it is one safe path component, [A-Za-z0-9][A-Za-z0-9._-]*, of at
// most MaxNameLength characters.
func CheckName(name string) error {
	switch {
	case name == "":
		return errors.New("the model name is empty")
	case len(name) > MaxNameLength:
		return fmt.Errorf("the model name %q has %d characters, more than %d", name, len(name), MaxNameLength)
	case !validName.MatchString(name):
		return fmt.Errorf("the model name %q is not a letter or digit followed by letters, digits, '.', '_' or '-'", name)
	}
	return nil
}

// parseVersion reads a version directory's name: a positive integer with
// no leading zero (and no sign, space or other spelling of the same
// number, so that each version has one directory).
func parseVersion(name string) (int, bool) {
	if name == "" || len(name) > 18 || name[0] < '1' || name[0] > '9' {
		return 0, false
	}
	for _, r := range name {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	v, err := strconv.Atoi(name)
	return v, err == nil
}

// Version is one version of a model in a repository.
type Version struct {
	Name    string
	Version int
	// Dir is the version's directory, <root>/<name>/<version>.
	Dir  string
	Card *Card
}

// CheckpointPath is the version's checkpoint file.
func (v Version) CheckpointPath() string {
	name := CheckpointFile
	if v.Card != nil && v.Card.Checkpoint != "" {
		name = v.Card.Checkpoint
	}
	return filepath.Join(v.Dir, filepath.FromSlash(name))
}

// Verify checks that the checkpoint's bytes are those the card pins: its
// SHA-256 equals the card's sha256. Scan does not hash the checkpoints;
// a server calls Verify before it loads one.
func (v Version) Verify() error {
	got, err := data.FileSHA256(v.CheckpointPath())
	if err != nil {
		return err
	}
	return v.checkSHA256(got)
}

// ReadCheckpoint reads the version's checkpoint and verifies it as Verify
// does: a server builds its model from the bytes it verified.
func (v Version) ReadCheckpoint() ([]byte, error) {
	b, err := os.ReadFile(v.CheckpointPath())
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	if err := v.checkSHA256(hex.EncodeToString(sum[:])); err != nil {
		return nil, err
	}
	return b, nil
}

// checkSHA256 compares the checkpoint's hex SHA-256 with its card's.
func (v Version) checkSHA256(got string) error {
	if v.Card == nil || got != v.Card.SHA256 {
		want := ""
		if v.Card != nil {
			want = v.Card.SHA256
		}
		return fmt.Errorf("checkpoint %s has sha256 %s, its %s says %s", v.CheckpointPath(), got, CardFile, want)
	}
	return nil
}

// Scan lists every valid version under root, <root>/<name>/<version>/,
// sorted by name and then by version number. Hidden entries (a name
// starting with ".", such as the .tmp-* directories of exports in
// progress) and plain files are skipped.
//
// A malformed entry is an error naming its path: a model directory whose
// name is not a valid model name (see CheckName), a version directory
// whose name is not a positive integer without leading zeros, or whose
// model.json is missing, unparsable, names another model or version
// than its path, or whose checkpoint is missing. Scan does not stop at
// one: it returns the good versions together with an error joining one
// error per bad entry (errors.Join), so that a server keeps serving the
// good models and logs the rest. A root that cannot be read, or that
// holds no good version, is an error too; then the list is empty.
//
// Scan reads each version's model.json and checks that its checkpoint
// exists; it does not hash the checkpoints (see Version.Verify).
func Scan(root string) ([]Version, error) {
	names, err := subdirs(root)
	if err != nil {
		return nil, fmt.Errorf("model repository: %w", err)
	}
	var versions []Version
	var problems []error
	for _, name := range names {
		dir := filepath.Join(root, name)
		if err := CheckName(name); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", dir, err))
			continue
		}
		vs, errs := scanModel(dir, name)
		versions = append(versions, vs...)
		problems = append(problems, errs...)
	}
	slices.SortFunc(versions, func(a, b Version) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return a.Version - b.Version
	})
	if len(versions) == 0 {
		problems = append(problems, fmt.Errorf("model repository %s holds no model: want <name>/<version>/%s with its checkpoint", root, CardFile))
	}
	return versions, errors.Join(problems...)
}

// scanModel lists the valid versions of the model name in dir and the
// problems of the others.
func scanModel(dir, name string) ([]Version, []error) {
	bases, err := subdirs(dir)
	if err != nil {
		return nil, []error{err}
	}
	var versions []Version
	var problems []error
	for _, base := range bases {
		v, err := readVersion(filepath.Join(dir, base), name, base)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		versions = append(versions, v)
	}
	return versions, problems
}

// readVersion reads the version directory dir of model name, named
// base, or says what is wrong with it, naming its path.
func readVersion(dir, name, base string) (Version, error) {
	n, ok := parseVersion(base)
	if !ok {
		return Version{}, fmt.Errorf("%s: a version directory is named by a positive integer without leading zeros (1, 2, ...), not %q", dir, base)
	}
	c, err := ReadCard(dir)
	if err != nil {
		return Version{}, err
	}
	if c.Name != name || c.Version != n {
		return Version{}, fmt.Errorf("%s: the card says name %q, version %d; its path says name %q, version %d", filepath.Join(dir, CardFile), c.Name, c.Version, name, n)
	}
	v := Version{Name: name, Version: n, Dir: dir, Card: c}
	if st, err := os.Stat(v.CheckpointPath()); err != nil || !st.Mode().IsRegular() {
		return Version{}, fmt.Errorf("%s: its checkpoint %s is missing or not a file", filepath.Join(dir, CardFile), v.CheckpointPath())
	}
	return v, nil
}

// subdirs lists the entries of dir that Scan reads: directories, or
// symbolic links to ones (a repository may link a version to where its
// files are kept), whose names do not start with ".".
func subdirs(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if st, err := os.Stat(filepath.Join(dir, e.Name())); err == nil && st.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}
