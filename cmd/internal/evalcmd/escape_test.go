package evalcmd

import (
	"context"
	"fmt"
	"html/template"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/experiment"
)

// Text a user controls (class names, CSV column names, file and directory
// names, run names) that would run a script if a page wrote it into its
// HTML unescaped: as an element, breaking out of a double- or
// single-quoted attribute, or out of a JavaScript string.
const (
	pwnScript = `<script>window.__pwned=1</script>`
	pwnAttr   = `"><img src=x onerror="window.__pwned=2">`
	pwnJS     = `'; alert(1); '`
	pwnSingle = `' autofocus onfocus='window.__pwned=3' x='`
	pwnSVG    = `<svg onload="window.__pwned=4">`
	// pwnTitle is in the data's path, which is also the <title> of a
	// profile (the path's slash makes the directory above it end in "<").
	pwnTitle = `</title><script>window.__pwned=5</script>`
	// pwnCell is a cell of a CSV that fails to load, which the error
	// message quotes; unescaped, it opens a dialog.
	pwnCell = `<img src=y onerror=alert(7)>`
)

// hostileCSV writes a three-class CSV whose classes, column names and path
// are the payloads above: the first feature decides the class (with noise,
// so that the validation split is not separable and train fits a
// temperature), the second repeats it (a duplicate feature), the third is
// constant, the fourth noise. It returns the path.
func hostileCSV(t *testing.T, dir string) string {
	t.Helper()
	// The file name holds pwnJS; with its directory, the path holds
	// pwnAttr and pwnTitle.
	parent := filepath.Join(dir, pwnAttr, "</title><script>window.__pwned=5<")
	if err := os.MkdirAll(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(parent, "script>"+pwnJS+".csv")
	if !strings.Contains(path, pwnTitle+pwnJS) {
		t.Fatalf("path %q does not hold the payloads", path)
	}
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	var b strings.Builder
	fmt.Fprintf(&b, "%s,%s,%s,%s,%s\n", q(pwnScript), q(pwnAttr), q(pwnJS), q(pwnSingle), q(pwnSVG))
	classes := []string{pwnScript, pwnAttr, pwnJS}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 150 {
		k := i % len(classes)
		x := float64(k) + 0.6*rng.NormFloat64()
		fmt.Fprintf(&b, "%.4f,%.4f,1,%.4f,%s\n", x, x, rng.NormFloat64(), q(classes[k]))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// trainHostile trains a short MLP on the CSV into root, named name, with
// calibration on or off, and returns the run directory.
func trainHostile(t *testing.T, csv, root, name string, calibrate bool) string {
	t.Helper()
	cfg := config.Default()
	cfg.Data.Source, cfg.Data.LabelColumn = csv, pwnSVG
	cfg.Data.Val, cfg.Data.Test = 0.2, 0.2
	cfg.Model.Arch = "mlp"
	cfg.Model.Hidden = []int{16}
	cfg.Training.Epochs, cfg.Training.BatchSize = 4, 32
	cfg.Optimizer.LR = 0.01
	cfg.Calibration.Calibrate = calibrate
	cfg.Output.Root, cfg.Output.Name = root, name
	args := []string{"train", "--data", csv, "--label-column", pwnSVG, "--name", name}
	if !calibrate {
		args = append(args, "--no-calibrate")
	}
	sum, err := experiment.Train(context.Background(), cfg, experiment.Options{Args: args, Now: time.Now()})
	if err != nil {
		t.Fatalf("training %q: %v", name, err)
	}
	return sum.RunDir
}

// hostilePage is a report written from hostile input, and the payloads it
// must show as text.
type hostilePage struct {
	name, dir string
	shows     []string
}

// TestReportsEscapeUserText feeds script-bearing and quote-breaking class
// names, CSV column names, file and directory names and run names through
// a real training, eval --run (own data, and another source), eval
// --compare and eval --data (a good file and one that fails to load), and
// checks that every page (a) holds none of them unescaped and no element
// or event-handler attribute its templates do not have, and (b) opened in
// Chromium, runs no script and opens no dialog while showing every
// payload as text.
func TestReportsEscapeUserText(t *testing.T) {
	tmp := t.TempDir()
	csv := hostileCSV(t, tmp)
	// The runs' root holds pwnScript in its path, and so does every run
	// directory below it; the runs' names (--name, which may not hold a
	// slash) hold the other payloads.
	root := filepath.Join(tmp, "<script>window.__pwned=1<", "script>")
	calibrated := trainHostile(t, csv, root, pwnSVG, true)
	uncalibrated := trainHostile(t, csv, root, pwnAttr+pwnSingle, false)
	// A run directory's base name is what eval --compare names the run by:
	// run-dir naming keeps --name to [A-Za-z0-9._-], but a directory can be
	// renamed.
	renamed := filepath.Join(root, pwnAttr)
	if err := os.Rename(uncalibrated, renamed); err != nil {
		t.Fatal(err)
	}
	// The same rows under another hostile name, to score the model on
	// another source (eval --run --data).
	other := filepath.Join(filepath.Dir(csv), pwnSVG+".csv")
	b, err := os.ReadFile(csv)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// A CSV that fails to load on a hostile non-numeric cell in a hostile
	// column: the profile page then shows the error, the cell and the
	// column.
	broken := filepath.Join(filepath.Dir(csv), "broken "+pwnSingle+".csv")
	lines := strings.SplitN(string(b), "\n", 3)
	cells := strings.SplitN(lines[1], ",", 2)
	bad := lines[0] + "\n" + pwnCell + "," + cells[1] + "\n" + lines[2]
	if err := os.WriteFile(broken, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}

	classes := []string{pwnScript, pwnAttr, pwnJS}
	var pages []hostilePage
	evalTo := func(name string, shows []string, wantCode int, args ...string) {
		t.Helper()
		out := filepath.Join(tmp, "out-"+name)
		code, _, stderr := runEval(append(args, "--out", out)...)
		if code != wantCode {
			t.Fatalf("eval %s: exit %d, want %d: %s", name, code, wantCode, stderr)
		}
		pages = append(pages, hostilePage{name, out, shows})
	}
	evalTo("eval", append([]string{csv, calibrated}, classes...), 0, "--run", calibrated)
	evalTo("eval-other-data", append([]string{csv, other, renamed}, classes...), 0, "--run", renamed, "--data", other)
	evalTo("compare", []string{csv, filepath.Base(calibrated), pwnAttr}, 0, "--compare", calibrated, "--compare", renamed)
	evalTo("profile", append([]string{csv, pwnScript, pwnAttr, pwnJS, pwnSingle}, classes...), 0, "--data", csv, "--label-column", pwnSVG)
	evalTo("profile-broken", []string{broken, pwnScript, pwnCell}, 1, "--data", broken, "--label-column", pwnSVG)

	allowed := templateTags(t)
	for _, p := range pages {
		html, err := os.ReadFile(filepath.Join(p.dir, "report.html"))
		if err != nil {
			t.Fatal(err)
		}
		checkEscaped(t, p.name, string(html), p.shows, allowed)
	}

	skipWithoutChromium(t)
	browser := newBrowser(t, 2*time.Minute)
	var mu sync.Mutex
	var dialogs []string
	opening := chromedp.Events(browser, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range opening {
			if err != nil {
				return
			}
			mu.Lock()
			dialogs = append(dialogs, fmt.Sprintf("%s(%q)", ev.Type, ev.Message))
			mu.Unlock()
			// Close it from another goroutine, or the page (and the test)
			// waits for it.
			go func() {
				_, _ = chromedp.Call(browser, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}()
		}
	}()
	for _, p := range pages {
		url := "file://" + filepath.Join(p.dir, "report.html")
		if err := chromedp.Do(browser, chromedp.Navigate(url), chromedp.WaitReady("body")); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		// An injected <img src=x> runs its onerror once its load has
		// failed: wait for every image, then a little longer for the
		// handlers.
		if _, err := chromedp.Run(browser, chromedp.Poll[bool](`[...document.images].every(i => i.complete)`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Fatalf("%s: images still loading: %v", p.name, err)
		}
		if err := chromedp.Do(browser, chromedp.Sleep(300*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(browser, chromedp.Evaluate[pwnCheck](`({pwned: window.__pwned === undefined ? null : window.__pwned, scripts: document.scripts.length, text: document.title + "\n" + document.body.innerText})`))
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		if got.Pwned != nil || got.Scripts != 0 {
			t.Errorf("%s: a payload ran in the browser: window.__pwned = %v, %d <script> elements", p.name, got.Pwned, got.Scripts)
		}
		for _, s := range p.shows {
			if !strings.Contains(got.Text, s) {
				t.Errorf("%s: the page does not show %q as text", p.name, s)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dialogs) > 0 {
		t.Errorf("the pages opened dialogs: %v", dialogs)
	}
}

// pwnCheck is what the browser reports about a hostile page: the value
// of window.__pwned (null when no payload set it), the number of <script>
// elements, and the title and visible text.
type pwnCheck struct {
	Pwned   any    `json:"pwned"`
	Scripts int    `json:"scripts"`
	Text    string `json:"text"`
}

// tagRE matches an HTML start tag: its name and its attributes.
var tagRE = regexp.MustCompile(`<([a-zA-Z][a-zA-Z0-9]*)([^>]*)>`)

// templateTags are the element names the pages' templates write.
func templateTags(t *testing.T) map[string]bool {
	t.Helper()
	tags := map[string]bool{}
	for _, f := range []string{"report/common.html", "report/evaluation/eval.html", "report/compare/compare.html", "data/profile/profile.html"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "..", f))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range tagRE.FindAllStringSubmatch(string(b), -1) {
			tags[strings.ToLower(m[1])] = true
		}
	}
	if tags["script"] || len(tags) < 10 {
		t.Fatalf("templates' elements: %v", tags)
	}
	return tags
}

var (
	eventAttr = regexp.MustCompile(`(?i)(^|[\s"'/])on[a-z]+\s*=`)
	imgAttrs  = regexp.MustCompile(`^ src="data:image/png;base64,[A-Za-z0-9+/=]+" alt="[^"<>]*"$`)
)

// checkEscaped checks a page's source: no payload in it unescaped, each of
// shows in it escaped, one <title>, and no element, event handler or image
// source its templates do not write.
func checkEscaped(t *testing.T, name, html string, shows []string, allowed map[string]bool) {
	t.Helper()
	for _, p := range []string{pwnScript, pwnAttr, pwnJS, pwnSingle, pwnSVG, pwnTitle, pwnCell} {
		if strings.Contains(html, p) {
			t.Errorf("%s: report.html holds %q unescaped", name, p)
		}
	}
	for _, s := range shows {
		if !strings.Contains(html, template.HTMLEscapeString(s)) {
			t.Errorf("%s: report.html does not hold %q (escaped)", name, s)
		}
	}
	if strings.Count(html, "<title>") != 1 || strings.Count(html, "</title>") != 1 {
		t.Errorf("%s: %d <title> and %d </title>", name, strings.Count(html, "<title>"), strings.Count(html, "</title>"))
	}
	// Each kind of bad tag once: an injected one repeats wherever the
	// text it came in does.
	var bad []string
	for _, m := range tagRE.FindAllStringSubmatch(html, -1) {
		tag, attrs := strings.ToLower(m[1]), m[2]
		var why string
		switch {
		case !allowed[tag]:
			why = "an element no template writes"
		case eventAttr.MatchString(attrs):
			why = "an event handler"
		case tag == "img" && !imgAttrs.MatchString(attrs):
			why = "an image that is not an embedded PNG"
		default:
			continue
		}
		if s := fmt.Sprintf("%s: <%s%.200s>", why, tag, attrs); !slices.Contains(bad, s) {
			bad = append(bad, s)
		}
	}
	for _, s := range bad {
		t.Errorf("%s: %s", name, s)
	}
}
