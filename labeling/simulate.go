package labeling

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/practica-ml/practica/calibration"
	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/inference"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/setup"
	"github.com/practica-ml/practica/train"
)

// Simulation settings.
const (
	// SimTestFraction is the share of a source without a test split of
	// its own that a simulation holds out to measure accuracy on: a
	// seeded stratified draw, never offered for labeling.
	SimTestFraction = 0.2
	// SimTarget is the test accuracy whose first label count a simulation
	// reports per strategy.
	SimTarget = 0.95
	// DefaultSimEpochs and DefaultSimMaxSteps bound each brief training
	// of a simulation: at most that many epochs and optimizer steps.
	DefaultSimEpochs   = 30
	DefaultSimMaxSteps = 500
)

// CurveHeader is the header of label_curve.csv.
const CurveHeader = "strategy,labels,test_accuracy"

// Strategies are the strategies in the order a simulation plays them.
func Strategies() []string { return []string{Random, Uncertain, Cluster} }

// SimulateOptions configure a labeling simulation.
type SimulateOptions struct {
	// Config is the training each round runs, as train would run it (the
	// model, optimizer, preprocessing; training.seed seeds everything),
	// briefly: Training.Epochs epochs, at most MaxSteps optimizer steps
	// (0: DefaultSimMaxSteps), on every label so far (no validation
	// split), its last weights scored.
	Config   config.Experiment
	MaxSteps int
	// Budget is the number of labels a strategy gets in all, Round the
	// number it labels between two trainings.
	Budget, Round int
	// Strategies are those played (nil: all three, see Strategies).
	Strategies []string
	// Log receives a progress line per training; nil for none.
	Log *slog.Logger
}

// CurvePoint is one row of label_curve.csv: a strategy's test accuracy
// after training on its first Labels labels.
type CurvePoint struct {
	Strategy     string  `json:"strategy"`
	Labels       int     `json:"labels"`
	TestAccuracy float64 `json:"test_accuracy"`
}

// StrategyResult sums up a strategy's curve.
type StrategyResult struct {
	Strategy string `json:"strategy"`
	// FirstRound says how its first round of labels was chosen.
	FirstRound    string  `json:"first_round"`
	FinalLabels   int     `json:"final_labels"`
	FinalAccuracy float64 `json:"final_test_accuracy"`
	// LabelsToTarget is the first label count whose test accuracy reached
	// Settings.Target; nil when none did.
	LabelsToTarget *int `json:"labels_to_target"`
}

// SimSettings are what a simulation did, for label_curve.json.
type SimSettings struct {
	Data   string `json:"data"`
	Run    string `json:"run,omitempty"`
	Budget int    `json:"budget"`
	Round  int    `json:"round"`
	Seed   uint64 `json:"seed"`
	// Pool is the number of examples that could be labeled; TestSplit
	// says which examples accuracy is measured on, TestSize how many.
	Pool      int    `json:"pool"`
	TestSplit string `json:"test_split"`
	TestSize  int    `json:"test_size"`
	// Model, Epochs and MaxSteps describe each brief training.
	Model    string `json:"model"`
	Epochs   int    `json:"epochs"`
	MaxSteps int    `json:"max_steps"`
	// Score is the uncertain strategy's uncertainty score; Embedding and
	// Clusters the cluster strategy's.
	Score     string  `json:"uncertainty_score"`
	Embedding string  `json:"embedding"`
	Clusters  int     `json:"clusters"`
	Target    float64 `json:"target_accuracy"`
}

// FullyLabeled is the brief training on every label of the pool: the
// ceiling the curves climb towards.
type FullyLabeled struct {
	Labels       int     `json:"labels"`
	TestAccuracy float64 `json:"test_accuracy"`
}

// Simulation is the result of Simulate: label_curve.json.
type Simulation struct {
	Settings     SimSettings      `json:"settings"`
	Curve        []CurvePoint     `json:"curve"`
	Strategies   []StrategyResult `json:"strategies"`
	FullyLabeled FullyLabeled     `json:"fully_labeled"`
	Seconds      float64          `json:"seconds"`
}

