package traincmd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// feasibilityRun runs train with args and returns the exit code, stdout
// and stderr.
func feasibilityRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"train"}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// topKeys decodes a JSON object and returns its keys, sorted.
func topKeys(t *testing.T, s string) (map[string]json.RawMessage, []string) {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &top); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, s)
	}
	var keys []string
	for k := range top {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return top, keys
}

type verdictJSON struct {
	Verdict string `json:"verdict"`
	Reason  string `json:"reason"`
}

// TestFeasibilityCommands: each test prints, and writes into its run
// directory, the same JSON with only its own key, and exits 0 on PASS or
// SIGNAL and 3 on FAIL or NO SIGNAL.
func TestFeasibilityCommands(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		code     int
		keys     []string // test keys besides run_dir
		verdicts map[string]string
		reason   string // in the first key's reason
		files    []string
	}{
		{"overfit-one on digits", []string{"--overfit-one"}, 0, []string{"overfit_one"},
			map[string]string{"overfit_one": "PASS"}, "every example classified correctly", []string{"feasibility.md", "overfit_loss.png"}},
		{"overfit-one with lr 1e-9", []string{"--overfit-one", "--lr", "1e-9", "--overfit-steps", "40"}, 3, []string{"overfit_one"},
			map[string]string{"overfit_one": "FAIL"}, "the loss did not move", []string{"feasibility.md", "overfit_loss.png"}},
		{"overfit-batch 8", []string{"--overfit-batch", "8", "--model", "mlp"}, 0, []string{"overfit_batch"},
			map[string]string{"overfit_batch": "PASS"}, "with the inputs zeroed", []string{"overfit_loss.png"}},
		{"naive embeddings on digits", []string{"--naive-embeddings", "--model", "mlp"}, 0, []string{"naive_embeddings"},
			map[string]string{"naive_embeddings": "SIGNAL"}, "simple features already predict the labels", []string{"probe_accuracy.png"}},
		{"everything on noise", []string{"--feasibility", "--data", "noise:n=600,d=16,c=4"}, 3,
			[]string{"clustering", "naive_embeddings", "overfit_batch", "overfit_one"},
			map[string]string{"overfit_one": "PASS", "overfit_batch": "PASS", "naive_embeddings": "NO SIGNAL"}, "",
			[]string{"feasibility.md", "overfit_loss.png", "probe_accuracy.png", "pca_scatter.png"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			code, stdout, stderr := feasibilityRun(t, append([]string{"--out", out, "--json", "-q"}, c.args...)...)
			if code != c.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, c.code, stderr)
			}
			if stderr != "" {
				t.Errorf("a verdict exit must be silent with -q; stderr %q", stderr)
			}
			top, keys := topKeys(t, stdout)
			if want := append(slices.Clone(c.keys), "run_dir"); !slices.Equal(keys, want) {
				t.Fatalf("keys %v, want %v", keys, want)
			}
			for k, want := range c.verdicts {
				var v verdictJSON
				json.Unmarshal(top[k], &v)
				if v.Verdict != want || v.Reason == "" {
					t.Errorf("%s: verdict %q (reason %q), want %s", k, v.Verdict, v.Reason, want)
				}
				if k == c.keys[0] && !strings.Contains(v.Reason, c.reason) {
					t.Errorf("%s reason %q lacks %q", k, v.Reason, c.reason)
				}
			}
			var dir string
			json.Unmarshal(top["run_dir"], &dir)
			if !strings.HasPrefix(dir, out) || !strings.Contains(filepath.Base(dir), "feasibility-") {
				t.Fatalf("run_dir %q is not under %s", dir, out)
			}
			written, err := os.ReadFile(filepath.Join(dir, "feasibility.json"))
			if err != nil || strings.TrimSpace(string(written)) != strings.TrimSpace(stdout) {
				t.Errorf("feasibility.json differs from stdout (%v)", err)
			}
			for _, f := range append([]string{"config.yaml", "command.txt", "meta.json"}, c.files...) {
				if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
					t.Errorf("run directory lacks %s", f)
				}
			}
		})
	}
}

// TestFeasibilityHumanReport: without --json, a short plain-language report.
func TestFeasibilityHumanReport(t *testing.T) {
	code, stdout, stderr := feasibilityRun(t, "--out", t.TempDir(), "--overfit-one", "--model", "mlp")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "overfit-one: PASS: the eval-mode loss on the example fell from") || !strings.HasPrefix(lines[1], "run directory: ") {
		t.Fatalf("stdout:\n%s", stdout)
	}
	if !strings.Contains(stderr, "overfit-one: PASS after") {
		t.Errorf("no progress on stderr: %s", stderr)
	}
}

// TestFeasibilityRejectsBadFlags: one-line errors, exit 1, and no run
// directory.
func TestFeasibilityRejectsBadFlags(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"batch of zero", []string{"--overfit-batch", "0"}, "--overfit-batch must be a number of examples ≥ 1, got 0"},
		{"negative batch", []string{"--overfit-batch", "-3"}, "got -3"},
		{"batch larger than the split", []string{"--overfit-batch", "100000"}, "--overfit-batch 100000: the training split has only 1439 examples"},
		{"zero steps", []string{"--overfit-one", "--overfit-steps", "0"}, "--overfit-steps must be ≥ 1, got 0"},
		{"steps without a test", []string{"--overfit-steps", "10"}, "--overfit-steps sets the budget of --overfit-one, --overfit-batch or --feasibility"},
		{"batch not a number", []string{"--overfit-batch", "many"}, "invalid value \"many\" for --overfit-batch"},
		{"bad data", []string{"--overfit-one", "--data", "nowhere.csv"}, "nowhere.csv"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "runs")
			code, _, stderr := feasibilityRun(t, append([]string{"--out", out, "-q"}, c.args...)...)
			// Flags that do not go together or do not parse are usage
			// errors: exit 2, and a second line pointing to the help.
			wantCode, lines := 1, 1
			if strings.HasPrefix(c.name, "steps without") || strings.HasSuffix(c.name, "not a number") {
				wantCode, lines = 2, 2
			}
			if code != wantCode || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != lines {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q in %d line(s)", code, stderr, wantCode, c.want, lines)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("a run directory root was created for bad input")
			}
		})
	}
}
