package feasibility

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/practica-ml/practica/rundir"
)

// TestRunWritesEveryOutput: on pure noise the model memorizes (PASS) but no
// probe finds signal (NO SIGNAL); the report holds the four keys, the
// Markdown says memorizing needs no signal. (Its plots are drawn and
// tested in package figures.)
func TestRunWritesEveryOutput(t *testing.T) {
	p := prepare(t, "noise:n=600,d=16,c=4", nil)
	rep, err := Run(context.Background(), p, All(0, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Verdicts(); !slices.Equal(got, []string{Pass, Pass, NoSignal}) || rep.OK() {
		t.Fatalf("verdicts %v, OK %v", got, rep.OK())
	}
	// What experiment.Feasibility writes as feasibility.json and
	// feasibility.md.
	rep.RunDir = t.TempDir()
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range top {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"clustering", "naive_embeddings", "overfit_batch", "overfit_one", "run_dir"}; !slices.Equal(keys, want) {
		t.Fatalf("top-level keys %v, want %v", keys, want)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.OverfitOne.Verdict != Pass || back.OverfitBatch.ZeroInput == nil || back.NaiveEmbeddings.Verdict != NoSignal || back.Clustering.NMI != rep.Clustering.NMI || back.Clustering.Verdict != NoClusters {
		t.Fatalf("round trip %+v", back)
	}
	md := []byte(rep.Markdown("mlp on noise"))
	for _, s := range []string{"memorizing needs no signal", "The model memorizes, yet no simple feature predicts the labels", "- Naive embeddings: **NO SIGNAL**", "**NO SIGNAL.**", "**PASS.**", "Zero-input baseline", "What it does not mean", "](" + rundir.PCAScatterPlot + ")"} {
		if !strings.Contains(string(md), s) {
			t.Errorf("feasibility.md lacks %q", s)
		}
	}
	text := rep.Text()
	for _, s := range []string{"overfit-one: PASS", "overfit-batch 16: PASS", "naive embeddings: NO SIGNAL", "clustering: NO CLUSTERS: k-means++", "memorizing needs no signal"} {
		if !strings.Contains(text, s) {
			t.Errorf("text report lacks %q:\n%s", s, text)
		}
	}
}

// TestSingleTestReportHasOnlyItsKey: --overfit-one writes only overfit_one.
func TestSingleTestReportHasOnlyItsKey(t *testing.T) {
	p := prepare(t, "noise:n=200,d=8,c=3", nil)
	rep, err := Run(context.Background(), p, Options{OverfitOne: true})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rep)
	var top map[string]any
	json.Unmarshal(b, &top)
	if len(top) != 1 || top["overfit_one"] == nil {
		t.Fatalf("keys %v", top)
	}
	if !rep.OK() {
		t.Fatal("a PASS is not OK")
	}
}

func TestFloatEncodesNonFiniteAsNull(t *testing.T) {
	b, err := json.Marshal([]Float{1.5, Float(math.NaN()), Float(math.Inf(1)), 0})
	if err != nil || string(b) != "[1.5,null,null,0]" {
		t.Fatalf("%s %v", b, err)
	}
	var back []Float
	if err := json.Unmarshal(b, &back); err != nil || back[0] != 1.5 || !math.IsNaN(float64(back[1])) {
		t.Fatalf("%v %v", back, err)
	}
}
