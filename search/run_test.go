package search

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const halvingSpace = `
method: halving
trials: 6
seed: 5
metric: val_loss
params:
  optimizer.lr: {log_uniform: [1.0e-4, 1.0e-1]}
  model.dropout: {uniform: [0.0, 0.5]}
halving: {min_epochs: 1, max_epochs: 4, eta: 2}
`

// TestShardsEqualOneProcess runs each space in one process, as 3 shards
// at once, and with a shard interrupted mid-trial and restarted: search.csv
// (without seconds and paths) is the same every time.
func TestShardsEqualOneProcess(t *testing.T) {
	for _, tc := range []struct {
		name, space, want string
	}{
		{"random", randomSpace, ""},
		// Rungs 1, 2, 4 epochs: 6 trials, then 3 (0, 3, 5), then 1 (5).
		{"halving", halvingSpace, `index,model.dropout,optimizer.lr,epochs,val_loss,status
0,0.49370231664227715,0.0007381803733241981,2,1.675539822613189,done
1,0.4300620067247905,0.019588347710999866,1,2.2720598112617134,done
2,0.36783278311065276,0.02694330014172119,1,2.308283572179908,done
3,0.15928042029454226,0.005637221948367901,2,0.9203455544679099,done
4,0.28610594469623624,0.0001378645560158843,1,2.6966533181525802,done
5,0.25091666964746984,0.0041219959535970544,4,0.6260242307608888,done`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeSpace(t, tc.space)
			root := t.TempDir()
			one := filepath.Join(root, "one")
			if _, err := runShard(t, context.Background(), path, one, All, &fakeTrainer{}); err != nil {
				t.Fatal(err)
			}
			want := csvWithoutTimes(t, one)
			if tc.want != "" && want != tc.want {
				t.Fatalf("one process:\n%s\nwant\n%s", want, tc.want)
			}

			many := filepath.Join(root, "many")
			var wg sync.WaitGroup
			errs := make([]error, 3)
			for k := range 3 {
				wg.Go(func() {
					_, errs[k] = runShard(t, context.Background(), path, many, Shard{K: k, N: 3}, &fakeTrainer{})
				})
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			if got := csvWithoutTimes(t, many); got != want {
				t.Fatalf("3 shards:\n%s\none process:\n%s", got, want)
			}

			// Shard 1 is interrupted after 2 epochs of its own, inside
			// its first trial (3 epochs) or its first rung's second trial.
			restarted := filepath.Join(root, "restarted")
			errs = make([]error, 3)
			for k := range 3 {
				wg.Go(func() {
					if k == 1 {
						ctx, cancel := context.WithCancel(context.Background())
						_, err := runShard(t, ctx, path, restarted, Shard{K: k, N: 3}, &fakeTrainer{stopAfter: 2, cancel: cancel})
						if !errors.Is(err, context.Canceled) {
							errs[k] = errors.New("the interrupted shard did not stop with the interrupt: " + errString(err))
							return
						}
					}
					_, errs[k] = runShard(t, context.Background(), path, restarted, Shard{K: k, N: 3}, &fakeTrainer{})
				})
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			if got := csvWithoutTimes(t, restarted); got != want {
				t.Fatalf("with a shard restarted:\n%s\none process:\n%s", got, want)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

func TestRestartSkipsFinishedTrials(t *testing.T) {
	path := writeSpace(t, randomSpace)
	dir := filepath.Join(t.TempDir(), "s")
	first, err := runShard(t, context.Background(), path, dir, All, &fakeTrainer{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := runShard(t, context.Background(), path, dir, All, &fakeTrainer{})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Ran) != 6 || len(again.Ran) != 0 || len(again.Skipped) != 6 {
		t.Fatalf("first ran %v, again ran %v and skipped %v: want 6, 0 and 6", first.Ran, again.Ran, again.Skipped)
	}
}

func TestDifferentSpaceRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "s")
	if _, err := runShard(t, context.Background(), writeSpace(t, randomSpace), dir, All, &fakeTrainer{}); err != nil {
		t.Fatal(err)
	}
	// The same space spelled otherwise is the same search.
	if _, err := runShard(t, context.Background(), writeSpace(t, randomSpaceReordered), dir, All, &fakeTrainer{}); err != nil {
		t.Fatalf("the same space reordered was refused: %v", err)
	}
	_, err := runShard(t, context.Background(), writeSpace(t, strings.Replace(randomSpace, "seed: 7", "seed: 8", 1)), dir, All, &fakeTrainer{})
	if err == nil || !strings.Contains(err.Error(), "holds a different search space") {
		t.Fatalf("err = %v, want a refusal", err)
	}
	if _, err := os.Stat(TrialDir(dir, 6)); err == nil {
		t.Fatal("a refused search wrote a trial")
	}
}

func TestGatherWritesBest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "s")
	if _, err := runShard(t, context.Background(), writeSpace(t, halvingSpace), dir, All, &fakeTrainer{}); err != nil {
		t.Fatal(err)
	}
	g, err := Gather(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Write(); err != nil {
		t.Fatal(err)
	}
	if g.Best < 0 || g.Rows[g.Best].Index != 5 || g.Rows[g.Best].Epochs != 4 {
		t.Fatalf("best = %d, want trial 5 after 4 epochs", g.Best)
	}
	for _, f := range []string{CSVFile, JSONFile, BestConfig} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}