// CSV is label_curve.csv: CurveHeader, then one row per strategy and
// round, accuracies to 4 decimals.
func (s *Simulation) CSV() []byte {
	var b strings.Builder
	b.WriteString(CurveHeader + "\n")
	for _, p := range s.Curve {
		fmt.Fprintf(&b, "%s,%d,%s\n", p.Strategy, p.Labels, strconv.FormatFloat(p.TestAccuracy, 'f', 4, 64))
	}
	return []byte(b.String())
}

// Simulate plays a person who labels the pool truthfully (with the
// source's own labels), once per strategy: a first round of Round labels
// (random: the seeded random order; cluster: the clusters' most typical
// members; uncertain: the random strategy's first round, since there is
// no model yet), then, until Budget labels, a brief training on the
// labels so far, its accuracy on the test split, and Round more labels
// from the strategy's queue (uncertain: ranked by the model just
// trained, on the examples not yet labeled; cluster: one member at a
// time, most typical first, of the cluster least covered so far). The
// test split is the source's own, else a seeded stratified
// SimTestFraction of the pool that is never offered. Once, the same
// brief training on every label of the pool gives the ceiling. The same
// options give the same curve.
func Simulate(ctx context.Context, pool *Pool, opt SimulateOptions) (*Simulation, error) {
	start := time.Now()
	s, err := newSimulator(pool, opt)
	if err != nil {
		return nil, err
	}
	out := &Simulation{Settings: s.settings}
	// The ceiling first: the longest training, which times the others.
	acc, _, _, err := s.train(ctx, s.candidates)
	if err != nil {
		return nil, fmt.Errorf("training on every label: %w", err)
	}
	out.FullyLabeled = FullyLabeled{Labels: len(s.candidates), TestAccuracy: acc}
	s.progress("fully labeled", 0, len(s.candidates), acc)
	for _, strategy := range s.strategies {
		res, curve, err := s.play(ctx, strategy)
		if err != nil {
			return nil, fmt.Errorf("strategy %s: %w", strategy, err)
		}
		out.Curve = append(out.Curve, curve...)
		out.Strategies = append(out.Strategies, res)
	}
	out.Seconds = time.Since(start).Seconds()
	return out, nil
}

// simulator is one simulation's fixed parts.
type simulator struct {
	pool     *Pool
	cfg      config.Experiment
	maxSteps int
	budget   int
	round    int
	// test is the raw test split; heldOut marks the pool's examples in it
	// (none when the source has its own); candidates are the others.
	test       *data.Dataset
	heldOut    []bool
	candidates []int
	strategies []string
	cluster    *clusterQueue
	settings   SimSettings
	log        *slog.Logger
	// started, done and total time the trainings for the ETA.
	started     time.Time
	done, total int
}

