package lrsweep

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"

	"github.com/practica-ml/practica/internal/setting"
	"github.com/practica-ml/practica/setup"

	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/train"
)

// Config is a whole sweep: the range test, its seeds, the rule that
// recommends, and the optional grid.
type Config struct {
	Options
	// Seeds is how many range tests to run, with seeds s, s+1, … from the
	// experiment's seed s (each draws its own initial weights and batches).
	Seeds int
	// Recommend names the rule whose median is recommended (valley).
	Recommend string
	// Grid lists learning rates to train briefly; GridAuto uses the
	// recommendation ×1/3, ×1, ×3. Neither: no grid.
	Grid     []float64
	GridAuto bool
	// GridEpochs is each grid run's length (3).
	GridEpochs int
	// GridMaxExtend is how many steps an automatic grid may extend past
	// its edge while the best value sits there (2).
	GridMaxExtend int
	// LRAuto makes the grid --lr auto's: the rules' suggestions and
	// DefaultLR (the configured rate) are the candidates, by successive
	// halving when there are more than three; an explicit Grid or
	// GridAuto replaces them.
	LRAuto    bool
	DefaultLR float64
	Log       *slog.Logger
}

// DefaultConfig is the sweep's defaults: 3 seeds, valley, no grid, 3
// epochs per grid value.
func DefaultConfig() Config {
	return Config{Options: defaultOptions(), Seeds: 3, Recommend: Valley, GridEpochs: 3, GridMaxExtend: DefaultGridMaxExtend}
}

// Validate reports a configuration the sweep cannot run with.
func (c Config) Validate() error {
	if err := c.Options.Validate(); err != nil {
		return err
	}
	if c.Seeds < 1 || c.Seeds > 100 {
		return setting.Errorf("seeds", "must be in [1, 100], got %d", c.Seeds)
	}
	if !slices.Contains(RuleNames(), c.Recommend) {
		return setting.Errorf("recommended_by", "must be steepest, valley or minimum/10, got %q", c.Recommend)
	}
	if (c.GridAuto || len(c.Grid) > 0 || c.LRAuto) && (c.GridEpochs < 1 || c.GridEpochs > 1000) {
		return setting.Errorf("grid_epochs", "must be in [1, 1000], got %d", c.GridEpochs)
	}
	if c.GridMaxExtend < 0 || c.GridMaxExtend > 10 {
		return setting.Errorf("grid_max_extend", "must be in [0, 10], got %d", c.GridMaxExtend)
	}
	return nil
}

