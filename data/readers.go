package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// gzipMagic starts every gzip stream.
var gzipMagic = []byte{0x1f, 0x8b}

// dataFile is an opened input file, transparently gunzipped when its first
// bytes are the gzip magic (whatever its name).
type dataFile struct {
	io.Reader
	f       *os.File
	gz      *gzip.Reader
	gzipped bool
	// size is the size of the file on disk.
	size int64
}

// openData opens path for buffered reading, detecting gzip by magic bytes.
func openData(path string) (*dataFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s: is a directory, want a file", path)
	}
	r, gz, err := maybeGunzip(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	df := &dataFile{Reader: r, f: f, gz: gz, gzipped: gz != nil, size: st.Size()}
	return df, nil
}

// maybeGunzip buffers r and, when it starts with the gzip magic, returns
// the decompressed stream and the gzip reader to close.
func maybeGunzip(r io.Reader, name string) (io.Reader, *gzip.Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if head, _ := br.Peek(2); !bytes.Equal(head, gzipMagic) {
		return br, nil, nil
	}
	gz, err := gzip.NewReader(br)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: bad gzip header: %w", name, err)
	}
	return bufio.NewReaderSize(gz, 1<<16), gz, nil
}

// Close closes the file (and the gzip stream, if any).
func (d *dataFile) Close() error {
	if d.gz != nil {
		d.gz.Close()
	}
	return d.f.Close()
}

// looksBinary reports whether a prefix of a file cannot be text: it holds a
// NUL byte or is not valid UTF-8 (ignoring a rune cut at the end).
func looksBinary(b []byte) bool {
	if bytes.IndexByte(b, 0) >= 0 {
		return true
	}
	for i := 0; i < 3 && len(b) > 0 && !utf8.Valid(b); i++ {
		b = b[:len(b)-1]
	}
	return !utf8.Valid(b)
}

// parseNumber parses a finite number, or reports ok=false.
func parseNumber(s string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// orderClasses returns the distinct labels as a class list: in numeric
// order when every label parses as a finite number (ties by text), else in
// lexical (byte) order.
func orderClasses(labels []string) []string {
	seen := make(map[string]bool)
	var classes []string
	for _, l := range labels {
		if !seen[l] {
			seen[l] = true
			classes = append(classes, l)
		}
	}
	numeric := true
	values := make(map[string]float64, len(classes))
	for _, c := range classes {
		v, ok := parseNumber(c)
		if !ok {
			numeric = false
			break
		}
		values[c] = v
	}
	if numeric {
		slices.SortFunc(classes, func(a, b string) int {
			if values[a] != values[b] {
				if values[a] < values[b] {
					return -1
				}
				return 1
			}
			return strings.Compare(a, b)
		})
	} else {
		slices.Sort(classes)
	}
	return classes
}

// indexClasses maps each class name to its index.
func indexClasses(classes []string) map[string]int {
	m := make(map[string]int, len(classes))
	for i, c := range classes {
		m[c] = i
	}
	return m
}

// numberedClasses returns the class names "0".."n-1".
func numberedClasses(n int) []string {
	c := make([]string, n)
	for i := range c {
		c[i] = strconv.Itoa(i)
	}
	return c
}
