package lrsweep

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/practica-ml/practica/train"
)

// GridStep is the factor between neighbouring values of an automatic grid,
// and what an edge extension multiplies or divides by.
const GridStep = 3

// DefaultGridMaxExtend is how many times an automatic grid may extend past
// its edge.
const DefaultGridMaxExtend = 2

// PlateauTolerance is the relative difference in best validation loss
// under which two grid values count as a tie (a plateau). Short runs from
// the same initial weights and data order differ by a few tenths of a
// percent between nearby rates that are equally good; 2% is above that
// and well below the gaps between a good and a poor rate (a factor of 2 or
// more on digits).
const PlateauTolerance = 0.02

// dedupeFactor is how close two candidates may be before they count as
// one: within a factor of 1.5 the short runs cannot tell them apart.
const dedupeFactor = 1.5

// Candidate is a learning rate that --lr auto tries, and who proposed it:
// rule names (steepest, valley, minimum/10), "default" (the configured
// rate) or "extension" (a step past the grid's edge).
type Candidate struct {
	LR      float64  `json:"lr"`
	Sources []string `json:"sources"`
}

// Candidates are the suggestions of every rule (their medians over seeds)
// and the configured rate, merged when within a factor of 1.5 of one
// another (the merged value is the first proposer's, in the order rules
// then default), sorted by rate.
func Candidates(rep *Report, defaultLR float64) []Candidate {
	var out []Candidate
	add := func(lr float64, source string) {
		if !(lr > 0) || math.IsInf(lr, 0) {
			return
		}
		for i := range out {
			if r := lr / out[i].LR; r < dedupeFactor && r > 1/dedupeFactor {
				out[i].Sources = append(out[i].Sources, source)
				return
			}
		}
		out = append(out, Candidate{LR: lr, Sources: []string{source}})
	}
	for _, name := range RuleNames() {
		if rr, ok := rep.Suggestions[name]; ok && len(rr.PerSeed) > 0 {
			add(rr.Median, name)
		}
	}
	add(defaultLR, "default")
	sort.Slice(out, func(i, j int) bool { return out[i].LR < out[j].LR })
	return out
}

// Rung is one round of successive halving: the candidates trained for
// Epochs epochs and those promoted to the next round.
type Rung struct {
	Epochs   int       `json:"epochs"`
	LRs      []float64 `json:"lrs"`
	Promoted []float64 `json:"promoted"`
}

// RuleResult is how one rule's suggestion did in the grid.
type RuleResult struct {
	// Suggested is the rule's median over seeds.
	Suggested float64 `json:"suggested"`
	// LR is the grid value that stood for it (the candidate it merged
	// into), 0 when the grid had none within a factor of 1.5.
	LR float64 `json:"lr,omitempty"`
	// FinalValLoss is that value's validation loss at the end of its
	// short run, Epochs the run's length (shorter when halving dropped
	// it); Rank is its place among the grid's values, 1 for the best.
	FinalValLoss *float64 `json:"final_val_loss,omitempty"`
	Epochs       int      `json:"epochs,omitempty"`
	Rank         int      `json:"rank,omitempty"`
}

// search trains the candidate values from the same initial weights and
// data order and picks the best by validation loss: by successive halving
// (a third of the candidates, at least two, promoted after a third of the
// epochs) when there are more than three, then extending past the grid's
// top or bottom edge while the best value sits there (at most maxExtend
// steps of ×3), then preferring on a plateau the larger rate whose curve
// is not rising at the end. It fills g's runs, rungs, extensions, best
// value and the reason.
func search(ctx context.Context, g *GridResult, values []float64, epochs, maxExtend int, halving bool,
	run func(ctx context.Context, values []float64, epochs int) ([]GridRun, error), progress io.Writer) error {
	values = slices.Clone(values)
	slices.Sort(values)
	done := map[float64]GridRun{}
	if halving && len(values) > 3 {
		short := max(1, epochs/3)
		if short < epochs {
			runs, err := run(ctx, values, short)
			if err != nil {
				return err
			}
			keep := max(2, (len(values)+2)/3)
			order := rank(runs)
			var promoted []float64
			for i, k := range order {
				if i < keep {
					promoted = append(promoted, runs[k].LR)
				} else {
					done[runs[k].LR] = runs[k]
				}
			}
			slices.Sort(promoted)
			g.Rungs = append(g.Rungs, Rung{Epochs: short, LRs: values, Promoted: promoted})
			if progress != nil {
				fmt.Fprintf(progress, "lr grid: %d candidates after %d epoch(s); promoted %s to %d epochs\n", len(values), short, formatLRs(promoted), epochs)
			}
			values = promoted
		}
	}
	runs, err := run(ctx, values, epochs)
	if err != nil {
		return err
	}
	for _, r := range runs {
		done[r.LR] = r
	}
	for ext := 0; ext < maxExtend; ext++ {
		full := fullRuns(done, epochs)
		b := bestFinal(full)
		if b < 0 {
			break
		}
		lrs := make([]float64, len(full))
		for i, r := range full {
			lrs[i] = r.LR
		}
		lo, hi := slices.Min(lrs), slices.Max(lrs)
		var next float64
		switch best := full[b].LR; {
		case best == hi:
			next = hi * GridStep
		case best == lo:
			next = lo / GridStep
		default:
			ext = maxExtend
			continue
		}
		if progress != nil {
			fmt.Fprintf(progress, "lr grid: the best value %.3g is at the grid's edge; extending to %.3g\n", full[b].LR, next)
		}
		more, err := run(ctx, []float64{next}, epochs)
		if err != nil {
			return err
		}
		done[next] = more[0]
		g.Extended = append(g.Extended, next)
	}
	g.Runs = g.Runs[:0]
	for _, lr := range sortedKeys(done) {
		g.Runs = append(g.Runs, done[lr])
	}
	full := fullRuns(done, epochs)
	b := bestFinal(full)
	if b < 0 {
		g.Reason = "every run diverged"
		return nil
	}
	best := full[b]
	g.Reason = fmt.Sprintf("the lowest validation loss after %d epoch(s): %.4f", epochs, *final(best))
	// On a plateau, the larger rate: it trains as well in the short
	// runs and gets further in a longer one, unless its own curve is
	// already turning up.
	for _, r := range full {
		if r.LR > best.LR && final(r) != nil && *final(r) <= *final(full[b])*(1+PlateauTolerance) && !risingAtEnd(r) {
			best = r
		}
	}
	if best.LR != full[b].LR {
		g.Reason = fmt.Sprintf("within %.0f%% of the lowest validation loss (%.4f at %.3g) and not rising at the end, the largest such rate: %.4f",
			PlateauTolerance*100, *final(full[b]), full[b].LR, *final(best))
	}
	g.Best, g.BestValLoss = best.LR, *final(best)
	if len(g.Extended) > 0 {
		g.Reason += fmt.Sprintf("; the grid was extended past its edge to %s", formatLRs(g.Extended))
	}
	g.TurnsUpAt = turnsUp(g.Runs, epochs, best)
	return nil
}

