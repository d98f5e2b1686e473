package labeling

import (
	"testing"

	"github.com/practica-ml/practica/config"
)

// TestSimulationHoldsOutTheTestSplit: on a source without its own test
// split the simulation holds out a stratified fifth, seeded, and no
// queue offers any of it; a round labels with the source's labels.
func TestSimulationHoldsOutTheTestSplit(t *testing.T) {
	p := digitsPool(t, PoolOptions{Seed: 5})
	cfg := config.Default()
	cfg.Training.Seed = 5
	s, err := newSimulator(p, SimulateOptions{Config: cfg, Budget: 600, Round: 100})
	if err != nil {
		t.Fatal(err)
	}
	held := 0
	perClass := make([]int, p.Data.NumClasses())
	for i, h := range s.heldOut {
		if h {
			held++
			perClass[p.Data.Y[i]]++
		}
	}
	if held != 359 || s.test.Len() != held || len(s.candidates) != p.Data.Len()-held || p.SimulationPool(5) != len(s.candidates) {
		t.Fatalf("held out %d (test %d), %d candidates", held, s.test.Len(), len(s.candidates))
	}
	for k, n := range perClass {
		if n < 35 || n > 37 {
			t.Errorf("class %d: %d held out, want a fifth of its ~180", k, n)
		}
	}
	for _, q := range []Queue{newRandomQueue(p.Data.Len(), 5), s.cluster} {
		st := newLabelState(p.Data, s.heldOut)
		if n := st.take(q, 600); n != 600 {
			t.Fatalf("%s: %d labeled", q.Strategy(), n)
		}
		for _, i := range st.order {
			if s.heldOut[i] {
				t.Fatalf("%s offered held-out example %d", q.Strategy(), i)
			}
			if l, _ := st.Label(i); l != p.Data.Classes[p.Data.Y[i]] {
				t.Fatalf("%s: example %d labeled %q", q.Strategy(), i, l)
			}
		}
	}
	if _, err := newSimulator(p, SimulateOptions{Config: cfg, Budget: 1439, Round: 100}); err == nil {
		t.Error("a budget above the 1438 candidates was accepted")
	}
}
