package labeling

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/practica-ml/practica/internal/browsertest"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/internal/syncbuf"
)

// skipWithoutChromium and newBrowser are browsertest's, in this
// package's window size.
func skipWithoutChromium(t *testing.T) { t.Helper(); browsertest.SkipWithoutChromium(t) }

func newBrowser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	return browsertest.New(t, timeout, 1280, 860)
}

// pageView is what the page shows, as window.labelingPage reports it.
type pageView struct {
	Lease    string `json:"lease"`
	Strategy string `json:"strategy"`
	Items    []struct {
		Index     int    `json:"index"`
		Suggested string `json:"suggested"`
		Cluster   int    `json:"cluster"`
		Was       string `json:"was"`
	} `json:"items"`
	Selected []int  `json:"selected"`
	Saved    int    `json:"saved"`
	Labeled  int    `json:"labeled"`
	Status   string `json:"status"`
	Counter  string `json:"counter"`
	Chosen   string `json:"chosen"`
}

const viewJS = `(() => {
	const p = window.labelingPage, g = p.group || {items: []};
	return {
		lease: g.lease || "", strategy: g.strategy || "",
		items: g.items.map(i => ({index: i.index, suggested: i.suggested || "", cluster: i.cluster, was: i.was || ""})),
		selected: p.selected, saved: p.savedCount, labeled: p.state ? p.state.labeled : -1,
		status: document.querySelector("#status").textContent,
		counter: document.querySelector("#counter").textContent,
		chosen: document.querySelector("#strategy").value,
	};
})()`

