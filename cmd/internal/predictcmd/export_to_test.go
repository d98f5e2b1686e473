package predictcmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/modelrepo"
)

// TestPredictExportTo: --export-to twice prints the directories of
// versions 1 and 2, each holding the model and its card; an unfinished
// run is exported with predict's warning; what would score inputs, an
// unsafe --name or --name alone are usage errors that create nothing.
func TestPredictExportTo(t *testing.T) {
	runDir := trainedRun(t)
	repo := filepath.Join(t.TempDir(), "repo")
	for _, c := range []struct {
		args []string
		want string // stdout
	}{
		{[]string{"--name", "bc"}, filepath.Join(repo, "bc", "1")},
		{[]string{"--name", "bc"}, filepath.Join(repo, "bc", "2")},
		{nil, filepath.Join(repo, filepath.Base(runDir), "1")},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"predict", "--run", runDir, "--export-to", repo}, c.args...), &stdout, &stderr)
		if code != 0 || stdout.String() != c.want+"\n" || stderr.Len() != 0 {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q; want %s", c.args, code, stdout.String(), stderr.String(), c.want)
		}
		card, err := modelrepo.ReadCard(c.want)
		if err != nil {
			t.Fatal(err)
		}
		v := modelrepo.Version{Name: card.Name, Version: card.Version, Dir: c.want, Card: card}
		if filepath.Join(repo, card.Name, []string{"", "1", "2"}[card.Version]) != c.want || v.Verify() != nil {
			t.Errorf("%s: card %s version %d (%v)", c.want, card.Name, card.Version, v.Verify())
		}
	}

	unfinished := filepath.Join(t.TempDir(), "run")
	if err := os.CopyFS(unfinished, os.DirFS(runDir)); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(unfinished, "summary.json"))
	var stdout, stderr bytes.Buffer
	if code := run([]string{"predict", "--run", unfinished, "--export-to", repo}, &stdout, &stderr); code != 0 ||
		stdout.String() != filepath.Join(repo, "run", "1")+"\n" || !strings.HasPrefix(stderr.String(), "warning: the run "+unfinished+" has no summary.json") {
		t.Errorf("an unfinished run: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}

	fresh := filepath.Join(t.TempDir(), "fresh")
	usage := []struct {
		name string
		args []string
		want string
	}{
		{"split", []string{"--export-to", fresh, "--split", "test"}, "--split is not about adding a model to a repository"},
		{"export", []string{"--export-to", fresh, "--export", "onnx"}, "--export is not about adding a model"},
		{"output", []string{"--export-to", fresh, "-o", filepath.Join(fresh, "x")}, "--output is not about adding a model"},
		{"mc-dropout", []string{"--export-to", fresh, "--mc-dropout", "3"}, "--mc-dropout is not about adding a model"},
		{"inputs", []string{"--export-to", fresh, "../../../data/testdata/breast_cancer.csv"}, `--export-to copies the model and reads no inputs: drop "../../../data/testdata/breast_cancer.csv"`},
		{"a name with a slash", []string{"--export-to", fresh, "--name", "../bc"}, `--name: the model name "../bc" is not a letter or digit followed by`},
		{"a long name", []string{"--export-to", fresh, "--name", strings.Repeat("m", 101)}, `--name: the model name "` + strings.Repeat("m", 101) + `" has 101 characters, more than 100`},
		{"an empty repository", []string{"--export-to", "", "--name", "bc"}, "--export-to needs a directory"},
		{"name alone", []string{"--name", "bc"}, "--name needs --export-to DIR"},
	}
	for _, c := range usage {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"predict", "--run", runDir}, c.args...), &stdout, &stderr)
			if code != cliutil.ExitUsage || !strings.HasPrefix(stderr.String(), "predict: "+c.want) || stdout.Len() != 0 {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr.String(), cliutil.ExitUsage, c.want)
			}
			if _, err := os.Stat(fresh); err == nil {
				t.Fatalf("a usage error created %s", fresh)
			}
		})
	}
}
