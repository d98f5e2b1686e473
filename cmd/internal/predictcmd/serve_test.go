package predictcmd

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestServeUsage: --serve's command lines that cannot run are usage
// errors naming the flag, before any model is loaded; so are serving
// flags without --serve and a missing --run.
func TestServeUsage(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no run", []string{"--serve", "127.0.0.1:0"}, "--serve needs --run DIR"},
		{"an input file", []string{"--serve", "127.0.0.1:0", "--run", "r", "rows.csv"}, `--serve answers requests and reads no input files: drop "rows.csv"`},
		{"a scoring flag", []string{"--serve", "127.0.0.1:0", "--run", "r", "--split", "test"}, "--split is about scoring input files, which --serve does not do"},
		{"uncalibrated", []string{"--serve", "127.0.0.1:0", "--run", "r", "--uncalibrated"}, "--uncalibrated is about scoring input files"},
		{"export", []string{"--serve", "127.0.0.1:0", "--run", "r", "--export", "onnx"}, "give either --serve or --export, not both"},
		{"output", []string{"--serve", "127.0.0.1:0", "--run", "r", "-o", "x"}, "--serve answers over HTTP and writes no file"},
		{"empty address", []string{"--serve", "", "--run", "r"}, "--serve needs an address"},
		{"repository", []string{"--serve", "127.0.0.1:0", "--model-repository", "repo"}, "--model-repository is not wired yet"},
		{"run and repository", []string{"--serve", "127.0.0.1:0", "--run", "r", "--model-repository", "repo"}, "either --run DIR or --model-repository DIR, not both"},
		{"max-batch 0", []string{"--serve", "127.0.0.1:0", "--run", "r", "--max-batch", "0"}, "--max-batch must be at least 1, got 0"},
		{"queue 0", []string{"--serve", "127.0.0.1:0", "--run", "r", "--queue", "0"}, "--queue must be at least 1, got 0"},
		{"max-body 0", []string{"--serve", "127.0.0.1:0", "--run", "r", "--max-body", "0"}, "--max-body must be at least 1 byte"},
		{"negative window", []string{"--serve", "127.0.0.1:0", "--run", "r", "--batch-window", "-1ms"}, "--batch-window must be 0 (no batching) or more, got -1ms"},
		{"bad name", []string{"--serve", "127.0.0.1:0", "--run", "r", "--name", "../x"}, `--name: model name "../x": use letters, digits`},
		{"run name unusable", []string{"--serve", "127.0.0.1:0", "--run", "my run"}, "the run directory's base name cannot name the model in URLs"},
		{"serving flag alone", []string{"--run", "r", "--batch-window", "5ms"}, "--batch-window needs --serve ADDR"},
		{"no run, no serve", []string{"--split", "test"}, "--run DIR is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"predict"}, tc.args...), &stdout, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), tc.want) || stdout.Len() != 0 {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, stderr.String(), tc.want)
			}
		})
	}
}

func TestBeyondLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": false, "localhost:8080": false, "[::1]:8080": false, "127.0.0.2:1": false,
		":8080": true, "0.0.0.0:8080": true, "[::]:8080": true, "192.168.1.5:80": true, "example.com:80": true,
		"no port": false,
	} {
		if got := beyondLoopback(addr); got != want {
			t.Errorf("beyondLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

// lockedBuffer is a buffer the server's log writes to while the test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls cond until it holds, failing after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
	}
}

// TestServeRun serves a trained run as a user would: the log names the
// URL and the model; it answers a row of the training CSV; SIGHUP reloads
// the run (a model card written meanwhile appears in the metadata);
// SIGTERM drains and exits 0; nothing goes to standard output.
func TestServeRun(t *testing.T) {
	runDir := trainedRun(t)
	var stdout bytes.Buffer
	stderr := &lockedBuffer{}
	exit := make(chan int, 1)
	go func() {
		exit <- run([]string{"predict", "--serve", "127.0.0.1:0", "--run", runDir, "--name", "bc"}, &stdout, stderr)
	}()
	url := regexp.MustCompile(`url=(http://\S+)/v2`)
	waitFor(t, "the server's URL in its log", func() bool { return url.MatchString(stderr.String()) })
	base := url.FindStringSubmatch(stderr.String())[1]
	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/v2/health/ready"); code != 200 || body != "{\"ready\":true}\n" {
		t.Fatalf("ready: %d %s", code, body)
	}
	csv, err := os.ReadFile("../../../data/testdata/breast_cancer.csv")
	if err != nil {
		t.Fatal(err)
	}
	cells := strings.Split(strings.Split(string(csv), "\n")[1], ",")
	var row []json.Number
	for _, c := range cells[:30] {
		row = append(row, json.Number(c))
	}
	req, _ := json.Marshal(map[string]any{"inputs": []any{map[string]any{"name": "input", "datatype": "FP32", "shape": []int{1, 30}, "data": row}}})
	resp, err := http.Post(base+"/v2/models/bc/infer", "application/json", bytes.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"model_name":"bc","model_version":"1"`) || !strings.Contains(string(b), `"name":"class","shape":[1],"datatype":"BYTES","data":["`) {
		t.Fatalf("infer: %d %s", resp.StatusCode, b)
	}
	if _, body := get("/v2/models/bc"); strings.Contains(body, "parameters") {
		t.Fatalf("a card before there is one: %s", body)
	}
	if err := os.WriteFile(filepath.Join(runDir, modelCardFile), []byte(`{"intended_use": "tests"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the card after SIGHUP", func() bool {
		_, body := get("/v2/models/bc")
		return strings.Contains(body, `"parameters":{"intended_use":"tests"}`)
	})
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := <-exit; code != 0 {
		t.Fatalf("exit %d after SIGTERM: %s", code, stderr.String())
	}
	for _, want := range []string{"serving model", "model=bc", "SIGHUP: reloading", "draining", "stopped"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("the log lacks %q: %s", want, stderr.String())
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("standard output: %q", stdout.String())
	}
}

// TestServeBusyPort: a port already in use is an error naming --serve and
// the address, given before any model is loaded.
func TestServeBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var stdout, stderr bytes.Buffer
	addr := ln.Addr().String()
	code := run([]string{"predict", "--serve", addr, "--run", "no-such-run"}, &stdout, &stderr)
	if want := "predict: --serve " + addr + ": listen tcp " + addr; code != 1 || !strings.HasPrefix(stderr.String(), want) || !strings.Contains(stderr.String(), "address already in use") {
		t.Fatalf("exit %d, %q; want 1 and %q…address already in use", code, stderr.String(), want)
	}
}
