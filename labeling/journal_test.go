package labeling

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// line is one journal line as the journal writes it.
func line(seq int64, index int, action, label string, extra ...string) string {
	d := Decision{Seq: seq, Time: "2026-01-02T03:04:05Z", Index: index, Action: action, Label: label, Strategy: Random}
	for _, e := range extra {
		k, v, _ := strings.Cut(e, "=")
		var n int64
		fmt.Sscan(v, &n)
		switch k {
		case "undoes":
			d.Undoes = n
		case "batch":
			d.Batch = n
		case "session":
			d.Session = v
		}
	}
	b, _ := json.Marshal(d)
	return string(b) + "\n"
}

func TestReplay(t *testing.T) {
	l1, l2, l3 := line(1, 10, ActionLabel, "3"), line(2, 11, ActionLabel, "5"), line(3, 12, ActionSkip, "")
	for _, tc := range []struct {
		name, journal string
		labels        map[int]string
		skipped       []int
		warning       string // a substring of the one warning
		err           string // a substring of the error
		missingNL     bool
	}{
		{name: "empty", journal: "", labels: map[int]string{}},
		{name: "labels and a skip", journal: l1 + l2 + l3, labels: map[int]string{10: "3", 11: "5"}, skipped: []int{12}},
		{name: "undo takes back the last", journal: l1 + l2 + line(3, 11, ActionUndo, ""), labels: map[int]string{10: "3"}},
		{name: "undo repeatedly", journal: l1 + l2 + line(3, 11, ActionUndo, "") + line(4, 10, ActionUndo, ""), labels: map[int]string{}},
		{name: "undo a skip", journal: l1 + l2 + l3 + line(4, 12, ActionUndo, ""), labels: map[int]string{10: "3", 11: "5"}},
		{name: "undo a named decision", journal: l1 + l2 + l3 + line(4, 10, ActionUndo, "", "undoes=1"), labels: map[int]string{11: "5"}, skipped: []int{12}},
		{name: "a relabel undone shows the first label", journal: l1 + line(2, 10, ActionLabel, "7") + line(3, 10, ActionUndo, ""), labels: map[int]string{10: "3"}},
		{name: "the last decision wins", journal: l1 + line(2, 10, ActionLabel, "7"), labels: map[int]string{10: "7"}},
		{name: "seq may skip numbers", journal: l1 + line(5, 11, ActionLabel, "5"), labels: map[int]string{10: "3", 11: "5"}},
		{name: "torn last line", journal: l1 + l2 + `{"seq":3,"time":"2026-01-02T0`, labels: map[int]string{10: "3", 11: "5"}, warning: "j.jsonl:3: the last line is cut short"},
		{name: "torn last line of zeros", journal: l1 + "\x00\x00\x00\x00", labels: map[int]string{10: "3"}, warning: "j.jsonl:2:"},
		{name: "a whole last line without newline", journal: l1 + strings.TrimSuffix(l2, "\n"), labels: map[int]string{10: "3", 11: "5"}, missingNL: true},
		{name: "corrupt middle line", journal: l1 + `{"seq":2,"time":` + "\n" + l3, err: "j.jsonl:2: not a decision"},
		{name: "corrupt whole last line", journal: l1 + "garbage\n", err: "j.jsonl:2: not a decision"},
		{name: "empty line", journal: l1 + "\n" + l2, err: "j.jsonl:2: an empty line"},
		{name: "seq going back", journal: l2 + l1, err: "j.jsonl:2: seq 1 after seq 2"},
		{name: "undo of nothing", journal: line(1, 3, ActionUndo, ""), err: "j.jsonl:1: undo with no decision in force"},
		{name: "undo of an undone decision", journal: l1 + line(2, 10, ActionUndo, "", "undoes=1") + line(3, 10, ActionUndo, "", "undoes=1"), err: "j.jsonl:3: undo of seq 1, which is no decision in force"},
		{name: "undo naming the wrong index", journal: l1 + line(2, 99, ActionUndo, "", "undoes=1"), err: "j.jsonl:2: undo of seq 1 names index 99"},
		{name: "unknown action", journal: l1 + strings.Replace(l2, `"label","label"`, `"relabel","label"`, 1), err: `j.jsonl:2: action "relabel"`},
		{name: "a label without label", journal: line(1, 4, ActionLabel, ""), err: "j.jsonl:1: a label decision without a label"},
		{name: "a skip with a label", journal: line(1, 4, ActionSkip, "3"), err: "j.jsonl:1: a skip decision with a label"},
		{name: "bad time", journal: strings.Replace(l1, "2026-01-02T03:04:05Z", "yesterday", 1), err: `j.jsonl:1: time "yesterday"`},
		{name: "negative index", journal: line(1, -1, ActionLabel, "3"), err: "j.jsonl:1: index -1"},
		{name: "two values on a line", journal: strings.TrimSuffix(l1, "\n") + l2, err: "j.jsonl:1: more than one JSON value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Replay(strings.NewReader(tc.journal), "j.jsonl")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got error %v; want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Labels(); !maps.Equal(got, tc.labels) {
				t.Errorf("labels %v; want %v", got, tc.labels)
			}
			if got := slices.Sorted(maps.Keys(r.Skipped())); !slices.Equal(got, tc.skipped) {
				t.Errorf("skipped %v; want %v", got, tc.skipped)
			}
			switch {
			case tc.warning == "" && len(r.Warnings) > 0:
				t.Errorf("warnings %q; want none", r.Warnings)
			case tc.warning != "" && (len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], tc.warning)):
				t.Errorf("warnings %q; want one saying %q", r.Warnings, tc.warning)
			}
			if r.MissingNewline != tc.missingNL {
				t.Errorf("MissingNewline %v; want %v", r.MissingNewline, tc.missingNL)
			}
			// Size is where the valid lines end: what the journal keeps.
			valid := tc.journal[:r.Size]
			again, err := Replay(strings.NewReader(valid), "j.jsonl")
			if err != nil || len(again.Warnings) > 0 || !maps.Equal(again.Labels(), tc.labels) {
				t.Errorf("the first %d bytes replay to %v, %v, %v", r.Size, again, err, again.Warnings)
			}
		})
	}
}

