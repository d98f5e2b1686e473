package data

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestIsPathAndAbsSource(t *testing.T) {
	wd := t.TempDir()
	t.Chdir(wd)
	cases := []struct {
		spec   string
		isPath bool
		abs    string
	}{
		{"", false, ""},
		{"digits", false, "digits"},
		{"fashion-mnist", false, "fashion-mnist"},
		{"mnist", false, "mnist"},
		{"blobs", false, "blobs"},
		{"spirals:d=3", false, "spirals:d=3"},
		{"noise:n=500,d=16,c=4", false, "noise:n=500,d=16,c=4"},
		{"wine.csv", true, filepath.Join(wd, "wine.csv")},
		{"digits.csv", true, filepath.Join(wd, "digits.csv")},
		{"./blobs", true, filepath.Join(wd, "blobs")},
		{"data/../images", true, filepath.Join(wd, "images")},
		{"/srv/data/x.csv", true, "/srv/data/x.csv"},
		{"/srv/data/a:b.csv", true, "/srv/data/a:b.csv"},
	}
	for _, c := range cases {
		if got := IsPath(c.spec); got != c.isPath {
			t.Errorf("IsPath(%q) = %v, want %v", c.spec, got, c.isPath)
		}
		got, err := AbsSource(c.spec)
		if err != nil || got != c.abs {
			t.Errorf("AbsSource(%q) = %q, %v; want %q", c.spec, got, err, c.abs)
		}
	}
}

// hexSum is the hex SHA-256 of b.
func hexSum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// dirEncoding is a directory's files as SourceSHA256 documents hashing
// them: in order, each path, a NUL, its size (8 bytes little-endian) and
// its bytes.
func dirEncoding(files ...[2]string) []byte {
	var b []byte
	for _, f := range files {
		b = append(b, f[0]...)
		b = append(b, 0)
		b = binary.LittleEndian.AppendUint64(b, uint64(len(f[1])))
		b = append(b, f[1]...)
	}
	return b
}

