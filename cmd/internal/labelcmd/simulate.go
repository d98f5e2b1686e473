package labelcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/figures"
	"github.com/practica-ml/practica/internal/atomicfile"
	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/labeling"
)

// The files --simulate writes into --out.
const (
	CurveCSV  = "label_curve.csv"
	CurvePNG  = "label_curve.png"
	CurveJSON = "label_curve.json"
)

// simulateAction runs label --simulate: it checks the flags (a bad one is
// a usage error naming it), opens the pool, plays every strategy and
// writes the curve.
func simulateAction(c *cli.Context) error {
	for _, f := range []string{"labels", "serve", "show-source-labels", "strategy"} {
		if c.IsSet(f) {
			return cliutil.Usagef(c, "--%s applies to the labeling page, not to --simulate (which answers with the source's own labels; --strategies chooses the strategies it plays)", f)
		}
	}
	if !c.IsSet("out") || c.String("out") == "" {
		return cliutil.Usagef(c, "--simulate needs --out DIR, the directory label_curve.csv, .png and .json are written into")
	}
	budget, round := c.Int("budget"), c.Int("round")
	switch {
	case round < 1:
		return cliutil.Usagef(c, "--round %d: want at least 1 label per round", round)
	case budget < 1:
		return cliutil.Usagef(c, "--budget %d: want at least 1 label", budget)
	case round > budget:
		return cliutil.Usagef(c, "--round %d is more than --budget %d: a round labels at most the budget", round, budget)
	case c.Int("epochs") < 1:
		return cliutil.Usagef(c, "--epochs %d: want at least 1", c.Int("epochs"))
	}
	strategies := labeling.Strategies()
	if c.IsSet("strategies") {
		strategies = nil
		for _, s := range strings.Split(c.String("strategies"), ",") {
			s = strings.TrimSpace(s)
			if !slices.Contains(labeling.Strategies(), s) {
				return cliutil.Usagef(c, "--strategies: %q is not random, uncertain or cluster", s)
			}
			if !slices.Contains(strategies, s) {
				strategies = append(strategies, s)
			}
		}
	}
	opt, cfg, err := poolOptions(c)
	if err != nil {
		return err
	}
	if c.IsSet("model") {
		cfg.Model.Arch = c.String("model")
		cfg.Model.Hidden, cfg.Model.Channels, cfg.Model.Layers = nil, nil, nil
	}
	cfg.Training.Epochs = c.Int("epochs")
	// Every training starts from its own seeded weights.
	cfg.Training.InitFrom, cfg.Training.Freeze, cfg.Training.UnfreezeAt = "", nil, 0
	if err := cfg.Validate(); err != nil {
		return withFlag(c, err)
	}
	log := cliutil.Logger(c.App.ErrWriter, c.Bool("quiet"), c.Bool("verbose"))
	pool, err := labeling.OpenPool(opt)
	if err != nil {
		return err
	}
	if n := pool.SimulationPool(cfg.Training.Seed); budget > n {
		return cliutil.Usagef(c, "--budget %d is more than the %d examples of %s a simulation may label", budget, n, opt.Source)
	}
	ctx, stop := cliutil.SignalContext(context.Background())
	defer stop()
	log.Info("label simulation: start", "data", opt.Source, "budget", budget, "round", round, "strategies", strings.Join(strategies, ","), "epochs", cfg.Training.Epochs)
	sim, err := labeling.Simulate(ctx, pool, labeling.SimulateOptions{Config: cfg, Budget: budget, Round: round, Strategies: strategies, Log: log})
	if err != nil {
		if ctx.Err() != nil {
			return &cliutil.Exit{Code: cliutil.InterruptCode(ctx), Err: err}
		}
		return err
	}
	out := c.String("out")
	if err := writeCurve(out, sim); err != nil {
		return err
	}
	for _, r := range sim.Strategies {
		reach := "not reached"
		if r.LabelsToTarget != nil {
			reach = fmt.Sprint(*r.LabelsToTarget, " labels")
		}
		log.Info("label simulation: strategy", "strategy", r.Strategy, "final_labels", r.FinalLabels, "final_test_accuracy", fmt.Sprintf("%.4f", r.FinalAccuracy),
			fmt.Sprintf("reached_%.0f%%", 100*sim.Settings.Target), reach)
	}
	if c.Bool("json") {
		b, err := json.MarshalIndent(sim, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintln(c.App.Writer, string(b))
		return nil
	}
	printSummary(c.App.Writer, sim, out)
	return nil
}

// withFlag names the flag of a config key the simulation's flags set.
func withFlag(c *cli.Context, err error) error {
	return cliutil.FlagErrors(err, map[string]string{"model.arch": "model", "training.epochs": "epochs", "data.image_size": "image-size",
		"data.delimiter": "delimiter", "data.ignore_columns": "ignore-columns"}, c.IsSet)
}

// writeCurve writes label_curve.csv, .json and .png into dir, each
// atomically.
func writeCurve(dir string, sim *labeling.Simulation) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, CurveCSV), sim.CSV()); err != nil {
		return err
	}
	b, err := json.MarshalIndent(sim, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, CurveJSON), append(b, '\n')); err != nil {
		return err
	}
	fig := figures.LabelCurve{FullLabels: sim.FullyLabeled.Labels, FullAccuracy: sim.FullyLabeled.TestAccuracy, Target: sim.Settings.Target, Round: sim.Settings.Round,
		Title: fmt.Sprintf("Test accuracy by labels: %s, a %s retrained after every %d labels", sim.Settings.Data, sim.Settings.Model, sim.Settings.Round)}
	for _, r := range sim.Strategies {
		s := figures.LabelSeries{Name: r.Strategy}
		for _, p := range sim.Curve {
			if p.Strategy == r.Strategy {
				s.Labels, s.Accuracy = append(s.Labels, p.Labels), append(s.Accuracy, p.TestAccuracy)
			}
		}
		fig.Series = append(fig.Series, s)
	}
	return figures.LabelCurvePNG(filepath.Join(dir, CurvePNG), fig)
}

// printSummary tells people what the simulation found.
func printSummary(w io.Writer, sim *labeling.Simulation, dir string) {
	st := sim.Settings
	fmt.Fprintf(w, "label simulation on %s: %d labels per strategy in rounds of %d, %s retrained for %d epochs (at most %d steps) after each\n",
		st.Data, st.Budget, st.Round, st.Model, st.Epochs, st.MaxSteps)
	fmt.Fprintf(w, "test split: %s\n", st.TestSplit)
	fmt.Fprintf(w, "every label (%d): test accuracy %.4f\n", sim.FullyLabeled.Labels, sim.FullyLabeled.TestAccuracy)
	for _, r := range sim.Strategies {
		var acc []string
		for _, p := range sim.Curve {
			if p.Strategy == r.Strategy {
				acc = append(acc, fmt.Sprintf("%d:%.3f", p.Labels, p.TestAccuracy))
			}
		}
		reach := "never"
		if r.LabelsToTarget != nil {
			reach = fmt.Sprintf("at %d labels", *r.LabelsToTarget)
		}
		fmt.Fprintf(w, "%-9s %s  (%.0f%% %s)\n", r.Strategy, strings.Join(acc, " "), 100*st.Target, reach)
	}
	fmt.Fprintf(w, "written: %s, %s, %s in %s\n", CurveCSV, CurvePNG, CurveJSON, dir)
}
