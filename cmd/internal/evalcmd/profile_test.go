package evalcmd

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/practica-ml/practica/data/profile"
)

func readProfile(t *testing.T, dir string) profile.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, profile.File))
	if err != nil {
		t.Fatal(err)
	}
	var p profile.Report
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProfileDigits(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := runEval("--data", "digits", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "1,797 examples, 10 classes") {
		t.Errorf("stdout: %s", stdout)
	}
	p := readProfile(t, out)
	if p.N != 1797 || len(p.Classes) != 10 || len(p.Features) != 64 || len(p.Splits) != 3 || p.Splits[0].N+p.Splits[1].N+p.Splits[2].N != 1797 {
		t.Errorf("n %d, classes %d, features %d, splits %+v", p.N, len(p.Classes), len(p.Features), p.Splits)
	}
	// The digits' left and right columns of pixels are (almost) blank.
	if len(p.ConstantFeatures) == 0 || p.Features[0].Constant != (p.Features[0].Min == p.Features[0].Max) {
		t.Errorf("constant features %v", p.ConstantFeatures)
	}
	if len(p.PCAExplained) != 2 || p.PCAExplained[0] < p.PCAExplained[1] || p.PCAExplained[0] <= 0 || p.PCAExplained[0]+p.PCAExplained[1] > 1 {
		t.Errorf("pca explained %v", p.PCAExplained)
	}
	for _, f := range []string{"report.html", "class_balance.png", "samples.png", "pixel_stats.png", "pca.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestProfileCSV plants duplicates, a duplicate feature, a constant
// feature and a conflicting label in a CSV and finds them; exact copies
// shared between splits are counted as leakage.
func TestProfileCSV(t *testing.T) {
	var b strings.Builder
	b.WriteString("a,b,copy_of_a,const,label\n")
	for i := range 60 {
		fmt.Fprintf(&b, "%d,%d,%d,7,%s\n", i, i*i%13, i, []string{"x", "y"}[i%2])
	}
	for i := range 10 { // ten exact copies of rows 0..9, same labels
		fmt.Fprintf(&b, "%d,%d,%d,7,%s\n", i, i*i%13, i, []string{"x", "y"}[i%2])
	}
	fmt.Fprintf(&b, "%d,%d,%d,7,%s\n", 20, 20*20%13, 20, "y") // row 20 is x
	path := filepath.Join(t.TempDir(), "planted.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if code, _, stderr := runEval("--data", path, "--out", out, "--seed", "4"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	p := readProfile(t, out)
	if p.N != 71 || p.DuplicateRows != 11 || p.ConflictingDuplicates != 1 {
		t.Errorf("n %d, duplicate rows %d (want 11), conflicting %d (want 1)", p.N, p.DuplicateRows, p.ConflictingDuplicates)
	}
	if len(p.ConstantFeatures) != 1 || p.ConstantFeatures[0] != "const" {
		t.Errorf("constant features %v", p.ConstantFeatures)
	}
	if len(p.DuplicateFeatures) != 1 || strings.Join(p.DuplicateFeatures[0], "=") != "a=copy_of_a" {
		t.Errorf("duplicate features %v", p.DuplicateFeatures)
	}
	if l := p.Leakage; l.TrainVal+l.TrainTest+l.ValTest == 0 {
		t.Errorf("eleven copies and no leakage between splits: %+v", l)
	}
	html, _ := os.ReadFile(filepath.Join(out, "report.html"))
	for _, s := range []string{"11 of the 71 examples", "Leakage:", `id="pca"`} {
		if !strings.Contains(string(html), s) {
			t.Errorf("report.html does not say %q", s)
		}
	}
}

// TestProfileNaN: a CSV with NaN and empty cells does not load, yet the
// profile counts them by column, and the command fails naming the report.
func TestProfileNaN(t *testing.T) {
	path := filepath.Join(t.TempDir(), "holes.csv")
	csv := "a,b,label\n1,2,x\nNaN,3,y\n4,,x\n5,inf,y\n6,7,x\n8,9,y\n"
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	code, _, stderr := runEval("--data", path, "--out", out)
	if code != 1 || !strings.Contains(stderr, filepath.Join(out, "report.html")) {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	p := readProfile(t, out)
	nf := p.NonFinite
	if nf.NaN != 1 || nf.Inf != 1 || nf.Empty != 1 || len(nf.Columns) != 2 || nf.Columns[0].First != 2 || p.Error == "" {
		t.Errorf("non-finite %+v, error %q", nf, p.Error)
	}
}

// TestProfileCSVOptions profiles a ';' file with an ID column: without
// --delimiter it fails naming the delimiter the file seems to use; with
// --delimiter ';' --ignore-columns id it reads two features, and the ID's
// text counts as no bad cell.
func TestProfileCSVOptions(t *testing.T) {
	var b strings.Builder
	b.WriteString("id;a;b;label\n")
	for i := range 40 {
		fmt.Fprintf(&b, "row%d;%d;%d;%s\n", i, i, i*i%7, []string{"x", "y"}[i%2])
	}
	path := filepath.Join(t.TempDir(), "semi.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runEval("--data", path, "--out", t.TempDir()); code != 1 || !strings.Contains(stderr, "seems to use ';'") {
		t.Errorf("without --delimiter: exit %d, %q", code, stderr)
	}
	out := t.TempDir()
	if code, _, stderr := runEval("--data", path, "--delimiter", ";", "--ignore-columns", "id", "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	p := readProfile(t, out)
	if p.N != 40 || len(p.Shape) != 1 || p.Shape[0] != 2 || p.NonFinite.NaN+p.NonFinite.Inf+p.NonFinite.Empty+p.NonFinite.NonNumeric != 0 {
		t.Errorf("n %d, shape %v, bad cells %+v; want 40 rows of 2 features and none bad", p.N, p.Shape, p.NonFinite)
	}
	if code, _, stderr := runEval("--run", trainedRun(t, "digits"), "--delimiter", ";"); code != 2 || !strings.Contains(stderr, "--delimiter applies to a data profile") {
		t.Errorf("--delimiter with --run: exit %d, %q", code, stderr)
	}
}
