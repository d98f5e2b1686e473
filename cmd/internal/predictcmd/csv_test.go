package predictcmd

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/practica-ml/practica/cmd/internal/traincmd"
	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/rundir"
)

// TestPredictCSVOptions trains, through the train command, on a
// semicolon-separated CSV with a byte order mark before its quoted header,
// an ID column and missing cells filled by their mean, then predicts on
// new rows: each JSON line carries the row's id, a missing cell scores as
// its stored mean written in, and --delimiter reads a comma file.
func TestPredictCSVOptions(t *testing.T) {
	tmp := t.TempDir()
	var b strings.Builder
	b.WriteString("\ufeff\"id\";\"a\";\"b\";\"label\"\n")
	for i := range 120 {
		c := i % 2
		a := fmt.Sprintf("%.2f", float64(c)*2+float64(i%10)/10)
		if i%6 == 0 {
			a = "NA"
		}
		fmt.Fprintf(&b, "u%d;%s;%.2f;%s\n", i, a, float64(i%7)/7-float64(c), []string{"no", "yes"}[c])
	}
	data := filepath.Join(tmp, "bom.csv")
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, stderr bytes.Buffer
	args := []string{"train", "--data", data, "--delimiter", ";", "--ignore-columns", "id", "--missing", "mean", "--val", "0.2", "--test", "0",
		"--epochs", "3", "--out", filepath.Join(tmp, "runs"), "--json", "-q"}
	if code := cliutil.RunStandalone(traincmd.Command(), args, strings.NewReader(""), &out, &stderr); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr.String())
	}
	var sum struct {
		RunDir   string `json:"run_dir"`
		TestSize int    `json:"test_size"`
	}
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatal(err)
	}
	// The mean of "a" over the training split, as best.ckpt stores it.
	mean := storedFill(t, sum.RunDir, "a")
	rows := "b;id;a\n0.5;new-1;\n0.5;new-2;" + mean + "\n"
	lines := predictLines(t, []string{"predict", "--run", sum.RunDir, "-"}, rows)
	if len(lines) != 2 || lines[0].ID != "new-1" || lines[1].ID != "new-2" {
		t.Fatalf("lines %+v, want ids new-1 and new-2", lines)
	}
	if fmt.Sprint(lines[0].Logits) != fmt.Sprint(lines[1].Logits) {
		t.Errorf("a missing a scores %v, a written as its mean %s scores %v", lines[0].Logits, mean, lines[1].Logits)
	}
	comma := predictLines(t, []string{"predict", "--run", sum.RunDir, "--delimiter", ",", "-"}, strings.ReplaceAll(rows, ";", ","))
	if len(comma) != 2 || fmt.Sprint(comma[0].Logits) != fmt.Sprint(lines[0].Logits) {
		t.Errorf("with --delimiter ,: %+v", comma)
	}
	var errOut bytes.Buffer
	code := cliutil.RunStandalone(Command(), []string{"predict", "--run", sum.RunDir, "--delimiter", ":", "-"}, strings.NewReader(rows), &bytes.Buffer{}, &errOut)
	if want := `predict: --delimiter must be ",", ";", "\t" (or "tab") or "|", got ":"`; code != 1 || !strings.Contains(errOut.String(), want) {
		t.Errorf("--delimiter : exit %d, %q; want 1 and %q", code, errOut.String(), want)
	}
}

// storedFill is the fill value of column in the run's best.ckpt, written
// so that it parses back to the same float32.
func storedFill(t *testing.T, runDir, column string) string {
	t.Helper()
	c, err := model.LoadCheckpoint(filepath.Join(runDir, rundir.BestCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	m := c.Input.Missing
	if m == nil || m.Rule != "mean" || !slices.Equal(m.Columns, []string{"a", "b"}) || !slices.Equal(c.Input.IgnoredColumns, []string{"id"}) || c.Input.Delimiter != ";" {
		t.Fatalf("schema %+v, imputation %+v", c.Input, m)
	}
	return strconv.FormatFloat(float64(m.Fill[slices.Index(m.Columns, column)]), 'g', -1, 32)
}

type line struct {
	Index  int       `json:"index"`
	ID     string    `json:"id"`
	Logits []float32 `json:"logits"`
}

func predictLines(t *testing.T, args []string, stdin string) []line {
	t.Helper()
	var out, stderr bytes.Buffer
	if code := cliutil.RunStandalone(Command(), args, strings.NewReader(stdin), &out, &stderr); code != 0 {
		t.Fatalf("predict: exit %d: %s", code, stderr.String())
	}
	var lines []line
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	return lines
}