// Run sweeps a prepared experiment. The first seed's range test and the
// grid use m and o, which are left exactly as they were; the other seeds
// get models of their own. It creates no files (see Result.Write).
func Run(ctx context.Context, p *setup.Prepared, m *model.Model, o train.Optimizer, c Config) (*Result, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	log := c.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	seed0 := p.Config.Training.Seed
	res := &Result{Report: Report{Suggestions: map[string]RuleReport{}, RecommendedBy: c.Recommend, Settings: Settings{
		MinLR: c.MinLR, MaxLR: c.MaxLR, Steps: c.Steps, Seeds: c.Seeds, Beta: c.Beta, DivergeFactor: c.DivergeFactor,
		BatchSize: m.TrainBatch(), Optimizer: p.Config.Optimizer.Name, Model: p.Config.Model.Arch, Data: p.Config.Data.Source,
	}}}
	rep := &res.Report
	for _, name := range RuleNames() {
		rep.Suggestions[name] = RuleReport{Rule: RuleText(name), PerSeed: []SeedValue{}}
	}
	for k := range c.Seeds {
		seed := seed0 + uint64(k)
		sm, so := m, o
		if k > 0 {
			var err error
			if sm, so, err = p.NewModel(model.Options{Seed: seed}); err != nil {
				return nil, err
			}
		}
		base := p.NewLoop(sm, so, log)
		base.Seed = seed
		opt := c.Options
		opt.Label = fmt.Sprintf("seed %d (%d/%d)", seed, k+1, c.Seeds)
		curve, err := rangeTest(ctx, base, opt)
		if err != nil {
			return nil, err
		}
		res.Curves = append(res.Curves, curve)
		sr := seedReport(curve)
		sugg, err := Suggest(curve.Points, c.Steps)
		if err != nil {
			sr.Error = err.Error()
			w := fmt.Sprintf("seed %d gave no suggestion: %v (lower lr_min or raise lr_steps)", seed, err)
			rep.Warnings = append(rep.Warnings, w)
			log.Warn(w)
		}
		for _, s := range sugg {
			rr := rep.Suggestions[s.Name]
			rr.PerSeed = append(rr.PerSeed, SeedValue{Seed: seed, LR: s.LR, Step: s.Step, SmoothedLoss: s.Loss})
			rep.Suggestions[s.Name] = rr
		}
		rep.Seeds = append(rep.Seeds, sr)
		log.Info("lr range test", "seed", seed, "steps", sr.Steps, "stop", sr.Stop, "suggestions", suggestionAttrs(sugg))
		if c.Progress != nil {
			fmt.Fprintf(c.Progress, "lr range test seed %d: %d steps (%s)%s\n", seed, sr.Steps, sr.Stop, formatSuggestions(sugg))
		}
	}
	for _, name := range RuleNames() {
		rr := rep.Suggestions[name]
		var lrs []float64
		for _, v := range rr.PerSeed {
			lrs = append(lrs, v.LR)
		}
		rr.Spread = SpreadOf(lrs)
		rep.Suggestions[name] = rr
		if rr.Disagree {
			w := fmt.Sprintf("the seeds disagree on %s by a factor of %.1f (%.2g to %.2g): treat it as a rough range", name, rr.Ratio, rr.Min, rr.Max)
			rep.Warnings = append(rep.Warnings, w)
			log.Warn(w)
		}
	}
	chosen := rep.Suggestions[c.Recommend]
	if len(chosen.PerSeed) == 0 {
		return nil, fmt.Errorf("the range test gave no suggestion on any seed (the loss diverged within a few steps): lower lr_min, the first learning rate")
	}
	rep.Recommended = chosen.Median
	rep.Reason = fmt.Sprintf("the median over %d seed(s) of %s: %s", len(chosen.PerSeed), c.Recommend, RuleText(c.Recommend))
	if c.GridAuto || len(c.Grid) > 0 || c.LRAuto {
		g, err := runGrid(ctx, p, m, o, c, rep, log)
		if err != nil {
			return nil, err
		}
		rep.Grid = g
	}
	return res, nil
}

func runGrid(ctx context.Context, p *setup.Prepared, m *model.Model, o train.Optimizer, c Config, rep *Report, log *slog.Logger) (*GridResult, error) {
	g := &GridResult{Auto: c.GridAuto || c.LRAuto && len(c.Grid) == 0, Epochs: c.GridEpochs, Suggested: rep.Recommended}
	values, maxExtend, halving := c.Grid, 0, false
	switch {
	case c.GridAuto:
		values, maxExtend = AutoGrid(rep.Recommended), c.GridMaxExtend
	case c.LRAuto && len(c.Grid) == 0:
		g.Candidates = Candidates(rep, c.DefaultLR)
		values = nil
		for _, cd := range g.Candidates {
			values = append(values, cd.LR)
		}
		maxExtend, halving = c.GridMaxExtend, true
	}
	var sizes []int
	for _, prm := range m.Learnables() {
		sizes = append(sizes, len(prm.Float32s()))
	}
	newOpt := func(lr float64) (train.Optimizer, error) {
		oc := p.Config.Optimizer
		oc.LR = lr
		return train.NewOptimizer(oc, sizes)
	}
	if err := search(ctx, g, values, c.GridEpochs, maxExtend, halving, trainRuns(p.NewLoop(m, o, log), newOpt, c.Progress), c.Progress); err != nil {
		return nil, err
	}
	g.Rules = ruleResults(rep, g)
	if g.Best > 0 {
		log.Info("lr grid", "best", g.Best, "val_loss", g.BestValLoss, "suggested", rep.Recommended, "why", g.Reason)
	} else {
		log.Warn("every grid run diverged")
	}
	return g, nil
}

func seedReport(c Curve) SeedReport {
	sr := SeedReport{Seed: c.Seed, Steps: len(c.Points), Stop: c.Stop, MinSmoothedLoss: math.Inf(1)}
	for _, p := range c.Points {
		if finite(p.Smoothed) && p.Smoothed < sr.MinSmoothedLoss {
			sr.MinSmoothedLoss, sr.LRAtMin = p.Smoothed, p.LR
		}
	}
	if math.IsInf(sr.MinSmoothedLoss, 1) {
		sr.MinSmoothedLoss = 0
	}
	return sr
}

func suggestionAttrs(s []Suggestion) []any {
	out := make([]any, 0, len(s))
	for _, v := range s {
		out = append(out, slog.Float64(v.Name, v.LR))
	}
	return out
}