// final is a run's validation loss at the end of its short run, nil when
// it diverged or no epoch finished. The grid ranks by it, not by the best
// epoch: a rate too large can hit a lucky low loss in its first epoch
// (saturated logits, every validation example right) and then climb, and
// training would end where its curve ends.
func final(r GridRun) *float64 {
	if r.Diverged || len(r.ValLoss) == 0 {
		return nil
	}
	v := r.ValLoss[len(r.ValLoss)-1]
	return &v
}

// bestFinal is the index of the run with the lowest final validation loss
// (the first of equals), -1 when every run diverged.
func bestFinal(runs []GridRun) int {
	if order := rank(runs); len(order) > 0 && final(runs[order[0]]) != nil {
		return order[0]
	}
	return -1
}

// rank orders runs by final validation loss, diverged runs last.
func rank(runs []GridRun) []int {
	idx := make([]int, len(runs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ra, rb := runs[idx[a]], runs[idx[b]]
		switch {
		case final(ra) == nil:
			return false
		case final(rb) == nil:
			return true
		}
		return *final(ra) < *final(rb)
	})
	return idx
}

// fullRuns are the runs that trained the full length (not dropped by
// halving), by rate.
func fullRuns(runs map[float64]GridRun, epochs int) []GridRun {
	var out []GridRun
	for _, lr := range sortedKeys(runs) {
		if r := runs[lr]; len(r.ValLoss) == epochs || r.Diverged {
			out = append(out, r)
		}
	}
	return out
}

// risingAtEnd reports whether a run's validation loss went up in its last
// epoch.
func risingAtEnd(r GridRun) bool {
	n := len(r.ValLoss)
	return r.Diverged || n >= 2 && r.ValLoss[n-1] > r.ValLoss[n-2]
}

// turnsUp is the smallest rate above best whose loss is worse than
// best's by more than the plateau tolerance, that diverged, or that
// halving dropped (it lost to best at equal epochs): where the validation
// loss turns up. 0 when none does.
func turnsUp(runs []GridRun, epochs int, best GridRun) float64 {
	for _, r := range runs {
		if r.LR <= best.LR {
			continue
		}
		dropped := !r.Diverged && len(r.ValLoss) < epochs
		if dropped || final(r) == nil || *final(r) > *final(best)*(1+PlateauTolerance) {
			return r.LR
		}
	}
	return 0
}

// ruleResults says how each rule's suggestion did: the grid value that
// stood for it, its loss and its rank.
func ruleResults(rep *Report, g *GridResult) map[string]RuleResult {
	order := rank(g.Runs)
	rankOf := map[float64]int{}
	for i, k := range order {
		rankOf[g.Runs[k].LR] = i + 1
	}
	out := map[string]RuleResult{}
	for _, name := range RuleNames() {
		rr, ok := rep.Suggestions[name]
		if !ok || len(rr.PerSeed) == 0 {
			continue
		}
		res := RuleResult{Suggested: rr.Median}
		for _, r := range g.Runs {
			if q := rr.Median / r.LR; q < dedupeFactor && q > 1/dedupeFactor {
				res.LR, res.FinalValLoss, res.Epochs, res.Rank = r.LR, final(r), len(r.ValLoss), rankOf[r.LR]
				break
			}
		}
		out[name] = res
	}
	return out
}

func sortedKeys(m map[float64]GridRun) []float64 {
	keys := make([]float64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func formatLRs(lrs []float64) string {
	s := make([]string, len(lrs))
	for i, v := range lrs {
		s[i] = fmt.Sprintf("%.3g", v)
	}
	return strings.Join(s, ", ")
}

// trainRuns adapts runGridValues to search's run function.
func trainRuns(base train.Loop, newOpt func(lr float64) (train.Optimizer, error), progress io.Writer) func(ctx context.Context, values []float64, epochs int) ([]GridRun, error) {
	return func(ctx context.Context, values []float64, epochs int) ([]GridRun, error) {
		return runGridValues(ctx, base, newOpt, values, epochs, progress)
	}
}
