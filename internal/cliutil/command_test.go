package cliutil

import (
	"bytes"
	"errors"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestSuggestFlag(t *testing.T) {
	flags := []cli.Flag{
		&cli.IntFlag{Name: "epochs"}, &cli.IntFlag{Name: "batch-size"}, &cli.StringFlag{Name: "lr"},
		&cli.Uint64Flag{Name: "seed"}, &cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}},
		&cli.StringFlag{Name: "labels", Hidden: true}, &cli.StringFlag{Name: "idx-labels"},
	}
	cases := []struct{ typed, want string }{
		{"epoch", "epochs"},
		{"epochss", "epochs"},
		{"batchsize", "batch-size"},
		{"batch_size", "batch-size"},
		{"seeds", "seed"},
		{"quite", "quiet"},
		{"label", "idx-labels"}, // the hidden old spelling is never suggested
		{"zzzz", ""},
		{"verbose", ""},
	}
	for _, c := range cases {
		if got := SuggestFlag(flags, c.typed); got != c.want {
			t.Errorf("SuggestFlag(%q) = %q, want %q", c.typed, got, c.want)
		}
	}
}

func TestSuggestCommand(t *testing.T) {
	commands := []*cli.Command{{Name: "train"}, {Name: "eval"}, {Name: "predict"}, {Name: "completion"}, {Name: "man"}}
	for _, c := range []struct{ typed, want string }{{"trian", "train"}, {"evl", "eval"}, {"predcit", "predict"}, {"complete", "completion"}, {"serve", ""}} {
		if got := SuggestCommand(commands, c.typed); got != c.want {
			t.Errorf("SuggestCommand(%q) = %q, want %q", c.typed, got, c.want)
		}
	}
}

func TestVersion(t *testing.T) {
	settings := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	cases := []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"go install @v1.2.3", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.3"},
			Settings: settings("GOOS", "linux", "GOARCH", "amd64")},
			"v1.2.3 (no VCS revision in the build (-buildvcs=false, or built outside a git checkout), go1.26.0 linux/amd64)"},
		{"a dirty checkout", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"},
			Settings: settings("GOOS", "linux", "GOARCH", "arm64", "vcs.revision", "0123456789abcdef", "vcs.time", "2026-11-29T04:00:00Z", "vcs.modified", "true")},
			"0.1.0 (revision 0123456789abcdef+dirty of 2026-11-29T04:00:00Z, go1.26.0 linux/arm64)"},
		{"a clean checkout", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.0.0-20261129040000-0123456789ab"},
			Settings: settings("GOOS", "darwin", "GOARCH", "arm64", "vcs.revision", "0123456789abcdef", "vcs.modified", "false")},
			"v0.0.0-20261129040000-0123456789ab (revision 0123456789abcdef, go1.26.0 darwin/arm64)"},
	}
	for _, c := range cases {
		if got := version(&c.bi); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// TestUsageErrorsAndRenames runs a small app with the shared conventions:
// parse errors become one-line usage errors with exit 2, and an old
// spelling works with a warning.
func TestUsageErrorsAndRenames(t *testing.T) {
	renames := []Rename{{Old: "seed", New: "mc-seed"}}
	cmd := &cli.Command{
		Name: "predict",
		Flags: []cli.Flag{&cli.Uint64Flag{Name: "mc-seed", Value: 1}, &cli.IntFlag{Name: "top"},
			Rename{Old: "seed"}.Hidden(&cli.Uint64Flag{})},
		Before: func(c *cli.Context) error { return ApplyRenames(c, renames) },
		Action: func(c *cli.Context) error {
			_, err := c.App.Writer.Write([]byte(strings.Repeat("x", int(c.Uint64("mc-seed")))))
			return err
		},
	}
	cases := []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{"--mc-seed", "3"}, 0, "xxx", ""},
		{[]string{"--seed", "2"}, 0, "xx", "warning: --seed is now --mc-seed; the old spelling will go away\n"},
		{[]string{"--seed", "2", "--mc-seed", "3"}, ExitUsage, "", "predict: --seed is the old spelling of --mc-seed: give one of them\nrun 'predict --help'\n"},
		{[]string{"--topp", "3"}, ExitUsage, "", "predict: unknown flag --topp; did you mean --top?\nrun 'predict --help'\n"},
		{[]string{"--top", "many"}, ExitUsage, "", "predict: invalid value \"many\" for --top: not a number of the flag's type\nrun 'predict --help'\n"},
		{[]string{"--top"}, ExitUsage, "", "predict: --top needs a value\nrun 'predict --help'\n"},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		app := Standalone(cmd, strings.NewReader(""), &stdout, &stderr, append([]string{"predict"}, c.args...))
		code := Handle(&stderr, "predict", app.Run(append([]string{"predict"}, c.args...)))
		if code != c.code || stdout.String() != c.stdout || stderr.String() != c.stderr {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %d, %q, %q", c.args, code, stdout.String(), stderr.String(), c.code, c.stdout, c.stderr)
		}
	}
	if code := Handle(&bytes.Buffer{}, "x", &Usage{Err: errors.New("bad"), Help: "x --help"}); code != ExitUsage {
		t.Errorf("Handle of a usage error: exit %d", code)
	}
}
