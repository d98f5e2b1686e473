package inference

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/setup"
)

// holeyIris writes iris as a semicolon-separated file with an id column
// first and some cells missing (NA, empty, null), deterministically.
func holeyIris(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../data/testdata/iris.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var out strings.Builder
	out.WriteString("id;" + strings.ReplaceAll(lines[0], ",", ";") + "\n")
	for i, l := range lines[1:] {
		f := strings.Split(l, ",")
		switch i % 9 {
		case 1:
			f[0] = "NA"
		case 4:
			f[2] = ""
		case 7:
			f[0], f[3] = "null", "NaN"
		}
		fmt.Fprintf(&out, "flower-%d;%s\n", i, strings.Join(f, ";"))
	}
	p := filepath.Join(t.TempDir(), "holey.csv")
	if err := os.WriteFile(p, []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func holeyConfig(t *testing.T, rule string, indicator bool) config.Experiment {
	c := config.Default()
	c.Data.Source, c.Data.Delimiter, c.Data.IgnoreColumns = holeyIris(t), ";", []string{"id"}
	c.Data.Missing, c.Data.MissingIndicator = rule, indicator
	c.Training.Epochs = 2
	return c
}

// TestPredictFillsAsTrainingFilled: predict on the run's raw test split
// (missing cells as NaN) gives bit for bit the logits training's
// evaluation graph gave on the filled split, so train and serve never
// skew; with and without indicators.
func TestPredictFillsAsTrainingFilled(t *testing.T) {
	for _, c := range []struct {
		rule      string
		indicator bool
	}{{"mean", false}, {"median", true}} {
		t.Run(fmt.Sprint(c.rule, c.indicator), func(t *testing.T) {
			dir, p, ev := trainRun(t, holeyConfig(t, c.rule, c.indicator))
			pr, err := Load(dir.Join(rundir.LastCheckpoint))
			if err != nil {
				t.Fatal(err)
			}
			in, err := ReadSplit(dir, "test", setup.Env{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(in.X, func(v float32) bool { return math.IsNaN(float64(v)) }) {
				t.Fatal("the raw test split has no missing cell to fill")
			}
			preds, err := pr.Predict(in)
			if err != nil {
				t.Fatal(err)
			}
			nc := len(p.Classes)
			for i, pd := range preds {
				for k, v := range pd.Logits {
					if math.Float32bits(v) != math.Float32bits(ev.Logits[i*nc+k]) {
						t.Fatalf("example %d logit %d: predict %v, evaluation %v", i, k, v, ev.Logits[i*nc+k])
					}
				}
			}
		})
	}
}

// TestPredictMissingCellIsTheFillValue: a row with a missing cell scores
// exactly as the same row with the stored fill value written in (no
// indicator), new rows may come in another column order with the id
// column, which comes back as each prediction's id, and a model trained
// without a fill refuses a missing cell.
func TestPredictMissingCellIsTheFillValue(t *testing.T) {
	dir, _, _ := trainRun(t, holeyConfig(t, "median", false))
	pr, err := Load(dir.Join(rundir.BestCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	m := pr.Checkpoint.Input.Missing
	if m == nil || m.Rule != "median" || len(m.Indicators) != 0 {
		t.Fatalf("imputation %+v", m)
	}
	fill := func(j int) string { return strconv.FormatFloat(float64(m.Fill[j]), 'g', -1, 32) }
	j := slices.Index(m.Columns, "petal_length_cm")
	rows := "petal_width_cm;petal_length_cm;sepal_width_cm;id;sepal_length_cm\n" +
		"1.8;NA;3.0;first;6.1\n" +
		"1.8;" + fill(j) + ";3.0;second;6.1\n" +
		"null;;;third;\n" +
		fill(3) + ";" + fill(2) + ";" + fill(1) + ";fourth;" + fill(0) + "\n"
	in, err := pr.ReadCSVFrom(strings.NewReader(rows), "rows", "")
	if err != nil {
		t.Fatal(err)
	}
	preds, err := pr.Predict(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]int{{0, 1}, {2, 3}} {
		a, b := preds[pair[0]], preds[pair[1]]
		if !slices.Equal(a.Logits, b.Logits) {
			t.Errorf("rows %d and %d: logits %v and %v, want equal", pair[0], pair[1], a.Logits, b.Logits)
		}
	}
	for i, id := range []string{"first", "second", "third", "fourth"} {
		if preds[i].ID == nil || *preds[i].ID != id {
			t.Errorf("prediction %d: id %v, want %q", i, preds[i].ID, id)
		}
	}
	// The same file with commas, read with an overriding delimiter.
	pr.Delimiter = ","
	in, err = pr.ReadCSVFrom(strings.NewReader(strings.ReplaceAll(rows, ";", ",")), "rows", "")
	if err != nil {
		t.Fatal(err)
	}
	again, err := pr.Predict(in)
	if err != nil || !slices.Equal(again[2].Logits, preds[2].Logits) {
		t.Errorf("with commas: %v, logits %v, want %v", err, again[2].Logits, preds[2].Logits)
	}
	pr.Delimiter = ""

	// A model that fills nothing refuses the missing cell.
	plain := config.Default()
	plain.Data.Source, plain.Training.Epochs = "../data/testdata/iris.csv", 1
	dir2, _, _ := trainRun(t, plain)
	pr2, err := Load(dir2.Join(rundir.BestCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	_, err = pr2.ReadCSVFrom(strings.NewReader("sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm\n5,3,NA,1\n"), "rows", "")
	want := `rows:2: column "petal_length_cm": missing value "NA": the model was trained without data.missing mean or median, so it has no value to fill it with`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

// TestLoadChecksTheImputation: a checkpoint whose imputation does not fit
// its schema is refused when loaded, naming the file.
func TestLoadChecksTheImputation(t *testing.T) {
	dir, _, _ := trainRun(t, holeyConfig(t, "mean", true))
	path := dir.Join(rundir.BestCheckpoint)
	c, err := model.LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		modify func(*model.Checkpoint)
		want   string
	}{
		{"columns", func(c *model.Checkpoint) {
			c.Input.Missing.Columns = slices.Clone(c.Input.Missing.Columns)
			c.Input.Missing.Columns[0] = "x"
		}, "the imputation fills columns"},
		{"width", func(c *model.Checkpoint) { c.Input.Missing.Indicators = nil }, "imputation makes rows of 4 values, and the model takes"},
		{"fill", func(c *model.Checkpoint) { c.Input.Missing.Fill = []float32{1} }, "imputation of 4 columns has 1 fill values"},
	}
	for _, tc := range cases {
		bad := *c
		m := *c.Input.Missing
		bad.Input.Missing = &m
		tc.modify(&bad)
		p := filepath.Join(t.TempDir(), "bad.ckpt")
		if err := model.SaveCheckpoint(p, &bad); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(p); err == nil || !strings.HasPrefix(err.Error(), p+": "+tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
