package traincmd

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// TestInterruptThenResume sends SIGINT or SIGTERM to a real train process
// once its first epoch is done: it must exit 128 + the signal's number
// (130, 143) with stop_reason interrupted and print the resume command,
// and resuming must give the metrics of a run that was never interrupted.
func TestInterruptThenResume(t *testing.T) {
	for _, c := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(c.sig.String(), func(t *testing.T) { interruptThenResume(t, c.sig, c.code) })
	}
}

func interruptThenResume(t *testing.T, sig syscall.Signal, wantCode int) {
	tmp := t.TempDir()
	ctx := context.Background()
	args := []string{"--model", "mlp", "--batch-size", "16", "--epochs", "60"}
	lines, err := signalAt(t, trainCommand(ctx, append(args, "--out", filepath.Join(tmp, "a"))...), "epoch 1/60  train_loss", sig)
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != wantCode {
		t.Fatalf("exit %v, want %d\n%s", err, wantCode, strings.Join(lines, "\n"))
	}
	last := lines[len(lines)-1]
	m := regexp.MustCompile(`resume with: .* --resume (\S+)$`).FindStringSubmatch(last)
	if m == nil {
		t.Fatalf("no resume command in %q", last)
	}
	runDir := m[1]
	var sum struct {
		StopReason string `json:"stop_reason"`
		EpochsRun  int    `json:"epochs_run"`
	}
	b, _ := os.ReadFile(filepath.Join(runDir, "summary.json"))
	if err := json.Unmarshal(b, &sum); err != nil || sum.StopReason != "interrupted" {
		t.Fatalf("summary %s (%v)", b, err)
	}
	total := "4"
	if sum.EpochsRun >= 4 {
		t.Skipf("the interrupt arrived after %d epochs", sum.EpochsRun)
	}
	if out, err := trainCommand(ctx, "--resume", runDir, "--epochs", total, "-q").CombinedOutput(); err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	straight := filepath.Join(tmp, "b")
	if out, err := trainCommand(ctx, "--model", "mlp", "--batch-size", "16", "--epochs", total, "--out", straight, "-q").CombinedOutput(); err != nil {
		t.Fatalf("straight run: %v\n%s", err, out)
	}
	dirs, _ := filepath.Glob(filepath.Join(straight, "*"))
	strip := func(p string) string {
		b, err := os.ReadFile(filepath.Join(p, "metrics.csv"))
		if err != nil {
			t.Fatal(err)
		}
		// seconds and step_seconds are wall times
		return regexp.MustCompile(`,[0-9.]+,[0-9.]+\n`).ReplaceAllString(string(b), "\n")
	}
	if a, b := strip(runDir), strip(dirs[0]); a != b {
		t.Fatalf("interrupted+resumed metrics differ from a straight run:\n%s\n%s", a, b)
	}
}

// TestInterruptDuringTheEndThenResume sends SIGINT or SIGTERM to a real
// train process once its last epoch is done, while it writes the end of
// the run (a bootstrap of 100000 resamples makes that last about a
// second): it must stop there, exit 130 or 143 with the resume command,
// and leave a summary that says interrupted and no calibration.json;
// resuming must write the end of a run never interrupted, byte for byte.
func TestInterruptDuringTheEndThenResume(t *testing.T) {
	tmp := t.TempDir()
	args := []string{"--model", "mlp", "--epochs", "2", "--batch-size", "64", "--bootstrap", "100000"}
	refRoot := filepath.Join(tmp, "reference")
	if out, err := runTrain(t, append(args, "--out", refRoot, "-q")...); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	ref := readResult(t, findRunDir(t, refRoot))
	for _, c := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(c.sig.String(), func(t *testing.T) {
			lines, err := signalAt(t, trainCommand(context.Background(), append(args, "--out", filepath.Join(tmp, c.sig.String()))...), "epoch 2/2  train_loss", c.sig)
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != c.code {
				t.Fatalf("exit %v, want %d\n%s", err, c.code, strings.Join(lines, "\n"))
			}
			m := regexp.MustCompile(`resume with: .* --resume (\S+)$`).FindStringSubmatch(lines[len(lines)-1])
			if m == nil {
				t.Fatalf("no resume command in %q", lines[len(lines)-1])
			}
			st := checkRunDir(t, "interrupted", m[1])
			if st.summary == nil || st.summary.StopReason != "interrupted" || st.summary.EpochsRun != 2 {
				t.Fatalf("summary %+v", st.summary)
			}
			if _, err := os.Stat(filepath.Join(m[1], "calibration.json")); err == nil {
				t.Error("calibration.json written after the interrupt")
			}
			if out, err := runTrain(t, "--resume", m[1], "-q"); err != nil {
				t.Fatalf("resume: %v\n%s", err, out)
			}
			if d := readResult(t, m[1]).diff(ref); d != "" {
				t.Fatalf("the resumed run differs from one never interrupted:\n%s", d)
			}
		})
	}
}

// signalAt runs cmd, sends it sig once a line of its stderr starts with
// prefix, and returns the stderr lines and how it exited.
func signalAt(t *testing.T, cmd *exec.Cmd, prefix string, sig syscall.Signal) ([]string, error) {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if strings.HasPrefix(sc.Text(), prefix) {
			cmd.Process.Signal(sig)
		}
	}
	return lines, cmd.Wait()
}
