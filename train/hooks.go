package train

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/practica-ml/practica/internal/atomicfile"
	"github.com/practica-ml/practica/model"
)

// MetricsHeader is the header of metrics.csv.
const MetricsHeader = metricsHeaderV1 + ",step_seconds"

// metricsHeaderV1 is the header of a metrics.csv written before
// step_seconds was recorded; ReadMetrics still reads it (a run resumed
// across the change), with StepSeconds 0.
const metricsHeaderV1 = "epoch,step,train_loss,train_eval_loss,val_loss,val_accuracy,lr,seconds"

// MetricsCSV rewrites metrics.csv (atomically) after every epoch.
type MetricsCSV struct {
	NopHook
	Path string
}

// AfterEpoch implements Hook.
func (h MetricsCSV) AfterEpoch(s *State) error {
	return atomicfile.Write(h.Path, []byte(FormatMetrics(s.History)))
}

// FormatMetrics renders metrics rows as CSV with the MetricsHeader, every
// number in its shortest exact form.
func FormatMetrics(history []EpochMetrics) string {
	var b strings.Builder
	b.WriteString(MetricsHeader + "\n")
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, m := range history {
		fmt.Fprintf(&b, "%d,%d,%s,%s,%s,%s,%s,%s,%s\n", m.Epoch, m.Step, f(m.TrainLoss), f(m.TrainEvalLoss), f(m.ValLoss), f(m.ValAccuracy), f(m.LR),
			strconv.FormatFloat(m.Seconds, 'f', 3, 64), strconv.FormatFloat(m.StepSeconds, 'f', 3, 64))
	}
	return b.String()
}

