package labeling

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/practica-ml/practica/internal/atomicfile"
)

// Actions of a Decision.
const (
	// ActionLabel gives an example a label.
	ActionLabel = "label"
	// ActionSkip leaves an example unlabeled and out of every queue.
	ActionSkip = "skip"
	// ActionUndo takes back an earlier label or skip.
	ActionUndo = "undo"
)

// StrategyImport is the strategy of the decisions a journal imports from
// a labels file that had no journal.
const StrategyImport = "import"

// JournalSuffix is appended to the labels file's path to name its journal.
const JournalSuffix = ".journal.jsonl"

// JournalPath is the journal of the labels file labelsPath.
func JournalPath(labelsPath string) string { return labelsPath + JournalSuffix }

// Decision is one line of a journal.
type Decision struct {
	// Seq numbers the journal's lines, strictly increasing.
	Seq int64 `json:"seq"`
	// Time is when the decision was made, RFC 3339.
	Time string `json:"time"`
	// Index is the example's row (for an undo: the undone decision's).
	Index int `json:"index"`
	// Action is ActionLabel, ActionSkip or ActionUndo.
	Action string `json:"action"`
	// Label is the class given (ActionLabel only).
	Label string `json:"label,omitempty"`
	// Strategy is the queue that offered the example (StrategyImport for
	// an imported labels file).
	Strategy string `json:"strategy,omitempty"`
	// Session is the page (a browser tab) that made the decision; undo
	// takes back a session's own decisions.
	Session string `json:"session,omitempty"`
	// Batch is the Seq of the first decision of the request this one came
	// with: a cluster labeled at once is one batch, and one undo takes it
	// back whole.
	Batch int64 `json:"batch,omitempty"`
	// Undoes is the Seq of the decision an undo takes back; 0 means the
	// last decision still in force.
	Undoes int64 `json:"undoes,omitempty"`
}

// Replayed is the state a journal's lines give.
type Replayed struct {
	// Decisions are the journal's valid lines, in order.
	Decisions []Decision
	// Active are the label and skip decisions no undo has taken back, in
	// order: an example's state is its last active decision.
	Active []Decision
	// Size is the length in bytes of the valid lines (a torn last line
	// excluded): where the next line is to be appended.
	Size int64
	// MissingNewline says that the last valid line has no final newline.
	MissingNewline bool
	// Warnings say what replaying ignored (a torn last line).
	Warnings []string
}

// Replay reads a journal's lines (name is the file, for messages). A last
// line cut short by a crash mid-write (no final newline, not a whole JSON
// object) is ignored with a warning; any other line that is not a valid
// decision is an error naming name and the line. An undo takes back the
// decision it names, or the last one still in force: repeated undos take
// back earlier and earlier decisions.
func Replay(r io.Reader, name string) (*Replayed, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out := &Replayed{}
	var last int64
	for line, off := 1, 0; off < len(b); line++ {
		end := bytes.IndexByte(b[off:], '\n')
		complete := end >= 0
		if !complete {
			end = len(b) - off
		}
		text := b[off : off+end]
		var d Decision
		if err := decodeDecision(text, &d); err != nil {
			var syntax *json.SyntaxError
			if !complete && (errors.As(err, &syntax) || errors.Is(err, io.ErrUnexpectedEOF) || len(bytes.TrimSpace(bytes.Trim(text, "\x00"))) == 0) {
				out.Warnings = append(out.Warnings, fmt.Sprintf("%s:%d: the last line is cut short (the program stopped while writing it; that decision was never acknowledged): ignored", name, line))
				break
			}
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if err := out.apply(d, last); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		last = d.Seq
		off += end
		if complete {
			off++
		} else {
			out.MissingNewline = true
		}
		out.Size = int64(off)
	}
	return out, nil
}

// decodeDecision parses one journal line into d and checks its fields.
func decodeDecision(text []byte, d *Decision) error {
	dec := json.NewDecoder(bytes.NewReader(text))
	if err := dec.Decode(d); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("an empty line; want a decision as a JSON object")
		}
		return fmt.Errorf("not a decision: %w", err)
	}
	if dec.More() {
		return errors.New("more than one JSON value on the line")
	}
	switch d.Action {
	case ActionLabel, ActionSkip, ActionUndo:
	default:
		return fmt.Errorf("action %q; want %s, %s or %s", d.Action, ActionLabel, ActionSkip, ActionUndo)
	}
	switch {
	case d.Seq <= 0:
		return fmt.Errorf("seq %d; want a positive number", d.Seq)
	case d.Index < 0:
		return fmt.Errorf("index %d; want 0 or more", d.Index)
	case d.Action == ActionLabel && d.Label == "":
		return errors.New("a label decision without a label")
	case d.Action != ActionLabel && d.Label != "":
		return fmt.Errorf("a %s decision with a label", d.Action)
	case d.Action != ActionUndo && d.Undoes != 0:
		return fmt.Errorf("a %s decision that undoes seq %d", d.Action, d.Undoes)
	case d.Undoes < 0 || d.Batch < 0:
		return errors.New("a negative seq in undoes or batch")
	}
	if _, err := time.Parse(time.RFC3339, d.Time); err != nil {
		return fmt.Errorf("time %q: want RFC 3339", d.Time)
	}
	return nil
}

