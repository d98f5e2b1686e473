package search

import (
	"reflect"
	"testing"
)

const randomSpace = `
method: random
trials: 6
seed: 7
metric: val_loss
params:
  optimizer.lr: {log_uniform: [1.0e-4, 1.0e-2]}
  model.dropout: {uniform: [0.0, 0.5]}
  training.batch_size: {choice: [16, 32]}
  model.hidden: {choice: [[8], [16, 8]]}
  training.train_eval_size: {int_uniform: [10, 20]}
`

// The same space with its keys in another order and other spellings of
// the same numbers.
const randomSpaceReordered = `
params:
  model.hidden: {choice: [[8], [16, 8]]}
  training.train_eval_size: {int_uniform: [10, 20]}
  training.batch_size: {choice: [16, 32]}
  model.dropout: {uniform: [0, 0.50]}
  optimizer.lr: {log_uniform: [0.0001, 0.01]}
metric: val_loss
seed: 7
trials: 6
method: random
`

func TestTrialsArePure(t *testing.T) {
	a, err := ParseSpace(writeSpace(t, randomSpace))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseSpace(writeSpace(t, randomSpaceReordered))
	if err != nil {
		t.Fatal(err)
	}
	other, err := ParseSpace(writeSpace(t, randomSpace[:len(randomSpace)-1]+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	other.Seed = 8
	for i := range a.Trials {
		ta, tb, again := a.Trial(i), b.Trial(i), a.Trial(i)
		if !reflect.DeepEqual(ta, tb) || !reflect.DeepEqual(ta, again) {
			t.Fatalf("trial %d: %+v, reordered %+v, again %+v", i, ta, tb, again)
		}
		if reflect.DeepEqual(ta, other.Trial(i)) {
			t.Fatalf("trial %d is the same with another seed", i)
		}
		lr, dropout, eval := ta.Values[2].(float64), ta.Values[0].(float64), ta.Values[4].(int)
		if lr < 1e-4 || lr > 1e-2 || dropout < 0 || dropout > 0.5 || eval < 10 || eval > 20 {
			t.Fatalf("trial %d out of its ranges: %+v", i, ta)
		}
	}
	// Fixed values: a change to the sampling changes every search's trials.
	t0 := a.Trial(0)
	if got := a.describe(t0); got != "model.dropout=0.399917847544656 model.hidden=[16, 8] optimizer.lr=0.003009409703815666 training.batch_size=32 training.train_eval_size=12" || t0.Seed != 1517749269 {
		t.Errorf("trial 0 = %s seed %d", got, t0.Seed)
	}
}
