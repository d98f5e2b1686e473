package traincmd

import (
	"context"
	"os"
	"os/exec"
	"testing"
)

// asTrain, set in a child's environment, makes the test binary behave as
// the train command: the crash tests kill and resume real processes
// without building a separate binary.
const asTrain = "PRACTICA_TEST_AS_TRAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asTrain) == "1" {
		os.Exit(run(append([]string{"train"}, os.Args[1:]...), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// trainCommand is the train command as a child process (this test binary,
// see TestMain) with args, killed when ctx ends.
func trainCommand(ctx context.Context, args ...string) *exec.Cmd {
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Env = append(os.Environ(), asTrain+"=1")
	return cmd
}
