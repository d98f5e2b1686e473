package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/practica-ml/practica/cmd/internal/evalcmd"
	"github.com/practica-ml/practica/cmd/internal/labelcmd"
	"github.com/practica-ml/practica/cmd/internal/predictcmd"
	"github.com/practica-ml/practica/cmd/internal/traincmd"
	"github.com/practica-ml/practica/internal/cliutil"
)

// asPractica, set in a child's environment, makes the test binary behave
// as practica: shell completion reads the process's own os.Args.
const asPractica = "PRACTICA_TEST_AS_PRACTICA"

func TestMain(m *testing.M) {
	if os.Getenv(asPractica) == "1" {
		os.Exit(run(append([]string{"practica"}, os.Args[1:]...), os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// practicaProcess runs practica as a child process (this test binary).
func practicaProcess(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), asPractica+"=1")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), o.String(), e.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, o.String(), e.String()
}

func practica(stdin string, args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(append([]string{"practica"}, args...), strings.NewReader(stdin), &o, &e)
	return code, o.String(), e.String()
}

// TestSubcommandsAreTheCommands checks that each subcommand's help is the
// standalone command's, word for word but for the program's name: one
// definition serves both.
func TestSubcommandsAreTheCommands(t *testing.T) {
	standalone := map[string]func([]string, *bytes.Buffer, *bytes.Buffer) int{
		"train": func(a []string, o, e *bytes.Buffer) int {
			return cliutil.RunStandalone(traincmd.Command(), a, strings.NewReader(""), o, e)
		},
		"eval": func(a []string, o, e *bytes.Buffer) int {
			return cliutil.RunStandalone(evalcmd.Command(), a, strings.NewReader(""), o, e)
		},
		"predict": func(a []string, o, e *bytes.Buffer) int {
			return cliutil.RunStandalone(predictcmd.Command(), a, strings.NewReader(""), o, e)
		},
		"label": func(a []string, o, e *bytes.Buffer) int {
			return cliutil.RunStandalone(labelcmd.Command(), a, strings.NewReader(""), o, e)
		},
	}
	for name, runStandalone := range standalone {
		code, sub, _ := practica("", name, "--help")
		var o, e bytes.Buffer
		code2 := runStandalone([]string{name, "--help"}, &o, &e)
		if code != 0 || code2 != 0 {
			t.Fatalf("%s --help: exits %d and %d", name, code, code2)
		}
		if strings.ReplaceAll(sub, "practica "+name, name) != o.String() {
			t.Errorf("practica %s --help differs from %s --help:\n%s\n---\n%s", name, name, sub, o.String())
		}
	}
}

// TestExitCodes runs practica as a user would and checks the exit status
// and where the message goes.
func TestExitCodes(t *testing.T) {
	out := t.TempDir()
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"help", []string{"--help"}, 0, ""},
		{"no command: help", nil, 0, ""},
		{"mistyped flag", []string{"train", "--epoch", "3"}, cliutil.ExitUsage, "practica train: unknown flag --epoch; did you mean --epochs?\nrun 'practica train --help'\n"},
		{"mistyped command", []string{"trian"}, cliutil.ExitUsage, "unknown command trian; did you mean train?"},
		{"unknown command", []string{"frobnicate"}, cliutil.ExitUsage, "unknown command frobnicate\n"},
		{"global flag unknown", []string{"--epochs", "3"}, cliutil.ExitUsage, "unknown flag --epochs"},
		{"eval with nothing to do", []string{"eval"}, cliutil.ExitUsage, "nothing to do"},
		{"predict without --run", []string{"predict", "x.csv"}, cliutil.ExitUsage, "practica predict: --run DIR is required"},
		{"runtime error", []string{"eval", "--run", filepath.Join(out, "none")}, cliutil.ExitError, "none"},
		{"bad value", []string{"train", "--lr", "-1", "--out", out}, cliutil.ExitError, "optimizer.lr must be"},
		{"verdict", []string{"train", "--overfit-one", "--lr", "1e-9", "--overfit-steps", "20", "--out", out, "-q"}, cliutil.ExitVerdict, ""},
		{"completion needs a shell", []string{"completion", "tcsh"}, cliutil.ExitUsage, `no completion for "tcsh"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := practica("", c.args...)
			if code != c.code || !strings.Contains(stderr, c.stderr) {
				t.Errorf("practica %v: exit %d, stderr %q; want %d, %q", c.args, code, stderr, c.code, c.stderr)
			}
			if code == cliutil.ExitUsage && stdout != "" {
				t.Errorf("a usage error printed on stdout: %q", stdout)
			}
		})
	}
}

// TestVersion checks that --version names the build: a version and the Go
// toolchain (the revision is in the build only with -buildvcs).
func TestVersion(t *testing.T) {
	code, stdout, _ := practica("", "--version")
	if code != 0 || !strings.HasPrefix(stdout, "practica version ") || !strings.Contains(stdout, "go1.") {
		t.Fatalf("practica --version: exit %d, %q", code, stdout)
	}
}

// TestCompletionAndMan checks the generated shell scripts and man page,
// and the completion the scripts ask the binary for.
func TestCompletionAndMan(t *testing.T) {
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"completion", "bash"}, []string{"complete -o bashdefault", "--generate-bash-completion", "practica"}},
		{[]string{"completion", "zsh"}, []string{"#compdef practica", "--generate-bash-completion"}},
		{[]string{"completion", "fish"}, []string{"complete -c practica", "-l epochs", "-l idx-labels"}},
		{[]string{"man"}, []string{".TH practica", "train", "--epochs", "--mc-seed"}},
		{[]string{"--generate-bash-completion"}, []string{"train\n", "eval\n", "predict\n"}},
		{[]string{"train", "--epo", "--generate-bash-completion"}, []string{"--epochs\n"}},
	}
	for _, c := range cases {
		code, stdout, stderr := practicaProcess(t, c.args...)
		if code != 0 {
			t.Errorf("practica %v: exit %d: %s", c.args, code, stderr)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(stdout, w) {
				t.Errorf("practica %v: no %q in\n%.400s", c.args, w, stdout)
			}
		}
	}
}

// TestTrainEvalPredict runs the three subcommands in a row, as the README
// shows them: the run practica train writes is one practica eval and
// practica predict read.
func TestTrainEvalPredict(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := practica("", "train", "--model", "linear", "--epochs", "2", "--out", out, "--json", "-q")
	if code != 0 {
		t.Fatalf("practica train: exit %d: %s", code, stderr)
	}
	var sum struct {
		RunDir   string `json:"run_dir"`
		TestSize int    `json:"test_size"`
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr = practica("", "eval", "--run", sum.RunDir, "--print-dir"); code != 0 || strings.TrimSpace(stdout) != filepath.Join(sum.RunDir, "eval") {
		t.Fatalf("practica eval: exit %d, %q, %s", code, stdout, stderr)
	}
	code, stdout, stderr = practica("", "predict", "--run", sum.RunDir, "--split", "test")
	if code != 0 || strings.Count(stdout, "\n") != sum.TestSize {
		t.Fatalf("practica predict: exit %d, %d lines for %d test examples: %s", code, strings.Count(stdout, "\n"), sum.TestSize, stderr)
	}
}
