package traincmd

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/setup"
)

// helpDefaults runs train --help and returns the default each flag's line
// shows, by flag name.
func helpDefaults(t *testing.T) map[string]string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"train", "--help"}, &stdout, &stderr); code != 0 {
		t.Fatalf("train --help: exit %d, %s", code, stderr.String())
	}
	line := regexp.MustCompile(`^\s+--([a-z0-9-]+)(?:, -\w)?(?: value)?\s.*\(default: (.*?)\)(?: \[\$\w+\])?$`)
	got := map[string]string{}
	for _, l := range strings.Split(stdout.String(), "\n") {
		if m := line.FindStringSubmatch(l); m != nil {
			got[m[1]] = strings.Trim(m[2], `"`)
		}
	}
	return got
}

// TestHelpShowsTheRealDefaults checks every default train --help shows
// against what a run without the flag gets: the config's default for a
// flag that sets a config key, and for a key whose default is decided
// later (the batch size, the architecture and its sizes) the values
// that decision makes.
func TestHelpShowsTheRealDefaults(t *testing.T) {
	shown := helpDefaults(t)
	d := config.Default()
	ints := func(v []int) string {
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = strconv.Itoa(x)
		}
		return strings.Join(s, ",")
	}
	mlpSmall := model.Spec{Arch: model.MLP}.WithDefaults([]int{64})
	mlpLarge := model.Spec{Arch: model.MLP}.WithDefaults([]int{784})
	cnn := model.Spec{}.WithDefaults([]int{1, 28, 28})
	// Keys whose default is "decide from the data": what the help must say.
	decided := map[string]string{
		"training.batch_size":              fmt.Sprintf("%d, or a tenth of the training split when smaller", setup.AutoBatchSize(1_000_000)),
		"model.arch":                       fmt.Sprintf("%s for images, %s for tabular data", cnn.Arch, model.Spec{}.WithDefaults([]int{30}).Arch),
		"model.hidden":                     fmt.Sprintf("mlp: %s, or %s for 256 inputs or more; cnn: %s", ints(mlpSmall.Hidden), ints(mlpLarge.Hidden), ints(cnn.Hidden)),
		"model.channels":                   ints(cnn.Channels),
		"data.label_column":                "the last",
		"data.ignore_columns":              "none",
		"data.classes":                     "all",
		"training.init_from":               "none",
		"training.freeze":                  "none",
		"training.unfreeze_at":             "never",
		"training.class_weights":           "equal",
		"output.name":                      "model-data",
		"training.early_stopping.baseline": "none",
		"training.early_stopping.divergence_threshold": "none",
	}
	checked := 0
	for key, flag := range flagOfKey {
		if !strings.Contains(key, ".") {
			continue // a feasibility or sweep option, checked below
		}
		v, err := config.Get(d, key)
		if err != nil {
			t.Fatalf("flagOfKey names %s: %v", key, err)
		}
		want, ok := decided[key]
		switch {
		case ok:
		case key == "calibration.calibrate":
			want = strconv.FormatBool(!v.(bool)) // --no-calibrate
		default:
			want = fmt.Sprint(v)
		}
		if shown[flag] != want {
			t.Errorf("--%s (%s) shows default %q, want %q", flag, key, shown[flag], want)
		}
		checked++
	}
	if checked < 41 {
		t.Fatalf("checked %d config flags, want every one (41 or more)", checked)
	}
	// The range test's and the overfit tests' options.
	for flag, want := range map[string]string{"lr-min": "1e-07", "lr-max": "10", "lr-steps": "100", "lr-sweep-seeds": "3",
		"lr-suggestion": "valley", "sweep-epochs": "3", "overfit-steps": "300"} {
		if shown[flag] != want {
			t.Errorf("--%s shows default %q, want %q", flag, shown[flag], want)
		}
	}
}

// TestHelpGroupsFlags checks that every visible flag sits in one of the
// help's categories, so that none drops out of the help.
func TestHelpGroupsFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	run([]string{"train", "--help"}, &stdout, &stderr)
	help := stdout.String()
	for _, f := range Command().Flags {
		name := f.Names()[0]
		if !strings.Contains(help, "--"+name+" ") && !strings.Contains(help, "--"+name+",") && !strings.Contains(help, "--"+name+"\t") {
			t.Errorf("--%s is missing from the help", name)
		}
	}
	prev := -1
	for _, cat := range categories {
		i := strings.Index(help, "\n   "+cat+":\n")
		if i < 0 || i < prev {
			t.Errorf("category %q missing or out of order", cat)
		}
		prev = i
	}
}

