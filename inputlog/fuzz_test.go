package inputlog

import (
	"encoding/binary"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/practica-ml/practica/data"
)

// FuzzFileNumber parses any name as a file of a stream: a name it accepts
// is inputs-<digits>, hidden or not, followed by nothing or a dot, and the
// number it finds names the file back.
func FuzzFileNumber(f *testing.F) {
	for _, s := range []string{
		"inputs-000001.csv", ".inputs-000002.csv.part", "inputs-000003", ".inputs-000004.part",
		"inputs-000005.meta.jsonl", "inputs-1234567", "inputs-999999999.csv", "inputs-1000000000",
		"inputs-", "inputs-x.csv", "inputs-12a", "outputs-000001.csv", "..inputs-000001", "inputs--1", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		n, ok := fileNumber(name)
		if !ok {
			if n != 0 {
				t.Fatalf("%q: refused, yet number %d", name, n)
			}
			return
		}
		rest := strings.TrimPrefix(strings.TrimPrefix(name, "."), filePrefix)
		digits, _, _ := strings.Cut(rest, ".")
		if n < 0 || len(digits) == 0 || len(digits) > 9 {
			t.Fatalf("%q: number %d from digits %q", name, n, digits)
		}
		if back, ok := fileNumber(baseName(n)); !ok || back != n {
			t.Fatalf("%q: number %d, but %s gives %d, %v", name, n, baseName(n), back, ok)
		}
	})
}

// FuzzTabularRoundTrip logs the float32 values of any bytes as examples
// of two features: values that are not finite are refused with an error
// and nothing is written, and finite ones read back with the training
// CSV reader bit for bit.
func FuzzTabularRoundTrip(f *testing.F) {
	for _, values := range [][]float32{
		{0, 1},
		{7.038531e-26, -0.1, 1e-45, math.MaxFloat32},
		{float32(math.Copysign(0, -1)), 16, 3, 4},
		{float32(math.NaN()), 1},
		{float32(math.Inf(-1)), 1},
	} {
		var b []byte
		for _, v := range values {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
		f.Add(b)
	}
	sc := schemaCase{in: schemaCases()[0].in, classes: []string{"a", "b"}}
	sc.in.Shape, sc.in.FeatureNames = []int{2}, []string{"u", "v"}
	f.Fuzz(func(t *testing.T, b []byte) {
		n := len(b) / 8
		if n == 0 {
			return
		}
		x := make([]float32, 2*n)
		finite := true
		for i := range x {
			x[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			finite = finite && !math.IsNaN(float64(x[i])) && !math.IsInf(float64(x[i]), 0)
		}
		predicted := make([]int, n)
		for i := range predicted {
			predicted[i] = i % 2
		}
		dir := t.TempDir()
		log, err := Open(dir, DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		err = log.LogInputs("m", 1, sc.in, sc.classes, time.Unix(0, 0), x, predicted, make([]float64, n))
		if cerr := log.Close(); cerr != nil {
			t.Fatal(cerr)
		}
		path := filepath.Join(dir, "m", "1", "inputs-000001.csv")
		if !finite {
			if err == nil {
				t.Fatalf("%v: no error", x)
			}
			if got, _ := filepath.Glob(filepath.Join(dir, "m", "1", "*")); got != nil {
				t.Fatalf("%v refused, yet %q written", x, got)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		rows, err := data.ReadFeatureCSV(path, data.FeatureCSV{FeatureNames: sc.in.FeatureNames, LabelColumn: "species", Classes: sc.classes})
		if err != nil {
			t.Fatal(err)
		}
		if !sameValues(rows.X, x) {
			t.Fatalf("read back %v, logged %v", rows.X, x)
		}
	})
}
