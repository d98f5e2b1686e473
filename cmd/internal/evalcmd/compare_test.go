package evalcmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/practica-ml/practica/report/compare"
)

func TestCompare(t *testing.T) {
	a, b, other := trainedRun(t, "digits"), trainedRun(t, "digits-linear"), trainedRun(t, "digits-seed2")
	out := t.TempDir()
	code, stdout, stderr := runEval("--compare", a, "--compare", b, "--compare", other, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw, err := os.ReadFile(filepath.Join(out, compare.File))
	if err != nil {
		t.Fatal(err)
	}
	var cmp compare.Comparison
	if err := json.Unmarshal(raw, &cmp); err != nil {
		t.Fatal(err)
	}
	if len(cmp.Runs) != 3 || cmp.Runs[0].SplitID != cmp.Runs[1].SplitID || cmp.Runs[0].SplitID == cmp.Runs[2].SplitID {
		t.Fatalf("runs %+v", cmp.Runs)
	}
	// The seed-2 run has another test split: one McNemar pair only.
	if len(cmp.McNemar) != 1 || len(cmp.NotComparable) != 2 {
		t.Fatalf("%d McNemar pairs, %d not comparable", len(cmp.McNemar), len(cmp.NotComparable))
	}
	mc := cmp.McNemar[0]
	ra, rb := cmp.Runs[0], cmp.Runs[1]
	// The counts agree with each run's accuracy on the shared split.
	if mc.N != ra.N || mc.Both+mc.OnlyA != ra.Correct || mc.Both+mc.OnlyB != rb.Correct || mc.PValue <= 0 || mc.PValue > 1 {
		t.Errorf("McNemar %+v against %d and %d right of %d", mc, ra.Correct, rb.Correct, ra.N)
	}
	// A run scores the same in the comparison as in its own evaluation.
	if m := readMetrics(t, evalRun(t, "digits")); m.Correct != ra.Correct {
		t.Errorf("compare counts %d right, eval %d", ra.Correct, m.Correct)
	}
	if !strings.Contains(stdout, "McNemar") {
		t.Errorf("stdout: %s", stdout)
	}
	for _, f := range []string{"report.html", "compare_curves.png", "compare_accuracy.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}
