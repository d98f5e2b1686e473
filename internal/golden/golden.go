// Package golden compares a test's output with a file kept under testdata/
// byte for byte, and rewrites the file instead when the test runs with
// -update (after a deliberate change, reviewed in the diff).
package golden

import (
	"bytes"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from the current code")

// Check fails t when got differs from the file at path; with -update it
// writes got there first.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it after a deliberate change):\n%s", path, got)
	}
}
