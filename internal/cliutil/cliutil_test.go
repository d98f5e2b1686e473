package cliutil

import (
	"bytes"
	"errors"
	"fmt"
	"runtime/debug"
	"testing"
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