// apply adds a decision that follows seq last.
func (r *Replayed) apply(d Decision, last int64) error {
	if d.Seq <= last {
		return fmt.Errorf("seq %d after seq %d; want increasing numbers", d.Seq, last)
	}
	if d.Action != ActionUndo {
		r.Active = append(r.Active, d)
		r.Decisions = append(r.Decisions, d)
		return nil
	}
	k := len(r.Active) - 1
	if d.Undoes != 0 {
		k = slices.IndexFunc(r.Active, func(a Decision) bool { return a.Seq == d.Undoes })
	}
	switch {
	case k < 0 && d.Undoes != 0:
		return fmt.Errorf("undo of seq %d, which is no decision in force", d.Undoes)
	case k < 0:
		return errors.New("undo with no decision in force to take back")
	case r.Active[k].Index != d.Index:
		return fmt.Errorf("undo of seq %d names index %d, but that decision is about index %d", r.Active[k].Seq, d.Index, r.Active[k].Index)
	}
	r.Active = slices.Delete(r.Active, k, k+1)
	r.Decisions = append(r.Decisions, d)
	return nil
}

// Labels are the labels in force, by index.
func (r *Replayed) Labels() map[int]string {
	labels := map[int]string{}
	for _, d := range r.Active {
		if d.Action == ActionLabel {
			labels[d.Index] = d.Label
		} else {
			delete(labels, d.Index)
		}
	}
	return labels
}

// Skipped are the examples whose last decision in force is a skip.
func (r *Replayed) Skipped() map[int]bool {
	skipped := map[int]bool{}
	for _, d := range r.Active {
		if d.Action == ActionSkip {
			skipped[d.Index] = true
		} else {
			delete(skipped, d.Index)
		}
	}
	return skipped
}

// JournalOptions say what a journal may hold.
type JournalOptions struct {
	// N is the number of examples: indices are in [0, N).
	N int
	// Classes are the labels a decision may give.
	Classes []string
	// Now is the clock decisions are timed by (nil: time.Now).
	Now func() time.Time
	// Warn gets what opening the journal noticed and repaired (nil: drop).
	Warn func(msg string)
}

// Journal keeps every decision of a labeling in an append-only file of
// JSON lines next to the labels file, synced before a decision counts,
// and rewrites the labels file (index,label, sorted by index, the format
// train --labels reads) atomically after each one.
type Journal struct {
	path, labelsPath string
	opt              JournalOptions
	classes          map[string]bool

	mu       sync.Mutex
	f        *os.File
	size     int64
	broken   error
	state    Replayed
	lastSeq  int64
	labels   map[int]string
	skipped  map[int]bool
	perClass map[string]int
	unlock   func()
}

// LabelsFileError is a decision recorded in the journal (it counts) whose
// labels file could not be rewritten; the next decision, or the next
// start, writes it again.
type LabelsFileError struct{ Err error }

func (e *LabelsFileError) Error() string {
	return fmt.Sprintf("recorded in the journal, but the labels file was not rewritten (the next decision or restart writes it): %v", e.Err)
}
func (e *LabelsFileError) Unwrap() error { return e.Err }