// TestLabelingPageInBrowser labels the digits from the page in a real
// headless Chromium, by keys and by mouse: 20 single examples (random),
// an undo (Backspace), a cluster's grid with one member left out by a
// click and one by the arrow keys and Space, a reload, and a few more;
// then the labels file must hold exactly what was pressed, and read back
// as train --labels reads it. It saves screenshots of the cluster grid
// and of a single example (into $PRACTICA_SCREENSHOTS when set).
// The grid comes from the package's Cluster queue (k-means on the PCA of
// the digits).
func TestLabelingPageInBrowser(t *testing.T) {
	skipWithoutChromium(t)
	shots := os.Getenv("PRACTICA_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	shots, err := filepath.Abs(shots) // the test changes directory below
	if err != nil {
		t.Fatal(err)
	}
	pool, err := OpenPool(PoolOptions{Source: "digits", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	queue := pool.Queue
	// The labels file as the command is usually given it: a name in the
	// working directory (the page shows it).
	t.Chdir(t.TempDir())
	labels := "labels.csv"
	j, err := OpenJournal(labels, JournalOptions{N: pool.Data.Len(), Classes: pool.Data.Classes})
	if err != nil {
		t.Fatal(err)
	}
	var log syncbuf.Buffer
	srv, err := NewServer(pool, j, ServerOptions{Strategy: Cluster, Queue: queue, MaxGroup: 24, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	defer srv.Close()
	keys := ClassKeys(pool.Data.Classes)
	keyOf := func(class string) string { return keys[slices.Index(pool.Data.Classes, class)] }
	truth := func(i int) string { return pool.Data.Classes[pool.Data.Y[i]] }

	browser := newBrowser(t, 3*time.Minute)
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(browser, actions...); err != nil {
			t.Fatalf("%s: %v\nserver log:\n%s", what, err, log.String())
		}
	}
	view := func() pageView {
		t.Helper()
		v, err := chromedp.Run(browser, chromedp.Evaluate[pageView](viewJS))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// waitFor waits until the page is idle and cond (JavaScript over p,
	// window.labelingPage) holds.
	waitFor := func(what, cond string) pageView {
		t.Helper()
		expr := fmt.Sprintf(`(() => { const p = window.labelingPage; return !!p && !p.busy && p.group !== null && (%s); })()`, cond)
		if _, err := chromedp.Run(browser, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			t.Fatalf("waiting for %s: %v\npage: %+v\nserver log:\n%s", what, err, view(), log.String())
		}
		return view()
	}
	shoot := func(name string) {
		t.Helper()
		do("scroll to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
		png, err := chromedp.Run(browser, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(shots, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot %s", path)
	}
	pressed := map[int]string{} // what the test labeled, by index
	saved := 0                  // entries of the page's saved list
	// labelOne presses the key of a class for the single example shown.
	labelOne := func(k int) {
		t.Helper()
		v := view()
		if len(v.Items) != 1 {
			t.Fatalf("want one example on the page, got %+v", v)
		}
		i := v.Items[0].Index
		class := truth(i)
		if k%7 == 3 { // now and then a label other than the source's
			class = pool.Data.Classes[(pool.Data.Y[i]+1)%len(pool.Data.Classes)]
		}
		do("press "+class, chromedp.KeyEvent(keyOf(class)))
		saved++
		v = waitFor(fmt.Sprintf("#%d saved", i), fmt.Sprintf("p.savedCount === %d && p.group.lease !== %q", saved, v.Lease))
		if !strings.Contains(v.Status, fmt.Sprintf("saved #%d as %s", i, class)) {
			t.Fatalf("after labeling #%d the status says %q", i, v.Status)
		}
		pressed[i] = class
	}

	do("open the page", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(hs.URL+"/?strategy=random"))
	v := waitFor("the first example", "true")
	if v.Strategy != Random || v.Chosen != Random || !strings.Contains(v.Counter, "0 / 1,797 labeled") {
		t.Fatalf("the page opened with %+v", v)
	}
	for k := range 20 {
		labelOne(k)
	}
	shoot("label-page-random.png")

	// Backspace takes back the last label; its example comes back.
	r, err := Replay(strings.NewReader(readFile(t, JournalPath(labels))), "journal")
	if err != nil {
		t.Fatal(err)
	}
	lastIndex := r.Active[len(r.Active)-1].Index
	do("press Backspace", chromedp.KeyEvent(kb.Backspace))
	saved++
	v = waitFor("the undo", fmt.Sprintf("p.savedCount === %d", saved))
	if len(v.Items) != 1 || v.Items[0].Index != lastIndex || v.Items[0].Was != pressed[lastIndex] || !strings.HasPrefix(v.Status, "undone: #") {
		t.Fatalf("after Backspace the page shows %+v; want #%d back, was %s", v, lastIndex, pressed[lastIndex])
	}
	delete(pressed, lastIndex)

	// The cluster grid: choose the strategy, leave out one member by a
	// click and one by the arrows and Space, label the rest with a key.
	do("choose cluster", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector("#strategy"); s.value = "cluster"; s.dispatchEvent(new Event("change")); })()`))
	v = waitFor("a cluster grid", `p.group.strategy === "cluster" && p.group.items.length > 3`)
	if len(v.Selected) != len(v.Items) || v.Chosen != Cluster {
		t.Fatalf("a new grid has %d of %d selected (chooser %q)", len(v.Selected), len(v.Items), v.Chosen)
	}
	byClick, byKeys := v.Items[1].Index, v.Items[2].Index
	do("click an example of the grid", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#grid .item[data-index="%d"]`, byClick))))
	// The click focused item 1; two steps right and one left reach item 2.
	do("arrows and Space", chromedp.KeyEvent(kb.ArrowRight+kb.ArrowRight+kb.ArrowLeft+" "))
	v = waitFor("two members left out", fmt.Sprintf("p.selected.length === %d", len(v.Items)-2))
	if slices.Contains(v.Selected, byClick) || slices.Contains(v.Selected, byKeys) {
		t.Fatalf("left out %d (click) and %d (keys), but selected are %v", byClick, byKeys, v.Selected)
	}
	shoot("label-page-cluster.png")
	votes := map[string]int{}
	for _, i := range v.Selected {
		votes[truth(i)]++
	}
	class := ""
	for _, c := range pool.Data.Classes {
		if votes[c] > votes[class] {
			class = c
		}
	}
	grid := v
	do("press the grid's class", chromedp.KeyEvent(keyOf(class)))
	saved += len(grid.Selected)
	v = waitFor("the grid saved", fmt.Sprintf("p.savedCount === %d && p.group.lease !== %q", saved, grid.Lease))
	for _, i := range grid.Selected {
		pressed[i] = class
	}
	if !strings.Contains(v.Status, fmt.Sprintf("saved %d examples as %s", len(grid.Selected), class)) {
		t.Fatalf("after the grid the status says %q", v.Status)
	}
	// Enter accepts a grid's suggestion (its cluster's labeled majority):
	// label the grids by their majority key until one comes with a
	// suggestion (a cluster offered again), then press Enter.
	entered := false
	for range 40 {
		g := v
		if len(g.Items) == 0 {
			break
		}
		sug := g.Items[0].Suggested
		key := kb.Enter
		if sug == "" {
			votes := map[string]int{}
			for _, it := range g.Items {
				votes[truth(it.Index)]++
			}
			for _, c := range pool.Data.Classes {
				if votes[c] > votes[sug] {
					sug = c
				}
			}
			key = keyOf(sug)
		}
		do("label a grid", chromedp.KeyEvent(key))
		saved += len(g.Selected)
		v = waitFor("the grid saved", fmt.Sprintf("p.savedCount === %d && p.group.lease !== %q", saved, g.Lease))
		for _, i := range g.Selected {
			pressed[i] = sug
		}
		if key == kb.Enter {
			entered = true
			break
		}
	}
	if !entered {
		t.Fatal("no grid came with a suggestion to accept with Enter")
	}

	// Back to random; a reload keeps the strategy, the lease and the
	// counts; then a few more.
	do("choose random", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector("#strategy"); s.value = "random"; s.dispatchEvent(new Event("change")); })()`))
	before := waitFor("a random example", `p.group.strategy === "random"`)
	do("reload", chromedp.Reload())
	v = waitFor("the reloaded page", "true")
	if v.Strategy != Random || v.Lease != before.Lease || v.Labeled != len(pressed) || !strings.Contains(v.Counter, fmt.Sprintf("%d / 1,797 labeled", len(pressed))) {
		t.Fatalf("after the reload the page shows %+v; want lease %s, %d labeled", v, before.Lease, len(pressed))
	}
	saved = 0 // the saved list is the page's own, empty after a reload
	for k := range 3 {
		labelOne(k)
	}
	shoot("label-page-single.png")

	// The labels file holds exactly what was pressed, sorted by index.
	if got := readLabelsCSV(t, labels); !maps.Equal(got, pressed) {
		t.Fatalf("the labels file holds %d labels:\n%v\nwant the %d pressed:\n%v", len(got), got, len(pressed), pressed)
	}
	if r, err := Replay(strings.NewReader(readFile(t, JournalPath(labels))), "journal"); err != nil || !maps.Equal(r.Labels(), pressed) {
		t.Fatalf("the journal replays to %v (%v); want what was pressed", r.Labels(), err)
	}
	// train --labels reads it: the labeled examples, in index order, with
	// the pressed labels.
	d := *pool.Data
	if err := data.ApplyLabelsFile(&d, labels); err != nil {
		t.Fatalf("train --labels would refuse the labels file: %v", err)
	}
	idx := slices.Sorted(maps.Keys(pressed))
	if d.Len() != len(idx) {
		t.Fatalf("the labels file gives %d examples; want the %d labeled", d.Len(), len(idx))
	}
	for k, i := range idx {
		if d.Classes[d.Y[k]] != pressed[i] || !slices.Equal(d.Row(k), pool.Data.Row(i)) {
			t.Fatalf("example %d of the labeled set: label %s; want #%d's %s", k, d.Classes[d.Y[k]], i, pressed[i])
		}
	}
	t.Logf("%d labels pressed; %d by the cluster grid", len(pressed), len(grid.Selected))
}
