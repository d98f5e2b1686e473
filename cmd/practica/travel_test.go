package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// iris reads the iris fixture, from the package directory (call it before
// any t.Chdir).
func iris(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "data", "testdata", "iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeImageFolder writes root/<class>/<i>.png: two classes of 8x8 grey
// images, dark and bright, 15 of each.
func writeImageFolder(t *testing.T, root string) {
	t.Helper()
	for k, class := range []string{"dark", "bright"} {
		if err := os.MkdirAll(filepath.Join(root, class), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range 15 {
			img := image.NewGray(image.Rect(0, 0, 8, 8))
			for p := range img.Pix {
				img.Pix[p] = uint8(40 + 150*k + (p*7+i*13)%50)
			}
			var buf bytes.Buffer
			if err := png.Encode(&buf, img); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, class, fmt.Sprintf("%02d.png", i)), buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// writeIDXDir writes dir/train-{images-idx3,labels-idx1}-ubyte: 40 images
// of 4x4 in two classes.
func writeIDXDir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	const n, side = 40, 4
	images := binary.BigEndian.AppendUint32(nil, 0x803)
	labels := binary.BigEndian.AppendUint32(nil, 0x801)
	for _, v := range []uint32{n, side, side} {
		images = binary.BigEndian.AppendUint32(images, v)
	}
	labels = binary.BigEndian.AppendUint32(labels, n)
	for i := range n {
		k := i % 2
		labels = append(labels, byte(k))
		for p := range side * side {
			images = append(images, byte(30+180*k+(p*11+i*5)%40))
		}
	}
	for name, b := range map[string][]byte{"train-images-idx3-ubyte": images, "train-labels-idx1-ubyte": labels} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// trainIn runs practica train in dir with args and returns the run
// directory and the size of its test split.
func trainIn(t *testing.T, dir string, args ...string) (string, int) {
	t.Helper()
	t.Chdir(dir)
	code, stdout, stderr := practica("", append([]string{"train", "--json", "-q"}, args...)...)
	if code != 0 {
		t.Fatalf("practica train %v in %s: exit %d: %s", args, dir, code, stderr)
	}
	var sum struct {
		RunDir   string `json:"run_dir"`
		TestSize int    `json:"test_size"`
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatal(err)
	}
	return sum.RunDir, sum.TestSize
}

// runFiles reads a run's config.yaml and meta.json as generic maps.
func runFiles(t *testing.T, run string) (cfg map[string]any, meta map[string]any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(run, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if b, err = os.ReadFile(filepath.Join(run, "meta.json")); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	return cfg, meta
}

// TestRunDirectoryTravels: a run trained on a path given relative to the
// working directory (a CSV, an image folder, an IDX directory, a labels
// file) is evaluated, predicted on and resumed from another working
// directory: config.yaml holds the path made absolute, meta.json the path
// as typed.
func TestRunDirectoryTravels(t *testing.T) {
	irisCSV := iris(t)
	var labels strings.Builder
	for i := range 150 {
		// Two classes instead of iris's three: the labels file's own.
		fmt.Fprintln(&labels, []string{"small", "large"}[min(1, i/75)])
	}
	cases := []struct {
		name        string
		setup       func(t *testing.T, data string)
		data, extra []string // data flags as typed, relative to data/
		wantSource  string   // relative to data/
		wantLabels  string
	}{
		{"csv", func(t *testing.T, data string) { os.WriteFile(filepath.Join(data, "iris.csv"), irisCSV, 0o644) },
			[]string{"--data", "iris.csv"}, nil, "iris.csv", ""},
		{"csv in a subdirectory, with ..", func(t *testing.T, data string) {
			os.MkdirAll(filepath.Join(data, "sub"), 0o755)
			os.WriteFile(filepath.Join(data, "sub", "iris.csv"), irisCSV, 0o644)
		}, []string{"--data", "./sub/../sub/iris.csv"}, nil, "sub/iris.csv", ""},
		{"image folder", func(t *testing.T, data string) { writeImageFolder(t, filepath.Join(data, "shapes")) },
			[]string{"--data", "shapes"}, nil, "shapes", ""},
		{"IDX directory", func(t *testing.T, data string) { writeIDXDir(t, filepath.Join(data, "idx")) },
			[]string{"--data", "idx"}, nil, "idx", ""},
		{"labels file", func(t *testing.T, data string) {
			os.WriteFile(filepath.Join(data, "iris.csv"), irisCSV, 0o644)
			os.WriteFile(filepath.Join(data, "labels.txt"), []byte(labels.String()), 0o644)
		}, []string{"--data", "iris.csv"}, []string{"--labels", "labels.txt"}, "iris.csv", "labels.txt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tmp := t.TempDir()
			data := filepath.Join(tmp, "data")
			if err := os.MkdirAll(data, 0o755); err != nil {
				t.Fatal(err)
			}
			c.setup(t, data)
			args := slices.Concat(c.data, c.extra, []string{"--model", "linear", "--epochs", "2", "--out", filepath.Join(tmp, "runs")})
			run, testSize := trainIn(t, data, args...)

			cfg, meta := runFiles(t, run)
			d := cfg["data"].(map[string]any)
			if got, want := d["source"], filepath.Join(data, c.wantSource); got != want {
				t.Errorf("config.yaml data.source = %v, want %v", got, want)
			}
			md, _ := meta["data"].(map[string]any)
			if got := md["source"]; got != c.data[1] {
				t.Errorf("meta.json data.source = %v, want %q as typed", got, c.data[1])
			}
			if c.wantLabels != "" {
				if got, want := d["labels"], filepath.Join(data, c.wantLabels); got != want {
					t.Errorf("config.yaml data.labels = %v, want %v", got, want)
				}
				if got := md["labels"]; got != c.extra[1] {
					t.Errorf("meta.json data.labels = %v, want %q as typed", got, c.extra[1])
				}
			}

			t.Chdir("/")
			if code, _, stderr := practica("", "eval", "--run", run, "--out", filepath.Join(tmp, "eval")); code != 0 {
				t.Errorf("eval from /: exit %d: %s", code, stderr)
			}
			code, stdout, stderr := practica("", "predict", "--run", run, "--split", "test")
			if code != 0 || strings.Count(stdout, "\n") != testSize {
				t.Errorf("predict --split test from /: exit %d, %d lines for %d test examples: %s", code, strings.Count(stdout, "\n"), testSize, stderr)
			}
			if code, _, stderr := practica("", "train", "--resume", run, "--epochs", "3", "-q"); code != 0 {
				t.Errorf("train --resume from /: exit %d: %s", code, stderr)
			}
		})
	}
}

// TestRunOfAnEarlierVersion: a run whose config.yaml holds its source as
// typed, relative to a working directory it did not record, says so when
// it is read from elsewhere, and works from there.
func TestRunOfAnEarlierVersion(t *testing.T) {
	tmp, data, _ := irisDir(t)
	run, _ := trainIn(t, data, "--data", "iris.csv", "--model", "linear", "--epochs", "2", "--out", filepath.Join(tmp, "runs"))
	cfgPath := filepath.Join(run, "config.yaml")
	b, _ := os.ReadFile(cfgPath)
	if err := os.WriteFile(cfgPath, bytes.Replace(b, []byte("source: "+filepath.Join(data, "iris.csv")), []byte("source: iris.csv"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(tmp)
	hint := fmt.Sprintf(` (data.source in %s is "iris.csv", relative to the directory the run was trained in, which runs of earlier versions did not record: work from there, or make it absolute)`+"\n", cfgPath)
	for _, args := range [][]string{{"eval", "--run", run}, {"predict", "--run", run, "--split", "test"}, {"train", "--resume", run, "--epochs", "3"}} {
		if code, _, stderr := practica("", args...); code != 1 || !strings.HasSuffix(stderr, hint) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s from elsewhere: exit %d, stderr %q; want exit 1 and one line ending %q", args[0], code, stderr, hint)
		}
	}
	t.Chdir(data)
	if code, _, stderr := practica("", "eval", "--run", run); code != 0 {
		t.Errorf("eval from the directory it was trained in: exit %d: %s", code, stderr)
	}
}

// TestDataFingerprint: meta.json pins the data a run was trained on (the
// SHA-256 of the source's bytes, as sha256sum prints it, and of the
// split); when the rows of the training CSV are reordered, eval --run,
// predict --split and train --resume refuse in one line naming both
// hashes and what changed, and go on with a warning under
// --allow-data-change; a resumption on changed data records their
// fingerprint, which the run's readers then check against. A run written
// before fingerprints loads with a warning.
func TestDataFingerprint(t *testing.T) {
	tmp, data, irisCSV := irisDir(t)
	csvPath := filepath.Join(data, "iris.csv")
	run, _ := trainIn(t, data, "--data", "iris.csv", "--model", "linear", "--epochs", "2", "--out", filepath.Join(tmp, "runs"))
	old, _ := trainIn(t, data, "--data", "iris.csv", "--model", "linear", "--epochs", "2", "--out", filepath.Join(tmp, "old"))
	// The commands below run in data/, where the run was trained: what
	// changes is the data alone.

	sum := func(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }
	_, meta := runFiles(t, run)
	md, _ := meta["data"].(map[string]any)
	fp, _ := md["fingerprint"].(map[string]any)
	if got, want := fp["source_sha256"], sum(irisCSV); got != want {
		t.Errorf("meta.json source_sha256 = %v, want the CSV's sha256sum %s", got, want)
	}
	if s, _ := fp["split_sha256"].(string); len(s) != 64 {
		t.Errorf("meta.json split_sha256 = %q, want 64 hex digits", s)
	}

	// Reorder the rows: the header stays, the rows go in reverse.
	lines := strings.Split(strings.TrimRight(string(irisCSV), "\n"), "\n")
	slices.Reverse(lines[1:])
	reordered := []byte(strings.Join(lines, "\n") + "\n")
	if err := os.WriteFile(csvPath, reordered, 0o644); err != nil {
		t.Fatal(err)
	}
	was, now := sum(irisCSV)[:12], sum(reordered)[:12]
	commands := []struct {
		name string
		args []string
	}{
		{"eval", []string{"eval", "--run", run, "--out", filepath.Join(tmp, "eval")}},
		{"predict", []string{"predict", "--run", run, "--split", "test"}},
		{"train --resume", []string{"train", "--resume", run, "--epochs", "3", "-q"}},
	}
	for _, c := range commands {
		code, stdout, stderr := practica("", c.args...)
		want := fmt.Sprintf("--allow-data-change is needed to go on: the bytes of %s are not those %s was trained on (sha256 %s in its meta.json, now %s), so its splits would hold other examples\n",
			csvPath, run, was, now)
		if code != 1 || stdout != "" || !strings.HasSuffix(stderr, want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s on reordered rows: exit %d, stdout %q, stderr %q; want exit 1 and one line ending %q", c.name, code, stdout, stderr, want)
		}
	}
	for _, c := range commands {
		args := slices.Insert(slices.Clone(c.args), 1, "--allow-data-change")
		code, _, stderr := practica("", args...)
		// eval and predict print "warning: ..."; train logs it as a
		// warning among its others.
		if code != 0 || !strings.Contains(stderr, "the data differ from the run's, and are used as asked: the bytes of "+csvPath+" are not those") {
			t.Errorf("%s --allow-data-change on reordered rows: exit %d, stderr %q", c.name, code, stderr)
		}
	}
	// The resumption trained on the reordered rows and recorded them: they
	// are now the data the run's last epochs saw.
	_, meta = runFiles(t, run)
	resumed, _ := meta["resumed"].([]any)
	var last map[string]any
	if len(resumed) > 0 {
		last, _ = resumed[len(resumed)-1].(map[string]any)
	}
	if got, _ := last["data_fingerprint"].(map[string]any); got["source_sha256"] != sum(reordered) {
		t.Errorf("the resumption recorded %v, want source_sha256 %s", got, sum(reordered))
	}
	if code, _, stderr := practica("", "predict", "--run", run, "--split", "test"); code != 0 || stderr != "" {
		t.Errorf("predict after the resumption on the reordered rows: exit %d, stderr %q", code, stderr)
	}

	// A run written before fingerprints: meta.json has no data.
	if err := os.WriteFile(csvPath, irisCSV, 0o644); err != nil {
		t.Fatal(err)
	}
	_, meta = runFiles(t, old)
	delete(meta, "data")
	b, _ := json.Marshal(meta)
	if err := os.WriteFile(filepath.Join(old, "meta.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("warning: %s records no data fingerprint in meta.json (it was written before Practica recorded one): whether %s still holds the data it was trained on cannot be checked\n", old, csvPath)
	for _, args := range [][]string{{"eval", "--run", old, "--out", filepath.Join(tmp, "eval-old")}, {"predict", "--run", old, "--split", "test"}} {
		if code, _, stderr := practica("", args...); code != 0 || stderr != want {
			t.Errorf("%s on a run without a fingerprint: exit %d, stderr %q, want %q", args[0], code, stderr, want)
		}
	}
}

// TestAllowDataChangeNeedsARun: --allow-data-change is a usage error
// without a run's data to check.
func TestAllowDataChangeNeedsARun(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"train", "--allow-data-change"}, "practica train: --allow-data-change needs --resume"},
		{[]string{"eval", "--allow-data-change", "--data", "digits"}, "practica eval: --allow-data-change needs --run"},
		{[]string{"predict", "--run", "x", "--allow-data-change", "in.csv"}, "practica predict: --allow-data-change needs --split"},
	}
	for _, c := range cases {
		code, stdout, stderr := practica("", c.args...)
		if code != 2 || stdout != "" || !strings.HasPrefix(stderr, c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, stdout, stderr, c.want)
		}
	}
}

// irisDir is a temporary directory holding data/iris.csv: the directory,
// its data directory and the CSV's bytes.
func irisDir(t *testing.T) (tmp, data string, csv []byte) {
	t.Helper()
	csv = iris(t)
	tmp = t.TempDir()
	data = filepath.Join(tmp, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "iris.csv"), csv, 0o644); err != nil {
		t.Fatal(err)
	}
	return tmp, data, csv
}
