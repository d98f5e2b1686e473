//go:build unix

package labeling

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/practica-ml/practica/internal/syncbuf"
)

// asServer, set in a child's environment to a labels file, makes the
// test binary a labeling server (TestLabelingServerProcess): the crash
// test kills and restarts a real process without building a binary of
// its own.
const asServer = "PRACTICA_TEST_LABELING_SERVER_LABELS"

// TestLabelingServerProcess is the child of the crash test: in a test
// binary started with asServer set it serves the digits as the label
// command does (the page's URL on stdout) until SIGINT or SIGTERM;
// otherwise it does nothing.
func TestLabelingServerProcess(t *testing.T) {
	labels := os.Getenv(asServer)
	if labels == "" {
		return
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	pool, err := OpenPool(PoolOptions{Source: "digits", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	j, err := OpenJournal(labels, JournalOptions{N: pool.Data.Len(), Classes: pool.Data.Classes, Warn: func(m string) { log.Warn(m) }})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(pool, j, ServerOptions{Strategy: Random, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := Listen("127.0.0.1:0", log)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("label: labeling page at %s\n", PageURL(ln))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.Serve(ctx, ln); err != nil {
		t.Fatal(err)
	}
}

// serverProcess is a labeling server in a child process.
type serverProcess struct {
	cmd    *exec.Cmd
	url    string
	stderr *syncbuf.Buffer
}

// startServerProcess starts a child serving the digits with the random
// strategy, decisions to labels, and waits for the URL it prints.
func startServerProcess(t *testing.T, ctx context.Context, labels string) *serverProcess {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	cmd := exec.CommandContext(ctx, self, "-test.run=^TestLabelingServerProcess$", "-test.count=1")
	// The child's temporary files (a TestMain's) stay in this test's.
	cmd.Env = append(os.Environ(), asServer+"="+labels, "TMPDIR="+t.TempDir())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &serverProcess{cmd: cmd, stderr: &syncbuf.Buffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Scan()
		first <- sc.Text()
		for sc.Scan() {
		}
	}()
	select {
	case line := <-first:
		url, ok := strings.CutPrefix(line, "label: labeling page at ")
		if !ok {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the server printed %q, not its URL; stderr:\n%s", line, p.stderr.String())
		}
		p.url = url
	case <-ctx.Done():
		t.Fatalf("the server printed no URL; stderr:\n%s", p.stderr.String())
	}
	return p
}

func (p *serverProcess) post(t *testing.T, path, body string, out any) {
	t.Helper()
	ts := &testServer{url: strings.TrimSuffix(p.url, "/")}
	if status, b := ts.call(t, "POST", path, "", body, out); status != http.StatusOK {
		t.Fatalf("POST %s: %d %s", path, status, b)
	}
}

// TestKilledRightAfterTheReply: a label the server answered is in the
// journal and in the labels file even when the process is killed
// (SIGKILL) the moment the answer arrives, and a restarted server resumes
// from them; SIGTERM stops it cleanly.
func TestKilledRightAfterTheReply(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	labels := filepath.Join(t.TempDir(), "labels.csv")
	want := map[int]string{}
	for round := range 3 {
		p := startServerProcess(t, ctx, labels)
		var st stateJSON
		ts := &testServer{url: strings.TrimSuffix(p.url, "/")}
		ts.call(t, "GET", "/api/state", "", "", &st)
		if st.Labeled != len(want) {
			p.cmd.Process.Kill()
			t.Fatalf("round %d: the restarted server has %d labels; want %d", round, st.Labeled, len(want))
		}
		var g groupJSON
		p.post(t, "/api/next?strategy=random", "", &g)
		i := g.Items[0].Index
		if _, ok := want[i]; ok {
			t.Fatalf("round %d: offered %d, labeled before the restart", round, i)
		}
		label := fmt.Sprint((i + round) % 10)
		req, _ := http.NewRequest("POST", p.url+"api/label", strings.NewReader(jsonBody(map[string]any{"lease": g.Lease, "items": []map[string]any{{"index": i, "label": label}}})))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		// The answer's status line is in: kill before reading more.
		p.cmd.Process.Signal(syscall.SIGKILL)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("round %d: label answered %d", round, res.StatusCode)
		}
		want[i] = label
		err = p.cmd.Wait()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: the server ended with %v; want killed by SIGKILL", round, err)
		}
		r, err := Replay(strings.NewReader(readFile(t, JournalPath(labels))), JournalPath(labels))
		if err != nil || len(r.Warnings) > 0 {
			t.Fatalf("round %d: journal: %v %q", round, err, r.Warnings)
		}
		if got := r.Labels(); !maps.Equal(got, want) {
			t.Fatalf("round %d: the journal holds %v; want %v", round, got, want)
		}
		if got := readLabelsCSV(t, labels); !maps.Equal(got, want) {
			t.Fatalf("round %d: the labels file holds %v; want %v", round, got, want)
		}
	}
	p := startServerProcess(t, ctx, labels)
	var st stateJSON
	(&testServer{url: strings.TrimSuffix(p.url, "/")}).call(t, "GET", "/api/state", "", "", &st)
	if st.Labeled != 3 {
		t.Fatalf("after three kills the server has %d labels; want 3", st.Labeled)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("SIGTERM: %v; want exit 0\n%s", err, p.stderr.String())
	}
	if !strings.Contains(p.stderr.String(), "stopping: finishing the requests in flight") {
		t.Fatalf("the server's log does not say it stopped:\n%s", p.stderr.String())
	}
}

// readLabelsCSV reads a labels file the journal wrote: the header, then
// index,label rows in increasing index order.
func readLabelsCSV(t *testing.T, path string) map[int]string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(readFile(t, path), "\n"), "\n")
	if lines[0] != "index,label" {
		t.Fatalf("%s starts with %q; want the header index,label", path, lines[0])
	}
	out := map[int]string{}
	last := -1
	for _, l := range lines[1:] {
		var i int
		idx, label, ok := strings.Cut(l, ",")
		if _, err := fmt.Sscan(idx, &i); err != nil || !ok || i <= last {
			t.Fatalf("%s: row %q out of order or malformed", path, l)
		}
		out[i], last = label, i
	}
	return out
}
