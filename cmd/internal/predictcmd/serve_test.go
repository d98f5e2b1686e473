package predictcmd

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/practica-ml/practica/internal/syncbuf"
	"github.com/practica-ml/practica/modelrepo"
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
		{"repository and name", []string{"--serve", "127.0.0.1:0", "--model-repository", "repo", "--name", "x"}, "a repository's models are named by their directories"},
		{"empty repository flag", []string{"--serve", "127.0.0.1:0", "--model-repository", ""}, "--model-repository needs a directory"},
		{"log-sample alone", []string{"--serve", "127.0.0.1:0", "--run", "r", "--log-sample", "0.5"}, "--log-sample needs --log-inputs DIR"},
		{"log-inputs without serve", []string{"--run", "r", "--log-inputs", "d"}, "--log-inputs needs --serve ADDR"},
		{"run and repository", []string{"--serve", "127.0.0.1:0", "--run", "r", "--model-repository", "repo"}, "either --run DIR or --model-repository DIR, not both"},
		{"max-batch 0", []string{"--serve", "127.0.0.1:0", "--run", "r", "--max-batch", "0"}, "--max-batch must be at least 1, got 0"},
		{"queue 0", []string{"--serve", "127.0.0.1:0", "--run", "r", "--queue", "0"}, "--queue must be at least 1, got 0"},
		{"max-body 0", []string{"--serve", "127.0.0.1:0", "--run", "r", "--max-body", "0"}, "--max-body must be at least 1 byte"},
		{"negative window", []string{"--serve", "127.0.0.1:0", "--run", "r", "--batch-window", "-1ms"}, "--batch-window must be 0 (no batching) or more, got -1ms"},
		{"bad name", []string{"--serve", "127.0.0.1:0", "--run", "r", "--name", "../x"}, `--name: the model name "../x" is not a letter or digit followed by`},
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
// the run (the metadata's card is the run's model.json, and a card
// written meanwhile replaces it);
// SIGTERM drains and exits 0; nothing goes to standard output.
func TestServeRun(t *testing.T) {
	runDir := trainedRun(t)
	var stdout bytes.Buffer
	stderr := &syncbuf.Buffer{}
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
	card, err := os.ReadFile(filepath.Join(runDir, modelrepo.CardFile))
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, card); err != nil {
		t.Fatal(err)
	}
	if _, body := get("/v2/models/bc"); !strings.Contains(body, `"parameters":`+compact.String()) {
		t.Fatalf("the metadata lacks the run's model.json, the card train wrote: %s", body)
	}
	if err := os.WriteFile(filepath.Join(runDir, modelrepo.CardFile), []byte(`{"intended_use": "tests"}`), 0o644); err != nil {
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

// TestServeRepository: predict --export-to twice gives versions 1 and 2;
// --serve --model-repository serves both (the unversioned route the
// highest) with each version's card; --log-inputs keeps what was served
// (inputlog's tests read such files back as data sources); a checkpoint tampered with is refused at the
// SIGHUP reload with its hash named, and the other version goes on.
func TestServeRepository(t *testing.T) {
	runDir := trainedRun(t)
	repo, logs := t.TempDir(), t.TempDir()
	for v := 1; v <= 2; v++ {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"predict", "--run", runDir, "--export-to", repo, "--name", "bc"}, &stdout, &stderr); code != 0 || strings.TrimSpace(stdout.String()) != filepath.Join(repo, "bc", strconv.Itoa(v)) {
			t.Fatalf("export %d: exit %d, %q %s", v, code, stdout.String(), stderr.String())
		}
	}
	var stdout bytes.Buffer
	stderr := &syncbuf.Buffer{}
	exit := make(chan int, 1)
	go func() {
		exit <- run([]string{"predict", "--serve", "127.0.0.1:0", "--model-repository", repo, "--log-inputs", logs}, &stdout, stderr)
	}()
	url := regexp.MustCompile(`url=(http://\S+)/v2`)
	waitFor(t, "the server's URL in its log", func() bool { return url.MatchString(stderr.String()) })
	base := url.FindStringSubmatch(stderr.String())[1]
	call := func(method, path string, body []byte) (int, string) {
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := call("GET", "/v2/models/bc", nil); code != 200 || !strings.Contains(body, `"versions":["1","2"]`) || !strings.Contains(body, `"parameters":{"name":"bc","version":2,"checkpoint":"model.ckpt"`) {
		t.Fatalf("metadata: %d %s", code, body)
	}
	csv, err := os.ReadFile("../../../data/testdata/breast_cancer.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(csv), "\n")
	var rows []json.Number
	for _, line := range lines[1:4] {
		for _, c := range strings.Split(line, ",")[:30] {
			rows = append(rows, json.Number(c))
		}
	}
	infer, _ := json.Marshal(map[string]any{"inputs": []any{map[string]any{"name": "input", "datatype": "FP32", "shape": []int{3, 30}, "data": rows}}})
	answers := map[string]string{}
	for _, path := range []string{"/v2/models/bc/versions/1/infer", "/v2/models/bc/versions/2/infer", "/v2/models/bc/infer"} {
		code, body := call("POST", path, infer)
		if code != 200 {
			t.Fatalf("%s: %d %s", path, code, body)
		}
		answers[path] = body
	}
	if !strings.Contains(answers["/v2/models/bc/infer"], `"model_version":"2"`) || !strings.Contains(answers["/v2/models/bc/versions/1/infer"], `"model_version":"1"`) {
		t.Errorf("versions answered: %v", answers)
	}

	ckpt := filepath.Join(repo, "bc", "1", modelrepo.CheckpointFile)
	b, err := os.ReadFile(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(ckpt, b, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "version 1 gone after SIGHUP", func() bool {
		code, _ := call("GET", "/v2/models/bc/versions/1", nil)
		return code == 404
	})
	if !strings.Contains(stderr.String(), "checkpoint "+ckpt+" has sha256 "+hex.EncodeToString(sum[:])) {
		t.Errorf("the log does not name the tampered checkpoint and its hash: %s", stderr.String())
	}
	if code, body := call("GET", "/v2/models/bc", nil); code != 200 || !strings.Contains(body, `"versions":["2"]`) {
		t.Errorf("after the reload: %d %s", code, body)
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := <-exit; code != 0 {
		t.Fatalf("exit %d after SIGTERM: %s", code, stderr.String())
	}
	// Versions 1 and 2 logged the three rows each, twice for version 2.
	for _, c := range []struct {
		version string
		rows    int
	}{{"1", 3}, {"2", 6}} {
		path := filepath.Join(logs, "bc", c.version, "inputs-000001.csv")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("version %s's log: %v", c.version, err)
		}
		got := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(got) != c.rows+1 || !strings.HasPrefix(got[0], "mean_radius,") || !strings.HasPrefix(got[1], lines[1][:strings.Index(lines[1], ",")+1]) {
			t.Errorf("%s: %d lines, want a header and %d rows as sent: %q", path, len(got), c.rows, got)
		}
	}
}