// ReadMetrics parses metrics.csv as FormatMetrics writes it, strictly: a
// wrong header, a short row or a field that is not a number is an error
// naming the line. A file with the header of before step_seconds reads
// with StepSeconds 0.
func ReadMetrics(r io.Reader) ([]EpochMetrics, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != MetricsHeader && strings.Join(rows[0], ",") != metricsHeaderV1 {
		return nil, fmt.Errorf("line 1: want the header %q", MetricsHeader)
	}
	out := make([]EpochMetrics, 0, len(rows)-1)
	for i, r := range rows[1:] {
		var m EpochMetrics
		var errs [9]error
		m.Epoch, errs[0] = strconv.Atoi(r[0])
		m.Step, errs[1] = strconv.ParseInt(r[1], 10, 64)
		floats := []*float64{&m.TrainLoss, &m.TrainEvalLoss, &m.ValLoss, &m.ValAccuracy, &m.LR, &m.Seconds, &m.StepSeconds}
		for j, dst := range floats[:len(r)-2] {
			*dst, errs[j+2] = strconv.ParseFloat(r[j+2], 64)
		}
		if err := errors.Join(errs[:]...); err != nil {
			return nil, fmt.Errorf("line %d: %w", i+2, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// ResumeState is what a checkpoint carries for the loop to continue.
type ResumeState struct {
	// Epoch is the number of finished epochs; Position, when set, is how
	// far the next one had gone when the run was interrupted.
	Epoch     int            `json:"epoch"`
	Position  *Position      `json:"position,omitempty"`
	Step      int64          `json:"step"`
	Seed      uint64         `json:"seed"`
	History   []EpochMetrics `json:"history"`
	Optimizer struct {
		Name string  `json:"name"`
		Step int64   `json:"step"`
		LR   float64 `json:"lr"`
		// ParamSteps are Adam's steps per parameter when some parameter
		// was frozen for a while (OptimizerState.ParamSteps); absent else.
		ParamSteps []int64 `json:"param_steps,omitempty"`
	} `json:"optimizer"`
}

// Checkpointer writes last.ckpt after every epoch and, before it,
// best.ckpt whenever the epoch is the best so far, each atomically. Base
// carries what the model cannot know (input schema, classes,
// normalization).
type Checkpointer struct {
	NopHook
	LastPath, BestPath string
	Base               model.Checkpoint
	Seed               uint64
}

// AfterEpoch implements Hook.
func (h *Checkpointer) AfterEpoch(s *State) error {
	c, err := Snapshot(h.Base, s.Model, s.Optimizer, s.History, s.Step, h.Seed)
	if err != nil {
		return err
	}
	b, err := c.Marshal()
	if err != nil {
		return err
	}
	// best.ckpt first: a process killed between the two writes then
	// leaves last.ckpt one epoch behind, and --resume redoes that epoch,
	// writing the same best.ckpt again. The other order would leave a
	// last.ckpt past an improvement that best.ckpt never received.
	if s.Improved {
		if err := writeCheckpoint(h.BestPath, b); err != nil {
			return err
		}
	}
	return writeCheckpoint(h.LastPath, b)
}

// writeCheckpoint writes a checkpoint atomically, making its directory
// first: a run directory gets checkpoints/ with its first checkpoint, so
// that the modes that write none (feasibility, the range test) and a run
// stopped before its first epoch leave no empty folder.
func writeCheckpoint(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return atomicfile.Write(path, b)
}

// OnStop implements Hook: an interrupted run saves its exact position
// inside the epoch in last.ckpt, so that --resume continues from there.
func (h *Checkpointer) OnStop(s *State, reason string) error {
	if reason != StopInterrupted {
		return nil
	}
	pos := s.EpochLoss
	c, err := snapshot(h.Base, s.Model, s.Optimizer, s.History, s.Step, h.Seed, &pos)
	if err != nil {
		return err
	}
	b, err := c.Marshal()
	if err != nil {
		return err
	}
	return writeCheckpoint(h.LastPath, b)
}

// Snapshot builds a checkpoint of the model's weights, the optimizer's
// state and the loop's position at the end of an epoch.
func Snapshot(base model.Checkpoint, m *model.Model, opt Optimizer, history []EpochMetrics, step int64, seed uint64) (*model.Checkpoint, error) {
	return snapshot(base, m, opt, history, step, seed, nil)
}

func snapshot(base model.Checkpoint, m *model.Model, opt Optimizer, history []EpochMetrics, step int64, seed uint64, pos *Position) (*model.Checkpoint, error) {
	c := base
	c.Spec = m.Spec
	c.Tensors = m.Tensors()
	st := opt.State()
	learn := m.Learnables()
	for _, slot := range slices.Sorted(maps.Keys(st.Slots)) {
		for i, v := range st.Slots[slot] {
			c.Tensors = append(c.Tensors, model.Tensor{Name: "optimizer/" + slot + "/" + learn[i].Name, Shape: []int{len(v)}, Data: append([]float32(nil), v...)})
		}
	}
	// Wall times are left out so that the same run gives the same bytes.
	h := make([]EpochMetrics, len(history))
	for i, m := range history {
		m.Seconds, m.StepSeconds = 0, 0
		h[i] = m
	}
	rs := ResumeState{Epoch: len(history), Position: pos, Step: step, Seed: seed, History: h}
	rs.Optimizer.Name, rs.Optimizer.Step, rs.Optimizer.LR, rs.Optimizer.ParamSteps = st.Name, st.Step, st.LR, st.ParamSteps
	js, err := json.Marshal(rs)
	if err != nil {
		return nil, err
	}
	c.State = js
	return &c, nil
}

// Restore loads a checkpoint's optimizer state into opt and returns the
// loop's position.
func Restore(c *model.Checkpoint, m *model.Model, opt Optimizer) (ResumeState, error) {
	var rs ResumeState
	if len(c.State) == 0 {
		return rs, fmt.Errorf("checkpoint has no training state to resume from")
	}
	if err := json.Unmarshal(c.State, &rs); err != nil {
		return rs, fmt.Errorf("checkpoint training state: %w", err)
	}
	cur := opt.State()
	st := OptimizerState{Name: rs.Optimizer.Name, Step: rs.Optimizer.Step, LR: rs.Optimizer.LR, ParamSteps: rs.Optimizer.ParamSteps, Slots: map[string][][]float32{}}
	for slot := range cur.Slots {
		for _, p := range m.Learnables() {
			t := c.Tensor("optimizer/" + slot + "/" + p.Name)
			if t == nil {
				return rs, fmt.Errorf("checkpoint lacks optimizer state %s for %s", slot, p.Name)
			}
			st.Slots[slot] = append(st.Slots[slot], t.Data)
		}
	}
	return rs, opt.LoadState(st)
}

// Progress reports a loop on a writer (stderr): a line at most every Every
// (2 s) while steps run (epoch, step, loss, ETA, and Detail's text), and a
// line per evaluated epoch. It is the one progress reporter of every loop:
// training, the overfit tests, the range test and the grid.
type Progress struct {
	NopHook
	W io.Writer
	// Label starts every line (e.g. "overfit-one"); empty for training.
	Label string
	// Detail, when set, adds the caller's own figures to a step line (the
	// range test's learning rate and smoothed loss).
	Detail func(s *State) string
	Every  time.Duration
	last   time.Time
}

// AfterStep implements Hook.
func (p *Progress) AfterStep(s *State, loss float64) error {
	every := p.Every
	if every == 0 {
		every = 2 * time.Second
	}
	if p.last.IsZero() {
		p.last = s.Started
	}
	if time.Since(p.last) < every {
		return nil
	}
	p.last = time.Now()
	var b strings.Builder
	if p.Label != "" {
		b.WriteString(p.Label + "  ")
	}
	if s.StepsPerEpoch == 1 {
		fmt.Fprintf(&b, "step %d/%d", s.Step, s.TotalSteps)
	} else {
		fmt.Fprintf(&b, "epoch %d/%d  step %d/%d", s.Epoch, s.Epochs, s.StepInEpoch, s.StepsPerEpoch)
	}
	fmt.Fprintf(&b, "  loss %.4f", loss)
	if p.Detail != nil {
		b.WriteString("  " + p.Detail(s))
	}
	fmt.Fprintf(p.W, "%s  ETA %s\n", b.String(), eta(s))
	return nil
}

// AfterEpoch implements Hook.
func (p *Progress) AfterEpoch(s *State) error {
	if !s.Evaluated {
		return nil
	}
	m := s.History[len(s.History)-1]
	mark := ""
	if s.Improved {
		mark = "  *best"
	}
	label := ""
	if p.Label != "" {
		label = p.Label + "  "
	}
	fmt.Fprintf(p.W, "%sepoch %d/%d  train_loss %.4f  val_loss %.4f  val_acc %.4f  lr %.3g  %.1fs  ETA %s%s\n",
		label, m.Epoch, s.Epochs, m.TrainLoss, m.ValLoss, m.ValAccuracy, m.LR, m.Seconds, eta(s), mark)
	p.last = time.Now()
	return nil
}

// eta estimates the time left from this run's pace so far.
func eta(s *State) string {
	done := float64(s.Step - s.startStep)
	left := float64(s.TotalSteps - s.Step)
	if done <= 0 {
		return "?"
	}
	secs := time.Since(s.Started).Seconds() / done * max(left, 0)
	return (time.Duration(secs) * time.Second).Round(time.Second).String()
}
