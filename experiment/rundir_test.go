package experiment

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/rundir"
)

// TestRerunnable: command.txt and meta.json's command name a program a
// user can run again: go run's temporary binary, gone by the time anyone
// reads them, becomes its base name; any other program stays as typed.
func TestRerunnable(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"/tmp/go-build1234567/b001/exe/practica", "train", "--data", "my data.csv"}, "practica train --data 'my data.csv'"},
		{[]string{"/home/u/.cache/tmp/go-build99/b001/exe/train", "--epochs", "3"}, "train --epochs 3"},
		{[]string{"bin/practica", "train"}, "bin/practica train"},
		{[]string{"/usr/local/bin/practica", "train"}, "/usr/local/bin/practica train"},
		{[]string{"/srv/exe/practica", "train"}, "/srv/exe/practica train"},
		{[]string{"/srv/go-build/practica", "train"}, "/srv/go-build/practica train"},
		{[]string{"train", "--test"}, "train --test"},
		{nil, ""},
	}
	for _, c := range cases {
		if got := shellJoin(rerunnable(c.args)); got != c.want {
			t.Errorf("%q: recorded %q, want %q", c.args, got, c.want)
		}
	}
}

// TestCommandOfGoRun: a run started by go run records practica, not go
// run's temporary binary, in command.txt and meta.json.
func TestCommandOfGoRun(t *testing.T) {
	cfg := config.Default()
	cfg.Data.Source, cfg.Model.Arch, cfg.Training.Epochs = "noise:n=200,d=4,c=2", "linear", 1
	cfg.Output.Root = t.TempDir()
	args := []string{"/tmp/go-build1234567/b001/exe/practica", "train", "--epochs", "1"}
	sum, err := Train(context.Background(), cfg, Options{Args: args})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := rundir.Open(sum.RunDir)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(dir.Join(rundir.CommandFile)); err != nil || string(b) != "practica train --epochs 1\n" {
		t.Errorf("command.txt %q, %v; want %q", b, err, "practica train --epochs 1\n")
	}
	var meta rundir.Meta
	if err := dir.ReadJSON(rundir.MetaFile, &meta); err != nil {
		t.Fatal(err)
	}
	if want := []string{"practica", "train", "--epochs", "1"}; !slices.Equal(meta.Command, want) {
		t.Errorf("meta.json command %q, want %q", meta.Command, want)
	}
}
