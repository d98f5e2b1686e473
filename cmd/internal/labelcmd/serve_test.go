package labelcmd

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/internal/syncbuf"
	"github.com/practica-ml/practica/labeling"
)

// serveTestApp is the label command's page mode with the flags serveAction
// reads (the command itself defines them with their help).
func serveTestApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name: "label", Writer: stdout, ErrWriter: stderr,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data", Value: "digits"},
			&cli.StringFlag{Name: "run"},
			&cli.StringFlag{Name: "labels"},
			&cli.StringFlag{Name: "serve", Value: labeling.DefaultAddr},
			&cli.StringFlag{Name: "strategy", Value: labeling.Cluster},
			&cli.BoolFlag{Name: "show-source-labels"},
			&cli.Uint64Flag{Name: "seed", Value: 42},
		},
		Action: serveAction,
	}
}

// TestServeActionUsage: the page mode needs --labels, a strategy it
// knows, and no arguments; each mistake is a usage error naming it.
func TestServeActionUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"label"}, "the labeling page needs --labels FILE"},
		{[]string{"label", "--labels", "l.csv", "--strategy", "best"}, `--strategy "best": want cluster, uncertain or random`},
		{[]string{"label", "--labels", "l.csv", "--serve", ""}, "--serve needs an address"},
		{[]string{"label", "--labels", "l.csv", "digits"}, `reads no arguments: drop "digits"`},
	} {
		var out, errw syncbuf.Buffer
		err := serveTestApp(&out, &errw).Run(tc.args)
		var usage *cliutil.Usage
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: %v; want a usage error saying %q", tc.args, err, tc.msg)
		}
		if out.String() != "" {
			t.Errorf("%q printed %q on stdout", tc.args, out.String())
		}
	}
}

// TestServeActionServesUntilCancelled: the page mode prints the page's
// URL, serves the pool of --data with --strategy, writes --labels, and
// returns nil once its context ends (as at SIGTERM).
func TestServeActionServesUntilCancelled(t *testing.T) {
	labels := filepath.Join(t.TempDir(), "labels.csv")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errw syncbuf.Buffer
	done := make(chan error, 1)
	go func() {
		done <- serveTestApp(&out, &errw).RunContext(ctx, []string{"label", "--data", "digits", "--labels", labels, "--serve", "127.0.0.1:0", "--strategy", "random"})
	}()
	var url string
	guard := time.After(2 * time.Minute) // against a hang, not a time limit
	for url == "" {
		select {
		case err := <-done:
			t.Fatalf("serveAction returned %v before serving\n%s", err, errw.String())
		case <-guard:
			t.Fatalf("no URL printed\n%s", errw.String())
		case <-time.After(10 * time.Millisecond):
		}
		if line, ok := strings.CutPrefix(out.String(), "label: labeling page at "); ok && strings.HasSuffix(line, "\n") {
			url = strings.TrimSpace(line)
		}
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.Contains(errw.String(), "label: 0 of 1797 examples labeled so far") {
		t.Fatalf("stdout %q, stderr %q", out.String(), errw.String())
	}
	post := func(path, body string, v any) {
		t.Helper()
		res, err := http.Post(url+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if err := json.NewDecoder(res.Body).Decode(v); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: %d %v", path, res.StatusCode, err)
		}
	}
	var g struct {
		Lease    string
		Strategy string
		Items    []struct{ Index int }
	}
	post("api/next", "", &g)
	if g.Strategy != labeling.Random || len(g.Items) != 1 {
		t.Fatalf("next: %+v; want one random example", g)
	}
	var saved struct{ Saved []labeling.Decision }
	post("api/label", `{"lease":"`+g.Lease+`","items":[{"index":`+strconv.Itoa(g.Items[0].Index)+`,"label":"4"}]}`, &saved)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serveAction after its context ended: %v", err)
	}
	b, err := os.ReadFile(labels)
	if err != nil || string(b) != "index,label\n"+strconv.Itoa(g.Items[0].Index)+",4\n" {
		t.Fatalf("labels file %q (%v)", b, err)
	}
}