func newSimulator(pool *Pool, opt SimulateOptions) (*simulator, error) {
	s := &simulator{pool: pool, cfg: opt.Config, maxSteps: opt.MaxSteps, budget: opt.Budget, round: opt.Round,
		strategies: opt.Strategies, log: opt.Log, started: time.Now()}
	if s.maxSteps <= 0 {
		s.maxSteps = DefaultSimMaxSteps
	}
	if s.strategies == nil {
		s.strategies = Strategies()
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for _, st := range s.strategies {
		if !slices.Contains(Strategies(), st) {
			return nil, fmt.Errorf("strategy %q: want %s, %s or %s", st, Random, Uncertain, Cluster)
		}
	}
	if err := s.cfg.Validate(); err != nil {
		return nil, err
	}
	seed := s.cfg.Training.Seed
	d := pool.Data
	s.heldOut = make([]bool, d.Len())
	var testSplit string
	if pool.Test != nil {
		s.test = pool.Test
		testSplit = fmt.Sprintf("the source's own test split (%d examples)", pool.Test.Len())
	} else {
		var idx []int
		for i, h := range stratifiedHoldOut(d, SimTestFraction, seed) {
			if h {
				s.heldOut[i] = true
				idx = append(idx, i)
			}
		}
		s.test = d.Subset(idx)
		testSplit = fmt.Sprintf("a stratified %.0f%% of the source held out with seed %d (%d examples), never offered for labeling", 100*SimTestFraction, seed, len(idx))
	}
	for i, h := range s.heldOut {
		if !h {
			s.candidates = append(s.candidates, i)
		}
	}
	switch {
	case s.round < 1:
		return nil, fmt.Errorf("a round of %d labels: want at least 1", s.round)
	case s.budget < s.round:
		return nil, fmt.Errorf("a budget of %d labels is less than one round of %d", s.budget, s.round)
	case s.budget > len(s.candidates):
		return nil, fmt.Errorf("a budget of %d labels is more than the %d examples that can be labeled", s.budget, len(s.candidates))
	}
	rounds := (s.budget + s.round - 1) / s.round
	s.total = 1 + rounds*len(s.strategies)
	score := pool.Options.Score
	if score == "" {
		score = calibration.Margin
	}
	s.settings = SimSettings{Data: pool.Options.Source, Run: pool.Options.Run, Budget: s.budget, Round: s.round, Seed: seed,
		Pool: len(s.candidates), TestSplit: testSplit, TestSize: s.test.Len(),
		Model: s.cfg.Model.Arch, Epochs: s.cfg.Training.Epochs, MaxSteps: s.maxSteps,
		Score: score, Target: SimTarget}
	if s.settings.Model == "" {
		s.settings.Model = s.cfg.Model.WithDefaults(d.Shape).Arch
	}
	if slices.Contains(s.strategies, Cluster) {
		emb, err := pool.Embed()
		if err != nil {
			return nil, err
		}
		k := pool.Options.Clusters
		if k <= 0 {
			k = ChooseK(emb.Classes, d.Len())
		}
		s.cluster = newClusterQueue(emb, k, seed)
		s.settings.Embedding, s.settings.Clusters = emb.Description, len(s.cluster.members)
	}
	return s, nil
}

// stratifiedHoldOut marks a seeded round(count·frac) of each class of d.
func stratifiedHoldOut(d *data.Dataset, frac float64, seed uint64) []bool {
	out := make([]bool, d.Len())
	byClass := make([][]int, d.NumClasses())
	for i, y := range d.Y {
		byClass[y] = append(byClass[y], i)
	}
	rng := rand.New(rand.NewPCG(seed, 0x686f6c64)) // "hold"
	for _, idx := range byClass {
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		for _, i := range idx[:int(math.Round(float64(len(idx))*frac))] {
			out[i] = true
		}
	}
	return out
}

// play runs one strategy to the budget.
func (s *simulator) play(ctx context.Context, strategy string) (StrategyResult, []CurvePoint, error) {
	st := newLabelState(s.pool.Data, s.heldOut)
	res := StrategyResult{Strategy: strategy}
	var q Queue
	switch strategy {
	case Random:
		q = newRandomQueue(s.pool.Data.Len(), s.cfg.Training.Seed)
		res.FirstRound = "the first examples of the seeded random order"
	case Uncertain:
		// No model yet: the first round is the random strategy's.
		q = newRandomQueue(s.pool.Data.Len(), s.cfg.Training.Seed)
		res.FirstRound = "the random strategy's first round (no model to be uncertain yet)"
	case Cluster:
		q = s.cluster
		res.FirstRound = "the most typical member of each cluster, largest first, then in proportion to the clusters' sizes"
	}
	var curve []CurvePoint
	for round := 1; ; round++ {
		want := min(round*s.round, s.budget)
		if got := st.take(q, want-len(st.order)); got < want {
			return res, nil, fmt.Errorf("only %d examples left to label, for %d labels", got, want)
		}
		acc, p, m, err := s.train(ctx, st.labeled())
		if err != nil {
			return res, nil, fmt.Errorf("training on %d labels: %w", want, err)
		}
		curve = append(curve, CurvePoint{Strategy: strategy, Labels: want, TestAccuracy: acc})
		s.progress(strategy, round, want, acc)
		if res.LabelsToTarget == nil && acc >= SimTarget {
			res.LabelsToTarget = &want
		}
		res.FinalLabels, res.FinalAccuracy = want, acc
		if want >= s.budget {
			return res, curve, nil
		}
		if strategy == Uncertain {
			ck := p.BaseCheckpoint()
			pr := &inference.Predictor{Checkpoint: &ck, Model: m, Temperature: 1}
			uq, err := newUncertainQueueOf(pr, s.pool.Data, st.untaken(), s.pool.Options.Score, s.pool.Options.MCPasses, s.cfg.Training.Seed)
			if err != nil {
				return res, nil, err
			}
			q = uq
		}
	}
}

// progress logs a finished training with the time left.
func (s *simulator) progress(strategy string, round, labels int, acc float64) {
	s.done++
	el := time.Since(s.started)
	eta := time.Duration(float64(el) / float64(s.done) * float64(s.total-s.done)).Round(time.Second)
	s.log.Info("label simulation", "strategy", strategy, "round", round, "labels", labels, "test_accuracy", fmt.Sprintf("%.4f", acc),
		"trainings", fmt.Sprintf("%d/%d", s.done, s.total), "eta", eta)
}

// train runs the brief training on the pool's examples idx with their
// source labels, with train's model, normalization (fitted on them) and
// loop, and scores its last weights on the test split. No validation
// split is held out: a few dozen labels are too few to spare, and a
// training of fixed length has no best epoch to pick.
func (s *simulator) train(ctx context.Context, idx []int) (float64, *setup.Prepared, *model.Model, error) {
	cfg := s.cfg
	test := s.test.Subset(seq(s.test.Len())) // PrepareSplits normalizes it in place
	sp, err := data.Split(&data.Source{Train: s.pool.Data.Subset(idx), Test: test}, data.SplitConfig{Seed: cfg.Training.Seed})
	if err != nil {
		return 0, nil, nil, err
	}
	p, err := setup.PrepareSplits(cfg, sp)
	if err != nil {
		return 0, nil, nil, err
	}
	m, o, err := p.NewModel(model.Options{})
	if err != nil {
		return 0, nil, nil, err
	}
	loop := p.NewLoop(m, o, nil)
	loop.MaxSteps, loop.Eval = int64(s.maxSteps), train.EvalNone
	loop.Hooks = []train.Hook{train.Schedule{Config: cfg.Training.Schedule, Base: cfg.Optimizer.LR}}
	if _, err := loop.Run(ctx); err != nil {
		return 0, nil, nil, err
	}
	ev, err := train.Evaluate(m, p.Splits.Test)
	if err != nil {
		return 0, nil, nil, err
	}
	return ev.Accuracy, p, m, nil
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// labelState is a State kept in memory: the held-out examples are taken
// from the start, and a label taken is the source's own (a truthful
// person).
type labelState struct {
	d      *data.Dataset
	taken  []bool
	labels map[int]string
	// order are the labeled examples in the order they were labeled.
	order []int
}

func newLabelState(d *data.Dataset, heldOut []bool) *labelState {
	return &labelState{d: d, taken: slices.Clone(heldOut), labels: map[int]string{}}
}

func (st *labelState) Taken(i int) bool { return st.taken[i] }

func (st *labelState) Label(i int) (string, bool) {
	l, ok := st.labels[i]
	return l, ok
}

// take labels up to n examples from q, the first of each group it
// offers, and returns how many are labeled in all.
func (st *labelState) take(q Queue, n int) int {
	for range n {
		g, ok := q.Next(st)
		if !ok {
			break
		}
		i := g[0].Index
		st.taken[i] = true
		st.labels[i] = st.d.Classes[st.d.Y[i]]
		st.order = append(st.order, i)
	}
	return len(st.order)
}

// labeled are the labeled examples, ascending.
func (st *labelState) labeled() []int {
	out := slices.Clone(st.order)
	slices.Sort(out)
	return out
}

// untaken are the examples not taken, ascending.
func (st *labelState) untaken() []int {
	var out []int
	for i, t := range st.taken {
		if !t {
			out = append(out, i)
		}
	}
	return out
}

// SimulationPool is the number of the pool's examples a simulation with
// this seed may label: all of them when the source has a test split of
// its own, else those it does not hold out.
func (p *Pool) SimulationPool(seed uint64) int {
	if p.Test != nil {
		return p.Data.Len()
	}
	n := 0
	for _, h := range stratifiedHoldOut(p.Data, SimTestFraction, seed) {
		if !h {
			n++
		}
	}
	return n
}
