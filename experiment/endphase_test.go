package experiment

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/lrsweep"
)

// TestLRAutoCutShortLeavesNoRunDirectory: lr auto's range test runs
// before its run directory exists. A directory made before it, with the
// configured rate in config.yaml, would be what an interrupt or a kill
// during the test leaves, and --resume would start it over at that rate,
// not at the one the test would have chosen.
func TestLRAutoCutShortLeavesNoRunDirectory(t *testing.T) {
	cfg := config.Default()
	cfg.Model.Arch = "mlp"
	cfg.Training.Epochs = 1
	cfg.Output.Root = t.TempDir()
	sc := lrsweep.DefaultConfig()
	sc.Steps, sc.Seeds = 20, 1
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sum, _, err := TrainLRAuto(ctx, cfg, sc, Options{})
	if sum != nil || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "before the run directory was made") {
		t.Fatalf("summary %v, error %v", sum, err)
	}
	if entries, err := os.ReadDir(cfg.Output.Root); err != nil || len(entries) != 0 {
		t.Fatalf("the runs directory holds %v (%v), want nothing", entries, err)
	}
}
