package cliutil

import (
	"bytes"
	"errors"
	"fmt"
	"runtime/debug"
	"testing"

	"github.com/practica-ml/practica/internal/setting"
)

func TestHandle(t *testing.T) {
	cases := []struct {
		name   string
		err    error
		code   int
		stderr string
	}{
		{"ok", nil, ExitOK, ""},
		{"plain error", errors.New("lr must be > 0, got -1"), ExitError, "train: lr must be > 0, got -1\n"},
		{"joined errors on one line", errors.Join(errors.New("a is bad"), errors.New("b is bad")), ExitError, "train: a is bad; b is bad\n"},
		{"verdict, silent", &Exit{Code: ExitVerdict}, ExitVerdict, ""},
		{"interrupted, with message", &Exit{Code: ExitInterrupted, Err: errors.New("interrupted")}, ExitInterrupted, "train: interrupted\n"},
		{"wrapped exit", fmt.Errorf("outer: %w", &Exit{Code: ExitVerdict, Err: errors.New("FAIL")}), ExitVerdict, "train: outer: FAIL\n"},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		if code := Handle(&buf, "train", c.err); code != c.code || buf.String() != c.stderr {
			t.Errorf("%s: exit %d, stderr %q; want %d, %q", c.name, code, buf.String(), c.code, c.stderr)
		}
	}
}

func TestTuneGC(t *testing.T) {
	for _, tc := range []struct {
		gogc string
		want int
	}{{"", GCPercent}, {"200", 100}} {
		t.Setenv("GOGC", tc.gogc)
		prev := debug.SetGCPercent(100)
		TuneGC()
		if got := debug.SetGCPercent(prev); got != tc.want {
			t.Errorf("GOGC=%q: GC percent %d, want %d", tc.gogc, got, tc.want)
		}
	}
}

func TestFlagErrors(t *testing.T) {
	flags := map[string]string{"optimizer.lr": "lr", "calibration.bootstrap": "bootstrap", "lr_min": "lr-min", "lr_max": "lr-max"}
	given := map[string]bool{"lr": true}
	set := func(f string) bool { return given[f] }
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"config key with its flag given", setting.Errorf("optimizer.lr", "must be > 0, got -1"), "optimizer.lr must be > 0, got -1 (--lr)"},
		{"config key from a file", setting.Errorf("calibration.bootstrap", "must be in [0, 100000], got -1"), "calibration.bootstrap must be in [0, 100000], got -1"},
		{"command option", setting.Errorf("lr_max", "must be a number above lr_min (0.01), got 0.001"), "--lr-max must be a number above --lr-min (0.01), got 0.001"},
		{"unknown key", setting.Errorf("beta", "must be in [0, 1), got 2"), "beta must be in [0, 1), got 2"},
		{"plain error", errors.New("lr_min is not a key here"), "lr_min is not a key here"},
		{"joined", errors.Join(setting.Errorf("optimizer.lr", "must be > 0, got -1"), setting.Errorf("lr_min", "must be a positive number, got 0")),
			"optimizer.lr must be > 0, got -1 (--lr)\n--lr-min must be a positive number, got 0"},
	}
	for _, c := range cases {
		if got := FlagErrors(c.err, flags, set).Error(); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}
