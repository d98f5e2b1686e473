package predictcmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/practica-ml/practica/export"
	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/model"
)

// TestPredictExport: --export onnx writes the ONNX encoding of best.ckpt
// (or --checkpoint) to --output, exits 0 and prints nothing on stdout;
// what would score inputs, a missing --output or an unknown format are
// usage errors that write nothing.
func TestPredictExport(t *testing.T) {
	runDir := trainedRun(t)
	tmp := t.TempDir()
	best := filepath.Join(runDir, "checkpoints", "best.ckpt")
	last := filepath.Join(runDir, "checkpoints", "last.ckpt")
	out := filepath.Join(tmp, "model.onnx")
	cases := []struct {
		name string
		args []string
		ckpt string // the checkpoint the file must encode; "" for a usage error
		want string // the usage error's start
	}{
		{"best", []string{"--export", "onnx", "--output", out}, best, ""},
		{"checkpoint", []string{"--export", "onnx", "--checkpoint", last, "-o", out}, last, ""},
		{"no output", []string{"--export", "onnx"}, "", "--export needs --output FILE"},
		{"bad format", []string{"--export", "tflite", "-o", out}, "", `--export must be onnx or safetensors, got "tflite"`},
		{"inputs", []string{"--export", "onnx", "-o", out, "../../../data/testdata/breast_cancer.csv"}, "", "--export writes the model and reads no inputs"},
		{"split", []string{"--export", "onnx", "-o", out, "--split", "test"}, "", "--split is about scoring inputs"},
		{"rank", []string{"--export", "onnx", "-o", out, "--rank", "margin"}, "", "--rank is about scoring inputs"},
		{"uncalibrated", []string{"--export", "onnx", "-o", out, "--uncalibrated"}, "", "--uncalibrated is about scoring inputs"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			os.Remove(out)
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"predict", "--run", runDir}, c.args...), &stdout, &stderr)
			if c.ckpt == "" {
				if code != cliutil.ExitUsage || !strings.HasPrefix(stderr.String(), "predict: "+c.want) || stdout.Len() != 0 {
					t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr.String(), cliutil.ExitUsage, c.want)
				}
				if _, err := os.Stat(out); err == nil {
					t.Fatalf("a usage error wrote %s", out)
				}
				return
			}
			if code != 0 || stdout.Len() != 0 || stderr.Len() != 0 {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
			}
			ck, err := model.LoadCheckpoint(c.ckpt)
			if err != nil {
				t.Fatal(err)
			}
			want, err := export.MarshalONNX(ck)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s: %d bytes (%v), want the %d of MarshalONNX(%s)", out, len(got), err, len(want), filepath.Base(c.ckpt))
			}
		})
	}
}
