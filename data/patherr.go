package data

import (
	"errors"
	"fmt"
	"io/fs"
)

// withName prefixes err with the file name for a message, once: the
// operating system's errors already carry the path ("stat x.csv/a: not a
// directory"), and wrapping those as they are named the file twice. Such
// an error keeps only its cause, which errors.Is still finds (a missing
// file is still fs.ErrNotExist).
func withName(name string, err error) error {
	return fmt.Errorf("%s: %w", name, pathCause(err))
}

// pathCause is the cause of an operating-system error on a path (the
// path left out), or err itself.
func pathCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
