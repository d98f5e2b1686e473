package evalcmd

import (
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/practica-ml/practica/drift"
	"github.com/practica-ml/practica/inference"
	"github.com/practica-ml/practica/internal/testfile"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/setup"
)

func TestDriftUsage(t *testing.T) {
	run := trainedRun(t, "cancer")
	for _, c := range []struct {
		name string
		args []string
		flag string
	}{
		{"no run", []string{"--drift", "--data", "x.csv"}, "--run"},
		{"no data", []string{"--drift", "--run", run}, "--data"},
		{"bad reference", []string{"--drift", "--run", run, "--data", "x.csv", "--reference", "all"}, "--reference"},
		{"share 0", []string{"--drift", "--run", run, "--data", "x.csv", "--drift-share", "0"}, "--drift-share"},
		{"share above 1", []string{"--drift", "--run", run, "--data", "x.csv", "--drift-share", "1.5"}, "--drift-share"},
		{"share without drift", []string{"--run", run, "--drift-share", "0.3"}, "--drift-share"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errb := runEval(c.args...)
			if code != 2 || out != "" || !strings.Contains(errb, c.flag) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 naming %s", code, out, errb, c.flag)
			}
		})
	}
}

// writeCSV writes the rows x (features named names) with a label column
// whose "B" is none of the model's classes: drift does not read labels.
func writeCSV(t *testing.T, path string, names []string, x []float32) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.Write(append(slices.Clone(names), "diagnosis"))
	for i := 0; i < len(x); i += len(names) {
		row := make([]string, 0, len(names)+1)
		for _, v := range x[i : i+len(names)] {
			row = append(row, strconv.FormatFloat(float64(v), 'g', -1, 32))
		}
		w.Write(append(row, "B"))
	}
	w.Flush()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func readDrift(t *testing.T, dir string) drift.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "drift.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r drift.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestDriftTabular: the run's own test split shows no drift (exit 0); the
// same rows with two features shifted by one standard deviation of the
// training split show exactly those two.
func TestDriftTabular(t *testing.T) {
	run := trainedRun(t, "cancer")
	p, dir, err := inference.LoadRun(run, "")
	if err != nil {
		t.Fatal(err)
	}
	names := p.Checkpoint.Input.FeatureNames
	test, err := inference.ReadSplit(dir, "test", setup.Env{})
	if err != nil {
		t.Fatal(err)
	}
	train, err := inference.ReadSplit(dir, "train", setup.Env{})
	if err != nil {
		t.Fatal(err)
	}
	d := len(names)
	shifted := slices.Clone(test.X)
	for _, j := range []int{0, 1} {
		var s, sq float64
		n := float64(len(train.X) / d)
		for i := j; i < len(train.X); i += d {
			s += float64(train.X[i])
			sq += float64(train.X[i]) * float64(train.X[i])
		}
		std := math.Sqrt(sq/n - (s/n)*(s/n))
		for i := j; i < len(shifted); i += d {
			shifted[i] += float32(std)
		}
	}
	tmp := t.TempDir()
	for _, c := range []struct {
		name    string
		x       []float32
		drifted []string
	}{
		{"test split", test.X, nil},
		{"shifted", shifted, names[:2]},
	} {
		t.Run(c.name, func(t *testing.T) {
			src, out := filepath.Join(tmp, c.name+".csv"), filepath.Join(tmp, c.name)
			writeCSV(t, src, names, c.x)
			code, stdout, errb := runEval("--drift", "--run", run, "--data", src, "--out", out, "--json")
			if code != 0 && code != 3 {
				t.Fatalf("exit %d: %s", code, errb)
			}
			r := readDrift(t, out)
			var got []string
			for _, f := range r.Features {
				if f.Drift {
					got = append(got, f.Name)
				}
			}
			if !slices.Equal(got, c.drifted) || r.Drift || r.Features[0].Test.Test != "ks" {
				t.Errorf("drifted %v (dataset %v, test %s), want %v", got, r.Drift, r.Features[0].Test.Test, c.drifted)
			}
			if want := map[bool]int{true: 3, false: 0}[r.Alarm]; code != want || (c.drifted == nil && code != 0) {
				t.Errorf("exit %d with alarm %v: %s", code, r.Alarm, errb)
			}
			var printed drift.Report
			if err := json.Unmarshal([]byte(stdout), &printed); err != nil || printed.Share != r.Share || len(printed.Features) != d {
				t.Errorf("--json printed %.200q (%v)", stdout, err)
			}
			for _, f := range []string{"drift.png", "report.html"} {
				if _, err := os.Stat(filepath.Join(out, f)); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// writeIDX writes float32 images (1×8×8) as an IDX directory, as served
// inputs are logged.
func writeIDX(t *testing.T, dir string, x []float32) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	n := len(x) / 64
	body := make([]byte, 0, 4*len(x))
	for _, v := range x {
		body = binary.BigEndian.AppendUint32(body, math.Float32bits(v))
	}
	labels := make([]byte, n)
	for i := range labels {
		labels[i] = byte(i % 2)
	}
	for name, b := range map[string][]byte{
		"train-images-idx3-ubyte": testfile.IDX(0x00000d03, []uint32{uint32(n), 8, 8}, body),
		"train-labels-idx1-ubyte": testfile.IDX(0x00000801, []uint32{uint32(n)}, labels),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDriftImages: the digits' test split, as a float32 IDX directory,
// does not drift in the model's embedding; the same images brightened
// (+4 of 16, clipped) do.
func TestDriftImages(t *testing.T) {
	run := trainedRun(t, "digits")
	dir, err := rundir.Open(run)
	if err != nil {
		t.Fatal(err)
	}
	test, err := inference.ReadSplit(dir, "test", setup.Env{})
	if err != nil {
		t.Fatal(err)
	}
	bright := slices.Clone(test.X)
	for i, v := range bright {
		bright[i] = min(v+4, 16)
	}
	tmp := t.TempDir()
	for _, c := range []struct {
		name  string
		x     []float32
		drift bool
	}{{"test split", test.X, false}, {"brightened", bright, true}} {
		t.Run(c.name, func(t *testing.T) {
			src, out := filepath.Join(tmp, c.name+"-idx"), filepath.Join(tmp, c.name)
			writeIDX(t, src, c.x)
			code, _, errb := runEval("--drift", "--run", run, "--data", src, "--out", out, "--seed", "1")
			r := readDrift(t, out)
			e := r.Embedding
			if e == nil || e.Drift != c.drift || r.Drift != c.drift || e.Space != "last hidden layer" || e.NNew != len(c.x)/64 || e.NReference != 1000 {
				t.Fatalf("embedding %+v, dataset drift %v; want drift %v", e, r.Drift, c.drift)
			}
			if c.drift && code != 3 {
				t.Errorf("exit %d: %s", code, errb)
			}
			if gotUp := r.Brightness.New[0] > r.Brightness.Reference[0]+2; gotUp != c.drift {
				t.Errorf("brightness %v → %v", r.Brightness.Reference, r.Brightness.New)
			}
		})
	}
}