// OpenJournal opens (or creates) the journal of the labels file
// labelsPath and replays it. A labels file without a journal is imported:
// each of its rows becomes a label decision. The labels file is then
// rewritten from the journal, which is the record of truth.
func OpenJournal(labelsPath string, opt JournalOptions) (*Journal, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Warn == nil {
		opt.Warn = func(string) {}
	}
	if opt.N <= 0 {
		return nil, fmt.Errorf("journal of %s: no examples to label", labelsPath)
	}
	if st, err := os.Stat(labelsPath); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%s is a directory; want the labels file to write", labelsPath)
	}
	j := &Journal{path: JournalPath(labelsPath), labelsPath: labelsPath, opt: opt, classes: map[string]bool{}}
	for _, c := range opt.Classes {
		j.classes[c] = true
	}
	var imported []Decision
	_, err := os.Stat(j.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if imported, err = j.importLabels(); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	}
	f, err := os.OpenFile(j.path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	j.f = f
	if j.unlock, err = lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", j.path, err)
	}
	if err := j.load(); err != nil {
		j.closeFile()
		return nil, err
	}
	j.removeTemps()
	if imported != nil {
		if err := j.append(imported); err != nil {
			j.closeFile()
			return nil, err
		}
		opt.Warn(fmt.Sprintf("%s had no journal: its %d labels were imported into %s", labelsPath, len(imported), j.path))
	}
	if err := atomicfile.SyncDir(filepath.Dir(j.path)); err != nil {
		j.closeFile()
		return nil, err
	}
	if err := j.writeLabels(true); err != nil {
		j.closeFile()
		return nil, err
	}
	return j, nil
}

// load replays the journal file, cuts off a torn last line and ends the
// last line with a newline, so that the next append starts a line.
func (j *Journal) load() error {
	if _, err := j.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	r, err := Replay(j.f, j.path)
	if err != nil {
		return err
	}
	for k, d := range r.Decisions {
		if err := j.check(d); err != nil {
			// Every valid line precedes a torn one: the k-th decision is
			// line k+1.
			return fmt.Errorf("%s:%d: %w", j.path, k+1, err)
		}
	}
	for _, w := range r.Warnings {
		j.opt.Warn(w)
	}
	st, err := j.f.Stat()
	if err != nil {
		return err
	}
	if st.Size() != r.Size {
		if err := j.f.Truncate(r.Size); err != nil {
			return fmt.Errorf("%s: cutting off the torn last line: %w", j.path, err)
		}
	}
	j.size = r.Size
	if _, err := j.f.Seek(j.size, io.SeekStart); err != nil {
		return err
	}
	if r.MissingNewline {
		if _, err := j.f.Write([]byte{'\n'}); err != nil {
			return err
		}
		j.size++
	}
	if err := j.f.Sync(); err != nil {
		return err
	}
	j.state = *r
	if n := len(r.Decisions); n > 0 {
		j.lastSeq = r.Decisions[n-1].Seq
	}
	j.derive()
	return nil
}

// removeTemps removes the temporary files of the labels file's rewrites
// that a killed process left (the journal's lock makes them this
// process's to remove); the labels file itself is whole either way.
func (j *Journal) removeTemps() {
	dir, base := filepath.Split(j.labelsPath)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if name := e.Name(); e.Type().IsRegular() && atomicfile.IsTemp(name) && strings.HasPrefix(name, "."+base+".tmp") {
			if os.Remove(filepath.Join(dir, name)) == nil {
				j.opt.Warn(fmt.Sprintf("removed %s, the temporary file of a rewrite of %s that a crash interrupted", filepath.Join(dir, name), j.labelsPath))
			}
		}
	}
}

// check refuses a decision about an example or a class this labeling
// does not have.
func (j *Journal) check(d Decision) error {
	if d.Index >= j.opt.N {
		return fmt.Errorf("index %d; the data has %d examples (indices 0 to %d)", d.Index, j.opt.N, j.opt.N-1)
	}
	if d.Action == ActionLabel && !j.classes[d.Label] {
		return fmt.Errorf("label %q is not a class of the data (%s)", d.Label, strings.Join(j.opt.Classes, ", "))
	}
	return nil
}

// derive computes the labels, skips and counts from the active decisions.
func (j *Journal) derive() {
	j.labels, j.skipped = j.state.Labels(), j.state.Skipped()
	j.perClass = map[string]int{}
	for _, l := range j.labels {
		j.perClass[l]++
	}
}

