package metrics

import (
	"math"
	"testing"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.6g, want %.6g", what, got, want)
	}
}

func TestWilson(t *testing.T) {
	for _, c := range []struct {
		k, n   int
		lo, hi float64
	}{
		{50, 100, 0.403832, 0.596168}, // textbook values
		{0, 10, 0, 0.277533},
		{10, 10, 0.722467, 1},
		{175, 179, 0.943960, 0.991276},
	} {
		lo, hi := Wilson(c.k, c.n, Z95)
		near(t, "lo", lo, c.lo, 1e-5)
		near(t, "hi", hi, c.hi, 1e-5)
	}
	if lo, hi := Wilson(0, 0, Z95); lo != 0 || hi != 1 {
		t.Errorf("n=0: [%g, %g], want [0, 1]", lo, hi)
	}
}

// The scikit-learn classification_report example.
func TestClassify(t *testing.T) {
	r, err := Classify([]int{0, 1, 2, 0, 1, 2}, []int{0, 2, 1, 0, 0, 1}, []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Correct != 2 || r.N != 6 {
		t.Fatalf("correct %d of %d", r.Correct, r.N)
	}
	near(t, "precision a", r.PerClass[0].Precision, 2.0/3, 1e-12)
	near(t, "f1 a", r.PerClass[0].F1, 0.8, 1e-12)
	near(t, "macro precision", r.Macro.Precision, 0.222222, 1e-6)
	near(t, "macro recall", r.Macro.Recall, 1.0/3, 1e-12)
	near(t, "macro f1", r.Macro.F1, 0.266667, 1e-6)
	near(t, "weighted f1", r.Weighted.F1, 0.266667, 1e-6)
	if r.Confusion[2][1] != 2 || r.Confusion[1][0] != 1 || r.Confusion[1][2] != 1 {
		t.Errorf("confusion %v", r.Confusion)
	}
	pairs := MostConfused(r.Confusion, []string{"a", "b", "c"}, 5)
	if len(pairs) != 3 || pairs[0].Actual != "c" || pairs[0].Predicted != "b" || pairs[0].Count != 2 {
		t.Errorf("most confused %+v", pairs)
	}
	if w := WorstClasses(r.PerClass, 1); w[0] != 1 && w[0] != 2 {
		t.Errorf("worst class %v", w)
	}
	if _, err := Classify([]int{0, 3}, []int{0, 0}, []string{"a", "b"}); err == nil {
		t.Error("a label outside the classes was accepted")
	}
}

// scikit-learn: roc_auc_score / average_precision_score([0,0,1,1], [0.1,0.4,0.35,0.8]).
func TestROCPR(t *testing.T) {
	scores := []float64{0.1, 0.4, 0.35, 0.8}
	pos := []bool{false, false, true, true}
	curve, auc, err := ROC(scores, pos)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "roc auc", auc, 0.75, 1e-12)
	if last := curve[len(curve)-1]; last.X != 1 || last.Y != 1 {
		t.Errorf("ROC ends at (%g, %g)", last.X, last.Y)
	}
	_, ap, err := PR(scores, pos)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "average precision", ap, 0.833333, 1e-6)
	// Ties count one half.
	_, auc, _ = ROC([]float64{0.5, 0.5}, []bool{true, false})
	near(t, "tied auc", auc, 0.5, 1e-12)
	if _, _, err := ROC([]float64{1, 2}, []bool{true, true}); err == nil {
		t.Error("ROC without negatives gave no error")
	}
}

func TestMcNemar(t *testing.T) {
	var a, b []bool
	add := func(n int, x, y bool) {
		for range n {
			a, b = append(a, x), append(b, y)
		}
	}
	add(80, true, true)
	add(10, true, false)
	add(2, false, true)
	add(8, false, false)
	r, err := McNemar(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if r.OnlyA != 10 || r.OnlyB != 2 || r.Both != 80 || r.Neither != 8 {
		t.Fatalf("%+v", r)
	}
	near(t, "p", r.PValue, 158.0/4096, 1e-12) // 2·P(X ≤ 2), X ~ Bin(12, ½)
	near(t, "chi2", r.ChiSquare, 49.0/12, 1e-12)
	same, _ := McNemar([]bool{true, false}, []bool{true, false})
	if same.PValue != 1 || same.ChiSquare != 0 {
		t.Errorf("identical classifiers: %+v", same)
	}
}

// TestMacroOverPresentClasses: the macro average is over the classes in
// the labels or the predictions, as scikit-learn's f1_score(...,
// average="macro") with its default labels=None; a class in neither is
// left out, one only predicted counts with recall 0.
func TestMacroOverPresentClasses(t *testing.T) {
	rep := func(k, n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = k
		}
		return out
	}
	forty := append(rep(0, 20), rep(1, 20)...)
	for _, c := range []struct {
		name           string
		labels, preds  []int
		p, r, f1       float64
		weightedF1     float64
		perClassLength int
	}{
		// 40 of 40 right on a subset without class c: 1, not 2/3.
		{"absent class, all right", forty, forty, 1, 1, 1, 1, 3},
		// Classes a and b: F1 2/3 (P 1, R 1/2) and 0.8 (P 2/3, R 1).
		{"absent class, one error", []int{0, 0, 1, 1}, []int{0, 1, 1, 1}, 5.0 / 6, 0.75, (2.0/3 + 0.8) / 2, (2.0/3 + 0.8) / 2, 3},
		// c is predicted once, never true: it counts, with P 0 and R 0.
		{"class only predicted", []int{0, 0, 1, 1}, []int{0, 2, 1, 1}, 2.0 / 3, 0.5, (2.0/3 + 1) / 3, (2.0/3 + 1) / 2, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := Classify(c.labels, c.preds, []string{"a", "b", "c"})
			if err != nil {
				t.Fatal(err)
			}
			near(t, "macro precision", r.Macro.Precision, c.p, 1e-12)
			near(t, "macro recall", r.Macro.Recall, c.r, 1e-12)
			near(t, "macro f1", r.Macro.F1, c.f1, 1e-12)
			near(t, "weighted f1", r.Weighted.F1, c.weightedF1, 1e-12)
			if len(r.PerClass) != c.perClassLength || r.PerClass[2].Support != 0 {
				t.Errorf("per class %+v: every class is listed, c with support 0", r.PerClass)
			}
		})
	}
	// No example at all: nothing is present, every average is 0.
	r, err := Classify(nil, nil, []string{"a", "b"})
	if err != nil || r.Macro.F1 != 0 || r.Macro.Precision != 0 {
		t.Fatalf("empty: %+v %v", r.Macro, err)
	}
}
