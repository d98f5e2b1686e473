package data

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// SourceSHA256 returns the hex SHA-256 of what source spec is read from
// (opt as for Open; its LabelsFile is left out, see FileSHA256), so that a
// reader of a run can tell whether the data under it are still those it
// was trained on:
//
//   - a CSV file: the file's bytes, as sha256sum prints them (a .csv.gz
//     file's compressed bytes);
//   - an IDX directory, fashion-mnist or mnist: the IDX files Open reads
//     from the directory it reads them from, hashed as a directory below;
//   - an image folder: every regular file under it but hidden ones (whose
//     name starts with "."), hashed as a directory below;
//   - digits: the embedded digits.csv.gz, as sha256sum data/digits.csv.gz
//     prints it;
//   - a generator (blobs, spirals, noise): the examples it generates with
//     opt.Seed (each dimension of the sample shape, then each feature's
//     float32 bits, then each label, little-endian: 8, 4 and 8 bytes), so
//     that a change to a generator shows as well as one to its parameters.
//
// A directory's files are hashed in the order of their slash-separated
// paths relative to it, each as its path, a NUL byte, its size as 8
// bytes little-endian and its bytes: any byte changed, a file renamed,
// added or removed changes the hash.
func SourceSHA256(spec string, opt OpenOptions) (string, error) {
	h := sha256.New()
	name, params, _ := strings.Cut(spec, ":")
	switch {
	case !IsPath(spec) && (name == "" || name == DigitsSource):
		h.Write(digitsCSV)
	case name == "fashion-mnist" || name == "mnist":
		dir, _, err := namedIDXDir(name, opt.DataDir)
		if err != nil {
			return "", err
		}
		if dir == "" {
			// Open names the directories searched.
			_, err := openNamedIDX(name, opt.DataDir, opt.Limits)
			return "", err
		}
		if err := hashIDXDir(h, dir); err != nil {
			return "", err
		}
	case !IsPath(spec):
		d, err := openSynthetic(spec, name, params, opt.Seed)
		if err != nil {
			return "", err
		}
		hashDataset(h, d)
	default:
		st, err := os.Stat(spec)
		if err != nil {
			return "", fmt.Errorf("source %q: %w", spec, err)
		}
		if !st.IsDir() {
			return FileSHA256(spec)
		}
		files, err := findIDX(spec)
		if err != nil {
			return "", err
		}
		if files != nil {
			err = hashIDXDir(h, spec)
		} else {
			err = hashDir(h, spec)
		}
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// FileSHA256 returns the hex SHA-256 of a file's bytes (a labels file's,
// a CSV source's), as sha256sum prints it.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashIDXDir hashes the IDX files Open reads from dir.
func hashIDXDir(h hash.Hash, dir string) error {
	files, err := findIDX(dir)
	if err != nil {
		return err
	}
	if files == nil {
		return fmt.Errorf("%s: no %s[.gz]", dir, idxName("train", "images"))
	}
	var names []string
	for _, p := range []string{files.trainImages, files.trainLabels, files.testImages, files.testLabels} {
		if p != "" {
			names = append(names, filepath.Base(p))
		}
	}
	return hashFiles(h, dir, names)
}

// hashDir hashes every regular file under root but hidden ones.
func hashDir(h hash.Hash, root string) error {
	var names []string
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != root && strings.HasPrefix(e.Name(), ".") {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if e.IsDir() {
			return nil
		}
		if e.Type()&fs.ModeSymlink != 0 {
			// The readers follow a link to a file.
			if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
				return nil
			}
		} else if !e.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		names = append(names, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return err
	}
	return hashFiles(h, root, names)
}

// hashFiles hashes the files of root named (relative, slash-separated) in
// names, in sorted order, as SourceSHA256 describes.
func hashFiles(h hash.Hash, root string, names []string) error {
	slices.Sort(names)
	var n [8]byte
	for _, name := range names {
		path := filepath.Join(root, filepath.FromSlash(name))
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return err
		}
		io.WriteString(h, name)
		h.Write([]byte{0})
		binary.LittleEndian.PutUint64(n[:], uint64(st.Size()))
		h.Write(n[:])
		copied, err := io.Copy(h, f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if copied != st.Size() {
			return fmt.Errorf("%s: changed while it was read (%d bytes, then %d)", path, st.Size(), copied)
		}
	}
	return nil
}

// hashDataset hashes the examples of a generated dataset.
func hashDataset(h hash.Hash, d *Dataset) {
	b := make([]byte, 0, 8*(len(d.Shape)+len(d.Y))+4*len(d.X))
	for _, s := range d.Shape {
		b = binary.LittleEndian.AppendUint64(b, uint64(s))
	}
	for _, v := range d.X {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	for _, y := range d.Y {
		b = binary.LittleEndian.AppendUint64(b, uint64(y))
	}
	h.Write(b)
}
