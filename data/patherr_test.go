package data

import (
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// failingReader gives its text, then fails as a file read fails.
type failingReader struct {
	text string
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.text == "" {
		return 0, r.err
	}
	n := copy(p, r.text)
	r.text = r.text[n:]
	return n, nil
}

// TestErrorsNameTheFileOnce: an operating-system error, which carries its
// path, is reported with the file named once, not as "x: stat x: ...".
func TestErrorsNameTheFileOnce(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "two_rows.csv", []byte("a,b,label\n1,2,x\n3,4,y\n"))
	under := filepath.Join(file, "x.csv")
	_, err := Open(under, OpenOptions{})
	if want := `source "` + under + `": not a directory`; err == nil || err.Error() != want {
		t.Errorf("a path under a file: %v, want %q", err, want)
	}
	if !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("%v lost its cause", err)
	}
	const name = "two_rows.csv"
	eio := &fs.PathError{Op: "read", Path: name, Err: syscall.EIO}
	for what, r := range map[string]io.Reader{
		"in the header": &failingReader{"a,b,la", eio},
		"in the rows":   &failingReader{"a,b,label\n" + strings.Repeat("1,2,x\n3,4,y\n", 200), eio},
	} {
		_, err := readCSV(r, name, CSVOptions{})
		if err == nil || strings.Count(err.Error(), name) != 1 || !strings.HasSuffix(err.Error(), "input/output error") || !errors.Is(err, syscall.EIO) {
			t.Errorf("a read error %s: %v, want the file named once and the cause", what, err)
		}
	}
}
