package cliutil

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Signal is the cause of a context that SignalContext cancelled.
type Signal struct{ os.Signal }

func (s Signal) Error() string { return fmt.Sprintf("interrupted by %v", s.Signal) }

// SignalContext is a context cancelled, with a Signal as its cause, at
// the first SIGINT or SIGTERM; stop releases the signals (a second one
// then ends the process at once, as usual).
func SignalContext(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			cancel(Signal{s})
			signal.Stop(ch)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

// InterruptCode is the exit status of a command that ctx's signal
// stopped: 128 + the signal's number (130 for SIGINT, 143 for SIGTERM),
// as a shell reports a process the signal killed.
func InterruptCode(ctx context.Context) int {
	if s, ok := context.Cause(ctx).(Signal); ok {
		if n, ok := s.Signal.(syscall.Signal); ok {
			return 128 + int(n)
		}
	}
	return ExitInterrupted
}
