// Package testfile builds the bytes of files that tests of several
// packages craft: gzipped data and IDX files. It depends on the standard
// library only, so that any package's tests can use it.
package testfile

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
)

// Gzip compresses b. Writing into memory cannot fail, so it returns no
// error (and serves fuzz seeds, which have no *testing.T).
func Gzip(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// IDX is an IDX file: the magic number, the big-endian dimensions, then
// body as it is.
func IDX(magic uint32, dims []uint32, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, body...)
}