// fixedClock is a clock that moves only when told.
type fixedClock struct{ t time.Time }

func (c *fixedClock) Now() time.Time { return c.t }

var digitClasses = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

func openTestJournal(t *testing.T, labelsPath string, warn *[]string) *Journal {
	t.Helper()
	clock := &fixedClock{time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	j, err := OpenJournal(labelsPath, JournalOptions{N: 100, Classes: digitClasses, Now: clock.Now, Warn: func(m string) {
		if warn != nil {
			*warn = append(*warn, m)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestJournalRecordUndoReopen: decisions go to the journal and the labels
// file at once; undo takes back a page's last batch (a cluster labeled at
// once) and leaves other pages' decisions; reopening replays the same
// state.
func TestJournalRecordUndoReopen(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "labels.csv")
	j := openTestJournal(t, file, nil)
	if got := readFile(t, file); got != "index,label\n" {
		t.Fatalf("a new labeling's labels file is %q; want the header alone", got)
	}
	must := func(ds []Decision, err error) []Decision {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	must(j.Record("tabA", Random, []Decision{{Index: 42, Action: ActionLabel, Label: "7"}}))
	batch := must(j.Record("tabA", Cluster, []Decision{{Index: 5, Action: ActionLabel, Label: "1"}, {Index: 3, Action: ActionLabel, Label: "1"}, {Index: 77, Action: ActionLabel, Label: "1"}}))
	if batch[0].Seq != 2 || batch[2].Seq != 4 || batch[1].Batch != 2 || batch[2].Time != "2026-03-04T05:06:07Z" || batch[0].Session != "tabA" || batch[0].Strategy != Cluster {
		t.Fatalf("recorded %+v; want seqs 2-4 of batch 2, timed by the clock, with session and strategy", batch)
	}
	must(j.Record("tabB", Random, []Decision{{Index: 9, Action: ActionSkip}}))
	must(j.Record("tabB", Random, []Decision{{Index: 10, Action: ActionLabel, Label: "0"}}))
	if got, want := readFile(t, file), "index,label\n3,1\n5,1\n10,0\n42,7\n77,1\n"; got != want {
		t.Fatalf("labels file:\n%s\nwant (sorted by index):\n%s", got, want)
	}
	// tabA's last action is the batch of three: undone at once, tabB's
	// later decisions kept.
	undone := must(j.Undo("tabA"))
	if idx := indices(undone); !slices.Equal(idx, []int{5, 3, 77}) {
		t.Fatalf("tabA's undo took back %v; want the batch 5, 3, 77", idx)
	}
	if got, want := readFile(t, file), "index,label\n10,0\n42,7\n"; got != want {
		t.Fatalf("after the undo the labels file is:\n%s\nwant:\n%s", got, want)
	}
	// An undo with no session takes back anyone's last: tabB's label of 10.
	if undone := must(j.Undo("")); !slices.Equal(indices(undone), []int{10}) {
		t.Fatalf("a global undo took back %v; want 10", indices(undone))
	}
	if undone := must(j.Undo("tabC")); len(undone) != 0 {
		t.Fatalf("tabC, which decided nothing, undid %v", undone)
	}
	if _, err := j.Record("tabA", Random, []Decision{{Index: 100, Action: ActionLabel, Label: "1"}}); err == nil || !strings.Contains(err.Error(), "index 100") {
		t.Fatalf("an index beyond the data: %v", err)
	}
	if _, err := j.Record("tabA", Random, []Decision{{Index: 1, Action: ActionLabel, Label: "cat"}}); err == nil || !strings.Contains(err.Error(), `label "cat" is not a class`) {
		t.Fatalf("an unknown class: %v", err)
	}
	labeled, skipped, per := j.Counts()
	if labeled != 1 || skipped != 1 || per["7"] != 1 {
		t.Fatalf("counts %d labeled, %d skipped, %v", labeled, skipped, per)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Record("tabA", Random, []Decision{{Index: 1, Action: ActionLabel, Label: "1"}}); err == nil {
		t.Fatal("a closed journal recorded a decision")
	}

	j = openTestJournal(t, file, nil)
	defer j.Close()
	if got := j.Labels(); !maps.Equal(got, map[int]string{42: "7"}) || !j.Skipped(9) {
		t.Fatalf("reopened: labels %v, 9 skipped %v; want {42: 7}, true", got, j.Skipped(9))
	}
	// The undo of tabA survives the restart too: its next undo is 42.
	if undone := must(j.Undo("tabA")); !slices.Equal(indices(undone), []int{42}) {
		t.Fatalf("after reopening, tabA's undo took back %v; want 42", indices(undone))
	}
	if d := must(j.Record("tabA", Random, []Decision{{Index: 1, Action: ActionLabel, Label: "1"}})); d[0].Seq != 12 {
		t.Fatalf("the seq after reopening is %d; want 12 (11 lines before)", d[0].Seq)
	}
}

func indices(ds []Decision) []int {
	out := make([]int, len(ds))
	for k, d := range ds {
		out[k] = d.Index
	}
	return out
}

// TestJournalRepairsTornLine: a journal whose last line a crash cut short
// opens with a warning, loses that line (never acknowledged) and appends
// after the last whole one.
func TestJournalRepairsTornLine(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "labels.csv")
	whole := line(1, 10, ActionLabel, "3") + line(2, 11, ActionLabel, "5")
	if err := os.WriteFile(JournalPath(file), []byte(whole+`{"seq":3,"time":"2026-01-02T03:04:05Z","ind`), 0o644); err != nil {
		t.Fatal(err)
	}
	var warn []string
	j := openTestJournal(t, file, &warn)
	if len(warn) != 1 || !strings.Contains(warn[0], JournalPath(file)+":3: the last line is cut short") {
		t.Fatalf("warnings %q; want one naming %s:3", warn, JournalPath(file))
	}
	if got := readFile(t, JournalPath(file)); got != whole {
		t.Fatalf("the torn line was not cut off: %q", got)
	}
	if _, err := j.Record("", Random, []Decision{{Index: 12, Action: ActionLabel, Label: "9"}}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	r, err := Replay(strings.NewReader(readFile(t, JournalPath(file))), "j")
	if err != nil || len(r.Warnings) > 0 || !maps.Equal(r.Labels(), map[int]string{10: "3", 11: "5", 12: "9"}) || r.Decisions[2].Seq != 3 {
		t.Fatalf("after the repair the journal replays to %+v, %v", r, err)
	}
	if got, want := readFile(t, file), "index,label\n10,3\n11,5\n12,9\n"; got != want {
		t.Fatalf("labels file %q; want %q", got, want)
	}

	// A whole last line without its newline is kept, and ended.
	if err := os.WriteFile(JournalPath(file), []byte(strings.TrimSuffix(whole, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	warn = nil
	j = openTestJournal(t, file, &warn)
	j.Close()
	if got := readFile(t, JournalPath(file)); got != whole || len(warn) > 0 {
		t.Fatalf("journal %q, warnings %q; want the two lines ended by a newline, no warning", got, warn)
	}
}

// TestJournalRefuses: a corrupt line before the last, or a decision the
// data cannot hold, stops the opening with an error naming file and line.
func TestJournalRefuses(t *testing.T) {
	for _, tc := range []struct{ name, journal, labels, err string }{
		{"corrupt line", line(1, 10, ActionLabel, "3") + "{oops\n" + line(3, 11, ActionLabel, "5"), "", ".journal.jsonl:2: not a decision"},
		{"index beyond the data", line(1, 10, ActionLabel, "3") + line(2, 100, ActionLabel, "5"), "", ".journal.jsonl:2: index 100; the data has 100 examples"},
		{"unknown class", line(1, 10, ActionLabel, "cat"), "", `.journal.jsonl:1: label "cat" is not a class of the data`},
		{"import: unknown class", "", "index,label\n1,3\n2,cat\n", `labels.csv:3: label "cat" is not a class`},
		{"import: index twice", "", "index,label\n1,3\n1,4\n", "labels.csv:3: index 1 is labeled twice"},
		{"import: bad index", "", "index,label\nx,3\n", `labels.csv:2: index "x" is not a number`},
		{"import: one label per line beyond the data", "", strings.Repeat("1\n", 101), "labels.csv:101: index 100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "labels.csv")
			if tc.journal != "" {
				os.WriteFile(JournalPath(file), []byte(tc.journal), 0o644)
			}
			if tc.labels != "" {
				os.WriteFile(file, []byte(tc.labels), 0o644)
			}
			_, err := OpenJournal(file, JournalOptions{N: 100, Classes: digitClasses})
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("got %v; want an error saying %q", err, tc.err)
			}
		})
	}
}

// TestJournalImportsLabelsFile: a labels file without a journal becomes
// the journal's first decisions (index,label rows, a label a class name
// or a class index; or one label per line), and is rewritten sorted.
func TestJournalImportsLabelsFile(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"index,label", "index,label\n20,3\n4,9\n7,1\n", "index,label\n4,9\n7,1\n20,3\n"},
		{"one label per line", strings.Repeat("2\n", 100), "index,label\n" + func() string {
			var b strings.Builder
			for i := range 100 {
				fmt.Fprintf(&b, "%d,2\n", i)
			}
			return b.String()
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "labels.csv")
			os.WriteFile(file, []byte(tc.in), 0o644)
			var warn []string
			j := openTestJournal(t, file, &warn)
			defer j.Close()
			if got := readFile(t, file); got != tc.want {
				t.Fatalf("labels file after the import:\n%s\nwant:\n%s", got, tc.want)
			}
			if len(warn) != 1 || !strings.Contains(warn[0], "had no journal") {
				t.Fatalf("warnings %q; want one saying the labels were imported", warn)
			}
			r, err := Replay(strings.NewReader(readFile(t, JournalPath(file))), "j")
			if err != nil || len(r.Decisions) == 0 || r.Decisions[0].Strategy != StrategyImport {
				t.Fatalf("journal: %+v, %v; want the imported decisions", r, err)
			}
		})
	}
}

// TestLabelsFileReplacedAtomically: each decision replaces the labels file
// by a renamed new file (a reader that opened the old one reads it whole),
// leaves no temporary file (and removes those of a killed rewrite, not
// another program's), and a labels file edited by hand is rewritten from
// the journal on opening.
func TestLabelsFileReplacedAtomically(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "labels.csv")
	// A rewrite's temporary file that a kill left, and another program's.
	os.WriteFile(filepath.Join(dir, ".labels.csv.tmp123"), []byte("index,la"), 0o644)
	os.WriteFile(filepath.Join(dir, ".other.tmp7"), []byte("x"), 0o644)
	var warn []string
	j := openTestJournal(t, file, &warn)
	if len(warn) != 1 || !strings.Contains(warn[0], ".labels.csv.tmp123, the temporary file of a rewrite") {
		t.Fatalf("warnings %q; want one about the temporary file removed", warn)
	}
	if err := os.Remove(filepath.Join(dir, ".other.tmp7")); err != nil {
		t.Fatalf("another program's temporary file was removed too: %v", err)
	}
	if _, err := j.Record("", Random, []Decision{{Index: 1, Action: ActionLabel, Label: "4"}}); err != nil {
		t.Fatal(err)
	}
	old, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	oldInfo, _ := old.Stat()
	if _, err := j.Record("", Random, []Decision{{Index: 0, Action: ActionLabel, Label: "8"}}); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.ReadFrom(old)
	if b.String() != "index,label\n1,4\n" {
		t.Fatalf("the old labels file, opened before the rewrite, reads %q; want its whole old content", b.String())
	}
	newInfo, _ := os.Stat(file)
	if os.SameFile(oldInfo, newInfo) {
		t.Fatal("the labels file was rewritten in place; want a new file renamed over it")
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"labels.csv", "labels.csv.journal.jsonl"}) {
		t.Fatalf("directory holds %v; want the labels file and its journal only", names)
	}
	j.Close()
	os.WriteFile(file, []byte("index,label\n1,9\n"), 0o644)
	j = openTestJournal(t, file, nil)
	defer j.Close()
	if got := readFile(t, file); got != "index,label\n0,8\n1,4\n" {
		t.Fatalf("a hand-edited labels file reads %q after opening; want the journal's labels", got)
	}
}

// TestJournalOneProcess: a second opening of a journal in use fails,
// rather than interleaving two processes' decisions.
func TestJournalOneProcess(t *testing.T) {
	file := filepath.Join(t.TempDir(), "labels.csv")
	j := openTestJournal(t, file, nil)
	defer j.Close()
	if runtime.GOOS == "windows" {
		t.Skip("no advisory locks on Windows: run one label process per labels file")
	}
	if _, err := OpenJournal(file, JournalOptions{N: 100, Classes: digitClasses}); err == nil || !strings.Contains(err.Error(), "another label process") {
		t.Fatalf("a second opening of a journal in use: %v", err)
	}
}

// FuzzReplay: any bytes replay to an error or to a state; a replayed
// journal written back line by line replays to the same state, and no
// input panics.
func FuzzReplay(f *testing.F) {
	f.Add([]byte(line(1, 10, ActionLabel, "3") + line(2, 11, ActionSkip, "") + line(3, 11, ActionUndo, "")))
	f.Add([]byte(line(1, 10, ActionLabel, "3") + line(2, 10, ActionLabel, "4", "batch=2") + line(3, 10, ActionUndo, "", "undoes=1")))
	f.Add([]byte(line(1, 10, ActionLabel, "3") + `{"seq":2,"ti`))
	f.Add([]byte("\x00\x00\n{}\n"))
	f.Add([]byte(`{"seq":1,"time":"2026-01-02T03:04:05Z","index":0,"action":"undo"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Replay(bytes.NewReader(b), "fuzz")
		if err != nil {
			return
		}
		if r.Size < 0 || r.Size > int64(len(b)) {
			t.Fatalf("size %d of %d bytes", r.Size, len(b))
		}
		var out bytes.Buffer
		for _, d := range r.Decisions {
			line, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			out.Write(line)
			out.WriteByte('\n')
		}
		again, err := Replay(&out, "again")
		if err != nil {
			t.Fatalf("the decisions written back do not replay: %v\n%s", err, out.String())
		}
		if !slices.Equal(again.Active, r.Active) || !maps.Equal(again.Labels(), r.Labels()) || !maps.Equal(again.Skipped(), r.Skipped()) {
			t.Fatalf("written back, the journal replays to another state")
		}
	})
}