func formatSuggestions(s []Suggestion) string {
	out := ""
	for _, v := range s {
		out += fmt.Sprintf("  %s %.2e", v.Name, v.LR)
	}
	return out
}

// WriteText prints a report for people: the suggestions per seed, their
// spread, the recommendation and the grid.
func WriteText(w io.Writer, r *Report) {
	fmt.Fprintf(w, "lr range test: %s on %s with %s, batch %d, lr %.0e to %.0e over %d steps, %d seed(s)\n",
		r.Settings.Model, r.Settings.Data, r.Settings.Optimizer, r.Settings.BatchSize, r.Settings.MinLR, r.Settings.MaxLR, r.Settings.Steps, r.Settings.Seeds)
	fmt.Fprintf(w, "%-6s %6s  %-10s", "seed", "steps", "stop")
	for _, n := range RuleNames() {
		fmt.Fprintf(w, " %11s", n)
	}
	fmt.Fprintln(w)
	for _, s := range r.Seeds {
		fmt.Fprintf(w, "%-6d %6d  %-10s", s.Seed, s.Steps, s.Stop)
		for _, n := range RuleNames() {
			v := "-"
			for _, sv := range r.Suggestions[n].PerSeed {
				if sv.Seed == s.Seed {
					v = fmt.Sprintf("%.2e", sv.LR)
				}
			}
			fmt.Fprintf(w, " %11s", v)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "spread over seeds: %-9s %-9s %-9s max/min\n", "min", "median", "max")
	for _, n := range RuleNames() {
		s := r.Suggestions[n]
		mark := ""
		if s.Disagree {
			mark = "  (seeds disagree)"
		}
		fmt.Fprintf(w, "  %-16s %-9.2e %-9.2e %-9.2e %.1f%s\n", n, s.Min, s.Median, s.Max, s.Ratio, mark)
	}
	fmt.Fprintf(w, "recommended lr %.2e: %s\n", r.Recommended, r.Reason)
	if g := r.Grid; g != nil {
		fmt.Fprintf(w, "grid, %d epoch(s) each from the same initial weights (validation loss per epoch):\n", g.Epochs)
		for _, run := range g.Runs {
			fmt.Fprintf(w, "  lr %.2e:", run.LR)
			for _, v := range run.ValLoss {
				fmt.Fprintf(w, " %.4f", v)
			}
			if run.Diverged {
				fmt.Fprint(w, " diverged")
			}
			fmt.Fprintln(w)
		}
		for _, rg := range g.Rungs {
			fmt.Fprintf(w, "successive halving: %d candidates after %d epoch(s), promoted %s\n", len(rg.LRs), rg.Epochs, formatLRs(rg.Promoted))
		}
		if len(g.Extended) > 0 {
			fmt.Fprintf(w, "the best value sat at the grid's edge: extended to %s\n", formatLRs(g.Extended))
		}
		if g.Best > 0 {
			fmt.Fprintf(w, "grid best lr %.2e: %s; range-test suggestion %.2e\n", g.Best, g.Reason, g.Suggested)
		} else {
			fmt.Fprintf(w, "every grid run diverged; range-test suggestion %.2e\n", g.Suggested)
		}
		if g.TurnsUpAt > 0 {
			fmt.Fprintf(w, "the validation loss turns up at lr %.2e\n", g.TurnsUpAt)
		} else if g.Best > 0 {
			fmt.Fprintln(w, "the validation loss does not turn up within the grid")
		}
		fmt.Fprintln(w, "how each rule did:")
		for _, n := range RuleNames() {
			rr, ok := g.Rules[n]
			switch {
			case !ok:
				fmt.Fprintf(w, "  %-11s no suggestion\n", n)
			case rr.FinalValLoss == nil && rr.LR == 0:
				fmt.Fprintf(w, "  %-11s %.2e  not in the grid\n", n, rr.Suggested)
			case rr.FinalValLoss == nil:
				fmt.Fprintf(w, "  %-11s %.2e  diverged\n", n, rr.Suggested)
			default:
				fmt.Fprintf(w, "  %-11s %.2e  val_loss %.4f after %d epoch(s), rank %d of %d\n", n, rr.Suggested, *rr.FinalValLoss, rr.Epochs, rr.Rank, len(g.Runs))
			}
		}
	}
	if r.RunDir != "" {
		fmt.Fprintf(w, "run directory: %s\n", r.RunDir)
	}
}
