// Package browsertest starts the real browser that the tests of HTML
// pages (the evaluation report, the labeling page) drive: Debian's
// Chromium, headless, through chromedp, with a fresh profile and no
// network services of its own.
package browsertest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Chromium is Debian's browser, which .ci/run installs.
const Chromium = "/usr/bin/chromium"

// SkipWithoutChromium skips a test that needs a real browser when
// Chromium is not installed; call it before any costly set-up.
func SkipWithoutChromium(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(Chromium); err != nil {
		t.Skipf("skipping the real-browser test: %s is absent (sudo apt-get install -y chromium; .ci/run installs it)", Chromium)
	}
}

// New starts a headless Chromium with a fresh profile and a window of
// width×height, ended when the test ends or after timeout, and returns
// the context of its first tab. The test must have called
// SkipWithoutChromium.
func New(t testing.TB, timeout time.Duration, width, height int) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Chromium),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	return browser
}