// importLabels reads a labels file that has no journal as decisions:
// "index,label" rows, or one label per line (line i labels example i). A
// label is a class name or a class index. No file: no decisions.
func (j *Journal) importLabels() ([]Decision, error) {
	raw, err := os.ReadFile(j.labelsPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	text := strings.TrimPrefix(string(raw), "\ufeff")
	now := j.opt.Now().UTC().Format(time.RFC3339)
	var out []Decision
	add := func(line, index int, label string) error {
		label = strings.TrimSpace(label)
		if !j.classes[label] {
			if k, err := strconv.Atoi(label); err == nil && k >= 0 && k < len(j.opt.Classes) {
				label = j.opt.Classes[k]
			}
		}
		d := Decision{Time: now, Index: index, Action: ActionLabel, Label: label, Strategy: StrategyImport}
		if index < 0 {
			return fmt.Errorf("%s:%d: index %d; want 0 or more", j.labelsPath, line, index)
		}
		if err := j.check(d); err != nil {
			return fmt.Errorf("%s:%d: %w", j.labelsPath, line, err)
		}
		for _, e := range out {
			if e.Index == index {
				return fmt.Errorf("%s:%d: index %d is labeled twice", j.labelsPath, line, index)
			}
		}
		out = append(out, d)
		return nil
	}
	first, _, _ := strings.Cut(text, "\n")
	if h := strings.Split(strings.TrimSpace(first), ","); len(h) == 2 && strings.EqualFold(strings.TrimSpace(h[0]), "index") && strings.EqualFold(strings.TrimSpace(h[1]), "label") {
		r := csv.NewReader(strings.NewReader(text))
		r.FieldsPerRecord = 2
		r.Read()
		for {
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", j.labelsPath, err)
			}
			line, _ := r.FieldPos(0)
			i, err := strconv.Atoi(strings.TrimSpace(rec[0]))
			if err != nil {
				return nil, fmt.Errorf("%s:%d: index %q is not a number", j.labelsPath, line, rec[0])
			}
			if err := add(line, i, rec[1]); err != nil {
				return nil, err
			}
		}
	} else {
		lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
		for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
			lines = lines[:len(lines)-1]
		}
		for i, l := range lines {
			if err := add(i+1, i, l); err != nil {
				return nil, err
			}
		}
	}
	if out == nil {
		out = []Decision{}
	}
	return out, nil
}

// Path is the journal file.
func (j *Journal) Path() string { return j.path }

// LabelsPath is the labels file.
func (j *Journal) LabelsPath() string { return j.labelsPath }

// Record appends decisions (labels and skips) as one batch: numbered,
// timed, written and synced to the journal before it returns, then the
// labels file is rewritten. The recorded decisions are returned. A
// *LabelsFileError means they count but the labels file is stale.
func (j *Journal) Record(session, strategy string, ds []Decision) ([]Decision, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(ds) == 0 {
		return nil, errors.New("no decision to record")
	}
	out := make([]Decision, len(ds))
	for k, d := range ds {
		if d.Action != ActionLabel && d.Action != ActionSkip {
			return nil, fmt.Errorf("action %q: record labels and skips; use Undo to undo", d.Action)
		}
		if d.Action == ActionSkip {
			d.Label = ""
		}
		if d.Index < 0 {
			return nil, fmt.Errorf("index %d; want 0 or more", d.Index)
		}
		if err := j.check(d); err != nil {
			return nil, err
		}
		d.Session, d.Strategy, d.Undoes = session, strategy, 0
		out[k] = d
	}
	if err := j.append(out); err != nil {
		return nil, err
	}
	return out, j.writeLabels(false)
}

