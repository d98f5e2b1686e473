package evalcmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/experiment"
	"github.com/practica-ml/practica/kernels"
)

// runsRoot holds the runs the tests train once and share.
var runsRoot string

// TestMain installs the matrix multiply the commands use, so that the
// tests score models exactly as eval and predict do.
func TestMain(m *testing.M) {
	kernels.Install()
	dir, err := os.MkdirTemp("", "practica-eval-test-")
	if err != nil {
		panic(err)
	}
	runsRoot = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	runsMu sync.Mutex
	runs   = map[string]string{}
)

// trainedRun trains (once per name) a short run and returns its
// directory: "digits" is a 3-epoch MLP on the digits, "digits-seed2" the
// same with seed 2 (another split), "digits-linear" a linear model on the
// same split, "cancer" an MLP on the two-class breast-cancer CSV and
// "cancer-nocal" the same trained with --no-calibrate.
func trainedRun(t *testing.T, name string) string {
	t.Helper()
	runsMu.Lock()
	defer runsMu.Unlock()
	if dir, ok := runs[name]; ok {
		return dir
	}
	cfg := config.Default()
	cfg.Model.Arch = "mlp"
	cfg.Training.Epochs = 3
	cfg.Training.BatchSize = 64
	cfg.Output.Root = filepath.Join(runsRoot, "runs")
	cfg.Output.Name = name
	switch name {
	case "digits":
	case "digits-seed2":
		cfg.Training.Seed = 2
	case "digits-linear":
		cfg.Model.Arch = "linear"
	case "cancer", "cancer-nocal":
		cfg.Data.Source = filepath.Join("..", "..", "..", "data", "testdata", "breast_cancer.csv")
		cfg.Data.LabelColumn = "diagnosis"
		cfg.Training.Epochs = 5
		cfg.Training.BatchSize = 32
		cfg.Calibration.Calibrate = name == "cancer"
	default:
		t.Fatalf("unknown test run %q", name)
	}
	sum, err := experiment.Train(context.Background(), cfg, experiment.Options{Args: []string{"train", "--name", name}, Now: time.Now()})
	if err != nil {
		t.Fatalf("training %s: %v", name, err)
	}
	runs[name] = sum.RunDir
	return sum.RunDir
}

// runEval runs the command and returns its exit code, stdout and stderr.
func runEval(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(append([]string{"eval"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}
