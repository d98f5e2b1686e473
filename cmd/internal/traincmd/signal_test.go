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
	cmd := trainCommand(ctx, append(args, "--out", filepath.Join(tmp, "a"))...)
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
		if strings.HasPrefix(sc.Text(), "epoch 1/60  train_loss") {
			cmd.Process.Signal(sig)
		}
	}
	err = cmd.Wait()
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
		return regexp.MustCompile(`,[0-9.]+\n`).ReplaceAllString(string(b), "\n")
	}
	if a, b := strip(runDir), strip(dirs[0]); a != b {
		t.Fatalf("interrupted+resumed metrics differ from a straight run:\n%s\n%s", a, b)
	}
}