// TestPrecedence checks flag > environment > --config > defaults, by the
// resolved config --print-config prints.
func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfgFile, []byte("training:\n  seed: 5\noutput:\n  root: from-file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		env        map[string]string
		args       []string
		seed, root string
	}{
		{"defaults", nil, nil, "1", "runs"},
		{"config file", nil, []string{"--config", cfgFile}, "5", "from-file"},
		{"environment over file", map[string]string{cliutil.EnvSeed: "7", cliutil.EnvOut: "from-env"}, []string{"--config", cfgFile}, "7", "from-env"},
		{"flag over environment", map[string]string{cliutil.EnvSeed: "7", cliutil.EnvOut: "from-env"}, []string{"--config", cfgFile, "--seed", "9", "--out", "from-flag"}, "9", "from-flag"},
		{"environment alone", map[string]string{cliutil.EnvSeed: "3"}, nil, "3", "runs"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(cliutil.EnvSeed, "")
			t.Setenv(cliutil.EnvOut, "")
			os.Unsetenv(cliutil.EnvSeed)
			os.Unsetenv(cliutil.EnvOut)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			var stdout, stderr bytes.Buffer
			if code := run(append([]string{"train", "--print-config"}, c.args...), &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			cfg, err := config.Parse(stdout.Bytes())
			if err != nil {
				t.Fatalf("--print-config printed no config: %v\n%s", err, stdout.String())
			}
			if got := strconv.FormatUint(cfg.Training.Seed, 10); got != c.seed {
				t.Errorf("training.seed %s, want %s", got, c.seed)
			}
			if cfg.Output.Root != c.root {
				t.Errorf("output.root %s, want %s", cfg.Output.Root, c.root)
			}
		})
	}
}

// TestUsageErrors checks the exit status and the one-line message of
// command lines train cannot take, and that nothing reaches stdout.
func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--epoch", "3"}, cliutil.ExitUsage, "unknown flag --epoch; did you mean --epochs?"},
		{[]string{"--batchsize", "3"}, cliutil.ExitUsage, "did you mean --batch-size?"},
		{[]string{"--zzzz"}, cliutil.ExitUsage, "unknown flag --zzzz\n"},
		{[]string{"--epochs", "three"}, cliutil.ExitUsage, `invalid value "three" for --epochs`},
		{[]string{"--data"}, cliutil.ExitUsage, "--data needs a value"},
		{[]string{"stray"}, cliutil.ExitUsage, "train takes only flags"},
		{[]string{"--sweep-epochs", "2"}, cliutil.ExitUsage, "--sweep-epochs needs --lr-sweep"},
		{[]string{"--resume", "x", "--lr", "0.1"}, cliutil.ExitUsage, "--lr cannot be combined with --resume"},
		{[]string{"--lr", "-1", "--print-config"}, cliutil.ExitError, "optimizer.lr must be"},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"train"}, c.args...), &stdout, &stderr)
		if code != c.code || !strings.Contains(stderr.String(), c.msg) {
			t.Errorf("train %v: exit %d, stderr %q; want %d and %q", c.args, code, stderr.String(), c.code, c.msg)
		}
		if stdout.Len() > 0 {
			t.Errorf("train %v printed on stdout: %q", c.args, stdout.String())
		}
		if lines := strings.Count(stderr.String(), "\n"); code == cliutil.ExitUsage && (lines != 2 || !strings.Contains(stderr.String(), "run 'train --help'")) {
			t.Errorf("train %v: usage error of %d lines, want the message and \"run 'train --help'\": %q", c.args, lines, stderr.String())
		}
	}
}

// TestEveryFlagSetsItsKey gives every flag that sets a config key a value
// other than its default and reads the key back from --print-config.
func TestEveryFlagSetsItsKey(t *testing.T) {
	values := map[string]string{
		"data": "blobs", "label-column": "y", "labels": "l.txt", "model": "cnn", "hidden": "7,5", "channels": "3",
		"dropout": "0.25", "batch-norm": "true", "epochs": "3", "batch-size": "17", "seed": "9", "lr": "0.02",
		"optimizer": "sgd", "weight-decay": "0.001", "momentum": "0.8", "early-stopping": "true", "patience": "4",
		"min-delta": "0.01", "divergence-threshold": "9", "baseline": "2", "monitor": "val_accuracy", "schedule": "cosine",
		"warmup-epochs": "1", "min-lr": "1e-05", "label-smoothing": "0.1", "class-weights": "balanced", "augment-shift": "1",
		"augment-flip": "true", "augment-noise": "0.1", "no-calibrate": "true", "bootstrap": "50", "out": "elsewhere", "name": "n",
		"delimiter": ";", "ignore-columns": "id,when", "missing": "median", "missing-indicator": "true",
		"val": "0.2", "test": "0.05", "image-size": "32",
		"classes": "3,5,8", "init-from": "runs/digits", "freeze": "conv,dense0.weight", "unfreeze-at": "4",
	}
	args := []string{"train", "--print-config"}
	for flag, v := range values {
		args = append(args, "--"+flag+"="+v)
	}
	var stdout, stderr bytes.Buffer
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	cfg, err := config.Parse(stdout.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for key, flag := range flagOfKey {
		if !strings.Contains(key, ".") {
			continue
		}
		want, ok := values[flag]
		if !ok {
			t.Errorf("--%s (%s) has no test value", flag, key)
			continue
		}
		got, _ := config.Get(cfg, key)
		s := fmt.Sprint(got)
		switch v := got.(type) {
		case []int:
			s = strings.Trim(strings.ReplaceAll(fmt.Sprint(v), " ", ","), "[]")
		case float32:
			s = strconv.FormatFloat(float64(v), 'g', -1, 32)
		case []string:
			s = strings.Join(v, ",")
		}
		if flag == "no-calibrate" {
			s = strconv.FormatBool(!got.(bool))
		}
		if s != want {
			t.Errorf("--%s=%s gives %s = %s", flag, want, key, s)
		}
	}
}
