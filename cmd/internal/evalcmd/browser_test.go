package evalcmd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/practica-ml/practica/internal/browsertest"

	"github.com/chromedp/chromedp"
)

// pageCheck is what the browser reports about a page.
type pageCheck struct {
	Images   int      `json:"images"`
	Broken   []string `json:"broken"`
	Sections []string `json:"sections"`
	Summary  string   `json:"summary"`
}

const checkJS = `(() => {
	const imgs = [...document.images];
	return {
		images: imgs.length,
		broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt || i.src.slice(0, 40)),
		sections: [...document.querySelectorAll("section[id]")].map(s => s.id),
		summary: (document.querySelector("#summary") || {innerText: ""}).innerText,
	};
})()`

// skipWithoutChromium and newBrowser are browsertest's, in this
// package's window size.
func skipWithoutChromium(t *testing.T) { t.Helper(); browsertest.SkipWithoutChromium(t) }

func newBrowser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	return browsertest.New(t, timeout, 1200, 900)
}

// TestReportInBrowser opens the evaluation, profile and comparison
// reports in a real headless Chromium (file:// URLs, a fresh profile, no
// network services), checks that every image has loaded and every section
// is present, and saves full-page screenshots (into $PRACTICA_SCREENSHOTS
// when set).
func TestReportInBrowser(t *testing.T) {
	skipWithoutChromium(t)
	shots := os.Getenv("PRACTICA_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	evalDir := evalRun(t, "digits")
	profileDir := t.TempDir()
	if code, _, stderr := runEval("--data", "digits", "--out", profileDir); code != 0 {
		t.Fatalf("profile: exit %d: %s", code, stderr)
	}
	compareDir := t.TempDir()
	if code, _, stderr := runEval("--compare", trainedRun(t, "digits"), "--compare", trainedRun(t, "digits-linear"), "--out", compareDir); code != 0 {
		t.Fatalf("compare: exit %d: %s", code, stderr)
	}

	browser := newBrowser(t, 90*time.Second)

	for _, page := range []struct {
		name, dir string
		sections  []string
		minImages int
		summary   string
	}{
		{"eval", evalDir, reportSections, 5, "held-out images in the test split"},
		{"profile", profileDir, []string{"summary", "classes", "features", "quality", "samples", "pca", "reproducibility"}, 4, "1,797 images"},
		{"compare", compareDir, []string{"summary", "table", "curves", "mcnemar", "reproducibility"}, 2, "McNemar's test, run 1 vs run 2"},
	} {
		url := "file://" + filepath.Join(page.dir, "report.html")
		if err := chromedp.Do(browser, chromedp.Navigate(url), chromedp.WaitReady("body")); err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		if _, err := chromedp.Run(browser, chromedp.Poll[bool](`[...document.images].every(i => i.complete)`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Fatalf("%s: images still loading: %v", url, err)
		}
		got, err := chromedp.Run(browser, chromedp.Evaluate[pageCheck](checkJS))
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		png, err := chromedp.Run(browser, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("%s: screenshot: %v", url, err)
		}
		if got.Images < page.minImages || len(got.Broken) > 0 {
			t.Errorf("%s: %d images, broken: %v", page.name, got.Images, got.Broken)
		}
		for _, id := range page.sections {
			if !strings.Contains(" "+strings.Join(got.Sections, " ")+" ", " "+id+" ") {
				t.Errorf("%s: section %q missing (page has %v)", page.name, id, got.Sections)
			}
		}
		if !strings.Contains(got.Summary, page.summary) {
			t.Errorf("%s: the summary does not say %q:\n%s", page.name, page.summary, got.Summary)
		}
		shot := filepath.Join(shots, page.name+"-report.png")
		if err := os.WriteFile(shot, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d images loaded, sections %v; screenshot %s", page.name, got.Images, got.Sections, shot)
	}
}
