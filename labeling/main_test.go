package labeling

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"testing"
)

// asServer, set in a child's environment, makes the test binary a
// labeling server (testServerMain): the crash test kills and restarts a
// real process without building a binary of its own.
const asServer = "PRACTICA_TEST_AS_LABELING_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(asServer) == "1" {
		os.Exit(testServerMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// testServerMain serves the labeling page as the label command does:
// it prints the page's URL on stdout and serves until SIGINT or SIGTERM.
func testServerMain(args []string) int {
	fs := flag.NewFlagSet("labeling-server", flag.ContinueOnError)
	source := fs.String("data", "digits", "the source")
	labels := fs.String("labels", "", "the labels file")
	addr := fs.String("serve", "127.0.0.1:0", "the address")
	strategy := fs.String("strategy", Random, "the starting strategy")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "labeling-server:", err)
		return 1
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	pool, err := OpenPool(PoolOptions{Source: *source, Seed: 1})
	if err != nil {
		return fail(err)
	}
	j, err := OpenJournal(*labels, JournalOptions{N: pool.Data.Len(), Classes: pool.Data.Classes, Warn: func(m string) { log.Warn(m) }})
	if err != nil {
		return fail(err)
	}
	srv, err := NewServer(pool, j, ServerOptions{Strategy: *strategy, Logger: log})
	if err != nil {
		return fail(err)
	}
	ln, err := Listen(*addr, log)
	if err != nil {
		return fail(err)
	}
	fmt.Printf("label: labeling page at %s\n", PageURL(ln))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.Serve(ctx, ln); err != nil {
		return fail(err)
	}
	return 0
}
