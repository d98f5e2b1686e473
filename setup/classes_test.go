package setup

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/internal/setting"
)

// TestKeepClasses: data.classes keeps exactly the digits of the classes
// it names, relabelled in the source's order whatever the order given,
// and splits them stratified; a class the source lacks is an error naming
// data.classes and the source's classes.
func TestKeepClasses(t *testing.T) {
	src, err := data.Open("digits", data.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	counts := src.Train.ClassCounts()
	cfg := config.Default()
	cfg.Data.Classes = []string{"7", "3"}
	p, err := Prepare(cfg, Env{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Classes, []string{"3", "7"}) {
		t.Fatalf("classes %q, want [3 7]", p.Classes)
	}
	sp := p.Splits
	got := make([]int, 2)
	for _, d := range []*data.Dataset{sp.Train, sp.Val, sp.Test} {
		if !slices.Equal(d.Classes, p.Classes) {
			t.Fatalf("a split's classes %q", d.Classes)
		}
		for k, n := range d.ClassCounts() {
			got[k] += n
		}
	}
	if got[0] != counts[3] || got[1] != counts[7] {
		t.Fatalf("kept %v examples of 3 and 7, the digits have %d and %d", got, counts[3], counts[7])
	}
	if n := counts[3] + counts[7]; sp.Train.Len() != n-sp.Val.Len()-sp.Test.Len() || sp.Val.Len() != 36 || sp.Test.Len() != 36 {
		t.Fatalf("splits %d/%d/%d of %d", sp.Train.Len(), sp.Val.Len(), sp.Test.Len(), n)
	}
	// The first kept example is the source's first 3 (or 7), pixel for
	// pixel before normalization: compare through the unnormalized splits.
	raw, err := OpenSplits(p.Config, Env{})
	if err != nil {
		t.Fatal(err)
	}
	first := slices.IndexFunc(src.Train.Y, func(y int) bool { return y == 3 || y == 7 })
	want := src.Train.Row(first)
	found := false
	for _, d := range []*data.Dataset{raw.Train, raw.Val, raw.Test} {
		for i := range d.Len() {
			found = found || slices.Equal(d.Row(i), want) && d.Classes[d.Y[i]] == src.Train.Classes[src.Train.Y[first]]
		}
	}
	if !found {
		t.Fatal("the source's first 3 or 7 is in no split with its label")
	}

	cfg.Data.Classes = []string{"3", "x"}
	_, err = Prepare(cfg, Env{})
	var se *setting.Error
	if err == nil || !errors.As(err, &se) || se.Key != "data.classes" || !strings.Contains(err.Error(), `names "x", which is not a class of digits; its classes are 0, 1, 2, 3, 4, 5, 6, 7, 8, 9`) {
		t.Fatalf("an unknown class: %v", err)
	}
}