// Undo takes back the last batch of decisions in force that session made
// (any session's when session is ""), and returns the undone decisions;
// none when there is nothing to take back.
func (j *Journal) Undo(session string) ([]Decision, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	k := len(j.state.Active) - 1
	for ; k >= 0 && session != "" && j.state.Active[k].Session != session; k-- {
	}
	if k < 0 {
		return nil, nil
	}
	batch := j.state.Active[k].Batch
	var undone, lines []Decision
	for i := len(j.state.Active) - 1; i >= 0; i-- {
		d := j.state.Active[i]
		if d.Session == j.state.Active[k].Session && (d.Seq == j.state.Active[k].Seq || batch != 0 && d.Batch == batch) {
			undone = append(undone, d)
			lines = append(lines, Decision{Index: d.Index, Action: ActionUndo, Strategy: d.Strategy, Session: session, Undoes: d.Seq})
		}
	}
	if err := j.append(lines); err != nil {
		return nil, err
	}
	slices.Reverse(undone)
	return undone, j.writeLabels(false)
}

// append numbers and times ds, writes them as one write, syncs the file
// and applies them. A failed write is cut off the file, so that the next
// append starts a line; when that fails too, the journal refuses
// every later decision.
func (j *Journal) append(ds []Decision) error {
	if j.broken != nil {
		return j.broken
	}
	if j.f == nil {
		return errors.New("the journal is closed")
	}
	if len(ds) == 0 {
		return nil
	}
	now := j.opt.Now().UTC().Format(time.RFC3339)
	var buf bytes.Buffer
	seq := j.lastSeq
	batch := seq + 1
	for k := range ds {
		seq++
		ds[k].Seq, ds[k].Time = seq, now
		if ds[k].Action != ActionUndo && len(ds) > 1 {
			ds[k].Batch = batch
		}
		b, err := json.Marshal(ds[k])
		if err != nil {
			return err
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	next := j.state
	next.Decisions = slices.Clone(next.Decisions)
	next.Active = slices.Clone(next.Active)
	last := j.lastSeq
	for _, d := range ds {
		if err := next.apply(d, last); err != nil {
			return fmt.Errorf("journal %s: %w", j.path, err)
		}
		last = d.Seq
	}
	_, err := j.f.WriteAt(buf.Bytes(), j.size)
	if err == nil {
		err = j.f.Sync()
	}
	if err != nil {
		if terr := j.f.Truncate(j.size); terr != nil {
			j.broken = fmt.Errorf("journal %s: a write failed (%v) and its partial line could not be cut off (%v): restart to repair it", j.path, err, terr)
		}
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	j.size += int64(buf.Len())
	j.lastSeq = seq
	j.state = next
	j.derive()
	return nil
}

// writeLabels rewrites the labels file from the labels in force: a
// temporary file in its directory, synced, renamed over it, and the
// directory synced. On opening (opening true) an error is returned as is;
// afterwards as a *LabelsFileError.
func (j *Journal) writeLabels(opening bool) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"index", "label"})
	idx := make([]int, 0, len(j.labels))
	for i := range j.labels {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	for _, i := range idx {
		w.Write([]string{strconv.Itoa(i), j.labels[i]})
	}
	w.Flush()
	err := atomicfile.Write(j.labelsPath, buf.Bytes())
	if err == nil {
		err = atomicfile.SyncDir(filepath.Dir(j.labelsPath))
	}
	if err != nil && !opening {
		return &LabelsFileError{err}
	}
	return err
}

// Label is the label in force of example i.
func (j *Journal) Label(i int) (string, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	l, ok := j.labels[i]
	return l, ok
}

// Skipped reports whether example i was skipped (and not since undone).
func (j *Journal) Skipped(i int) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.skipped[i]
}

// Counts are the numbers of labeled and skipped examples, and of labels
// per class.
func (j *Journal) Counts() (labeled, skipped int, perClass map[string]int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	perClass = make(map[string]int, len(j.perClass))
	for c, n := range j.perClass {
		perClass[c] = n
	}
	return len(j.labels), len(j.skipped), perClass
}

// Labels are the labels in force, by index (a copy).
func (j *Journal) Labels() map[int]string {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make(map[int]string, len(j.labels))
	for i, l := range j.labels {
		out[i] = l
	}
	return out
}

// CanUndo reports whether session (any, when "") has a decision in force.
func (j *Journal) CanUndo(session string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, d := range j.state.Active {
		if session == "" || d.Session == session {
			return true
		}
	}
	return false
}

// Close closes the journal file; later decisions are refused.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.closeFile()
}

func (j *Journal) closeFile() error {
	if j.f == nil {
		return nil
	}
	if j.unlock != nil {
		j.unlock()
	}
	err := j.f.Close()
	j.f = nil
	return err
}