func TestSourceSHA256(t *testing.T) {
	tmp := t.TempDir()
	csv := writeFile(t, tmp, "wine.csv", []byte("a,b,label\n1,2,x\n3,4,y\n"))
	digits, err := os.ReadFile("digits.csv.gz")
	if err != nil {
		t.Fatal(err)
	}
	noise, err := Noise(30, 4, 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	var gen []byte
	for _, s := range noise.Shape {
		gen = binary.LittleEndian.AppendUint64(gen, uint64(s))
	}
	for _, v := range noise.X {
		gen = binary.LittleEndian.AppendUint32(gen, math.Float32bits(v))
	}
	for _, y := range noise.Y {
		gen = binary.LittleEndian.AppendUint64(gen, uint64(y))
	}

	folder := filepath.Join(tmp, "folder")
	writeFile(t, folder, "cat/1.png", []byte("png one"))
	writeFile(t, folder, "dog/2.png", []byte("png two!"))
	writeFile(t, folder, ".DS_Store", []byte("hidden, not read"))
	writeFile(t, folder, "cat/.1.png.swp", []byte("hidden, not read"))
	writeFile(t, folder, ".cache/x.png", []byte("hidden, not read"))
	folderHash := hexSum(dirEncoding([2]string{"cat/1.png", "png one"}, [2]string{"dog/2.png", "png two!"}))

	idx := filepath.Join(tmp, "idx")
	ip, lp := idxPair(t, idx, "train", 6, 2, 2, 2, false)
	writeFile(t, idx, "README", []byte("not an IDX file: not read"))
	ib, _ := os.ReadFile(ip)
	lb, _ := os.ReadFile(lp)
	idxHash := hexSum(dirEncoding([2]string{"train-images-idx3-ubyte", string(ib)}, [2]string{"train-labels-idx1-ubyte", string(lb)}))
	dataDir := filepath.Join(tmp, "datasets")
	idxPair(t, filepath.Join(dataDir, "mnist"), "train", 6, 2, 2, 2, false)

	cases := []struct {
		name, spec string
		opt        OpenOptions
		want       string
	}{
		{"a CSV file: its sha256sum", csv, OpenOptions{}, hexSum([]byte("a,b,label\n1,2,x\n3,4,y\n"))},
		{"digits: the embedded file's sha256sum", "digits", OpenOptions{}, hexSum(digits)},
		{"the default source is digits", "", OpenOptions{}, hexSum(digits)},
		{"a generator: the examples it generates", "noise:n=30,d=4,c=3", OpenOptions{Seed: 7}, hexSum(gen)},
		{"an image folder: its files but hidden ones", folder, OpenOptions{}, folderHash},
		{"an IDX directory: the IDX files read", idx, OpenOptions{}, idxHash},
		{"mnist: the IDX files of the directory it is read from", "mnist", OpenOptions{DataDir: dataDir}, idxHash},
	}
	for _, c := range cases {
		got, err := SourceSHA256(c.spec, c.opt)
		if err != nil || got != c.want {
			t.Errorf("%s: SourceSHA256(%q) = %q, %v; want %q", c.name, c.spec, got, err, c.want)
		}
	}

	// What changes a hash, and what does not.
	hash := func(spec string, seed uint64) string {
		t.Helper()
		h, err := SourceSHA256(spec, OpenOptions{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	if hash("noise:n=30,d=4,c=3", 8) == hash("noise:n=30,d=4,c=3", 7) || hash("noise:n=31,d=4,c=3", 7) == hash("noise:n=30,d=4,c=3", 7) {
		t.Error("a generator's hash does not depend on its seed and parameters")
	}
	if hash("digits", 1) != hash("digits", 2) || hash(csv, 1) != hash(csv, 2) {
		t.Error("the hash of data read from bytes depends on the seed")
	}
	changes := []struct {
		name   string
		change func()
	}{
		{"a byte", func() { writeFile(t, folder, "dog/2.png", []byte("png two?")) }},
		{"a file renamed", func() { os.Rename(filepath.Join(folder, "dog", "2.png"), filepath.Join(folder, "dog", "3.png")) }},
		{"a file added", func() { writeFile(t, folder, "dog/4.png", []byte("png four")) }},
		{"a file removed", func() { os.Remove(filepath.Join(folder, "cat", "1.png")) }},
	}
	before := hash(folder, 0)
	for _, c := range changes {
		c.change()
		after := hash(folder, 0)
		if after == before {
			t.Errorf("%s: the image folder's hash did not change", c.name)
		}
		before = after
	}

	if _, err := SourceSHA256(filepath.Join(tmp, "gone.csv"), OpenOptions{}); err == nil {
		t.Error("a missing source hashed without error")
	}
}

func TestIndexSHA256(t *testing.T) {
	// Example i has feature i, so that the split's contents say which
	// examples went where.
	d := &Dataset{Source: "t", Kind: Tabular, Shape: []int{1}, Classes: []string{"a", "b"}, FeatureNames: []string{"i"}}
	for i := range 20 {
		d.X = append(d.X, float32(i))
		d.Y = append(d.Y, i%2)
	}
	encode := func(sp *Splits, ownTest int) string {
		var b []byte
		for _, s := range []struct {
			name string
			d    *Dataset
		}{{"train", sp.Train}, {"val", sp.Val}, {"test", sp.Test}} {
			if s.name == "test" && ownTest > 0 {
				b = append(b, "test(source)"...)
				b = binary.LittleEndian.AppendUint64(b, uint64(ownTest))
				continue
			}
			b = append(b, s.name...)
			b = binary.LittleEndian.AppendUint64(b, uint64(s.d.Len()))
			for _, x := range s.d.X {
				b = binary.LittleEndian.AppendUint64(b, uint64(x))
			}
		}
		return hexSum(b)
	}
	copyOf := func() *Dataset {
		c := *d
		c.X, c.Y = append([]float32(nil), d.X...), append([]int(nil), d.Y...)
		return &c
	}
	cfg := SplitConfig{Val: 0.2, Test: 0.2, Seed: 3}
	sp, err := Split(&Source{Train: copyOf()}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := encode(sp, 0)
	if got := sp.IndexSHA256(); got != want {
		t.Errorf("Split: IndexSHA256 = %s, want %s", got, want)
	}
	reused, err := SplitReusing(&Source{Train: copyOf()}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := reused.IndexSHA256(); got != want {
		t.Errorf("SplitReusing: IndexSHA256 = %s, want Split's %s", got, want)
	}
	cfg.Seed = 4
	other, err := Split(&Source{Train: copyOf()}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if other.IndexSHA256() == want {
		t.Error("another seed's split has the same hash")
	}
	test := copyOf()
	test.X, test.Y = test.X[:5], test.Y[:5]
	own, err := Split(&Source{Train: copyOf(), Test: test}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := own.IndexSHA256(), encode(own, 5); got != want {
		t.Errorf("with the source's own test split: IndexSHA256 = %s, want %s", got, want)
	}
}
