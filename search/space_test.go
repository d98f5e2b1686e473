package search

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSpaceErrors(t *testing.T) {
	const ok = "method: random\ntrials: 4\nseed: 1\nmetric: val_loss\n"
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"unknown top key", ok + "params: {optimizer.lr: {uniform: [0.1, 0.2]}}\nbudget: 3\n", "field budget not found"},
		{"no config key", ok + "params: {optimizer.rate: {uniform: [0.1, 0.2]}}\n", `params.optimizer.rate: "optimizer.rate" names no config key`},
		{"inverted range", ok + "params: {optimizer.lr: {uniform: [0.2, 0.1]}}\n", "params.optimizer.lr.uniform: empty or inverted range"},
		{"empty range", ok + "params: {optimizer.lr: {uniform: [0.1, 0.1]}}\n", "empty or inverted range"},
		{"log lo <= 0", ok + "params: {optimizer.lr: {log_uniform: [0, 0.1]}}\n", "params.optimizer.lr.log_uniform: lo must be > 0"},
		{"wrong type choice", ok + "params: {training.batch_size: {choice: [64, 12.5]}}\n", "params.training.batch_size.choice[1]: training.batch_size must be a whole number"},
		{"list key scalar", ok + "params: {model.hidden: {choice: [128]}}\n", "params.model.hidden.choice[0]: model.hidden must be a list"},
		{"uniform on int", ok + "params: {training.batch_size: {uniform: [16, 64]}}\n", "not a number: use int_uniform or choice"},
		{"out of range", ok + "params: {model.dropout: {uniform: [0.1, 1.5]}}\n", "model.dropout must be in [0, 1)"},
		{"unknown dist", ok + "params: {optimizer.lr: {normal: [0.1, 0.2]}}\n", `unknown distribution "normal"`},
		{"two dists", ok + "params: {optimizer.lr: {uniform: [0.1, 0.2], choice: [0.1]}}\n", "want exactly one of"},
		{"no params", ok, "params must name at least one config key"},
		{"bad method", strings.Replace(ok, "random", "bayes", 1) + "params: {optimizer.lr: {uniform: [0.1, 0.2]}}\n", `method must be grid, random or halving, got "bayes"`},
		{"bad metric", strings.Replace(ok, "val_loss", "loss", 1) + "params: {optimizer.lr: {uniform: [0.1, 0.2]}}\n", "metric must be val_loss or val_accuracy"},
		{"grid non-choice", "method: grid\nmetric: val_loss\nparams: {optimizer.lr: {uniform: [0.1, 0.2]}}\n", "params.optimizer.lr: grid takes choice lists only"},
		{"halving no block", strings.Replace(ok, "random", "halving", 1) + "params: {optimizer.lr: {uniform: [0.1, 0.2]}}\n", "halving: method halving needs a halving block"},
		{"halving eta 1", strings.Replace(ok, "random", "halving", 1) + "params: {optimizer.lr: {uniform: [0.1, 0.2]}}\nhalving: {min_epochs: 1, max_epochs: 4, eta: 1}\n", "halving.eta must be >= 2"},
		{"halving unknown key", strings.Replace(ok, "random", "halving", 1) + "params: {optimizer.lr: {uniform: [0.1, 0.2]}}\nhalving: {min_epochs: 1, max_epochs: 4, eta: 2, rungs: 3}\n", "field rungs not found"},
		{"no trials", "method: random\nmetric: val_loss\nparams: {optimizer.lr: {uniform: [0.1, 0.2]}}\n", "trials must be in [1, 100000] for random, got 0"},
		{"seed searched", ok + "params: {training.seed: {choice: [1, 2]}}\n", "params.training.seed: set by the search itself"},
		{"empty file", "", "empty search space"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeSpace(t, tc.yaml)
			_, err := ParseSpace(p)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), p+": ") {
				t.Fatalf("error %q: want it to start with the file and contain %q", err, tc.want)
			}
		})
	}
}

func TestParseSpaceValid(t *testing.T) {
	p := writeSpace(t, `
method: grid
seed: 3
metric: val_accuracy
params:
  training.batch_size: {choice: [64, 128]}
  model.hidden: {choice: [[128], [256, 128], [32]]}
`)
	s, err := ParseSpace(p)
	if err != nil {
		t.Fatal(err)
	}
	if s.Trials != 6 || len(s.Params) != 2 || s.Params[0].Key != "model.hidden" || !s.Maximize() {
		t.Fatalf("got %+v: want 6 trials, params sorted by key, maximized", s)
	}
	// The last key in sorted order changes fastest.
	want := []string{"[128] 64", "[128] 128", "[256, 128] 64", "[256, 128] 128", "[32] 64", "[32] 128"}
	for i, w := range want {
		tr := s.Trial(i)
		if got := FormatValue(tr.Values[0]) + " " + FormatValue(tr.Values[1]); got != w {
			t.Errorf("grid trial %d = %s, want %s", i, got, w)
		}
	}
}

func FuzzParseSpace(f *testing.F) {
	for _, seed := range []string{
		"method: random\ntrials: 3\nseed: 1\nmetric: val_loss\nparams: {optimizer.lr: {log_uniform: [1e-4, 1e-2]}}\n",
		"method: grid\nmetric: val_accuracy\nparams: {model.hidden: {choice: [[128], [64, 32]]}}\n",
		"method: halving\ntrials: 6\nmetric: val_loss\nparams: {training.batch_size: {int_uniform: [8, 64]}}\nhalving: {min_epochs: 1, max_epochs: 9, eta: 3}\n",
		"params: {a: {b: [1, 2]}}", "method: [", "",
	} {
		f.Add(seed)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, text string) {
		p := filepath.Join(dir, "space.yaml")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := ParseSpace(p)
		if err != nil {
			return
		}
		if s.Trials < 1 || len(s.Params) == 0 {
			t.Fatalf("accepted a space with %d trials and %d params", s.Trials, len(s.Params))
		}
		// Every accepted space gives trials whose configs are valid.
		for i := range min(s.Trials, 3) {
			tr := s.Trial(i)
			if len(tr.Values) != len(s.Params) {
				t.Fatalf("trial %d has %d values for %d params", i, len(tr.Values), len(s.Params))
			}
		}
	})
}
