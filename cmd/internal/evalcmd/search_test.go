package evalcmd

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/experiment"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/search"
)

// TestEvalSearch trains a 3-trial search on breast_cancer with the real
// trainer and checks what eval --search writes.
func TestEvalSearch(t *testing.T) {
	dir := t.TempDir()
	spacePath := filepath.Join(dir, "space.yaml")
	spaceYAML := []byte("method: random\ntrials: 3\nseed: 4\nmetric: val_accuracy\nparams:\n  optimizer.lr: {log_uniform: [1.0e-3, 1.0e-2]}\n  training.batch_size: {choice: [16, 32]}\n")
	if err := os.WriteFile(spacePath, spaceYAML, 0o644); err != nil {
		t.Fatal(err)
	}
	space, err := search.ParseSpace(spacePath)
	if err != nil {
		t.Fatal(err)
	}
	base := config.Default()
	base.Data.Source = "../../../data/testdata/breast_cancer.csv"
	base.Training.Epochs = 2
	base.Calibration.Bootstrap = 0
	opt := experiment.Options{}
	sdir := search.Dir(dir, "s")
	r := &search.Runner{Space: space, SpaceYAML: spaceYAML, Base: base, Dir: sdir, Shard: search.All,
		Train: func(ctx context.Context, cfg config.Experiment, runDir string) (*rundir.Summary, error) {
			return experiment.TrainAt(ctx, cfg, runDir, opt)
		},
		Resume: func(ctx context.Context, runDir string, epochs int) (*rundir.Summary, error) {
			return experiment.Resume(ctx, runDir, experiment.Epochs(epochs), opt)
		}}
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runEval("--search", sdir)
	if code != 0 {
		t.Fatalf("eval --search exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "3 trials (3 done, 0 failed, 0 unfinished); best: trial ") {
		t.Fatalf("stdout: %s", stdout)
	}
	csv, err := os.ReadFile(filepath.Join(sdir, search.CSVFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if len(lines) != 4 || lines[0] != "index,optimizer.lr,training.batch_size,epochs,val_accuracy,status,seconds,run_dir" {
		t.Fatalf("search.csv:\n%s", csv)
	}
	var best search.BestTrial
	b, err := os.ReadFile(filepath.Join(sdir, search.JSONFile))
	if err != nil || json.Unmarshal(b, &best) != nil {
		t.Fatalf("search.json: %v %s", err, b)
	}
	cfg, err := config.Load(filepath.Join(sdir, search.BestConfig))
	if err != nil {
		t.Fatalf("best.yaml does not load as a config: %v", err)
	}
	if cfg.Optimizer.LR != best.Params["optimizer.lr"].(float64) || cfg.Training.Seed != best.Seed || cfg.Training.Epochs != 2 || best.Value <= 0.5 {
		t.Fatalf("best.yaml has lr %v seed %d epochs %d; search.json says %+v", cfg.Optimizer.LR, cfg.Training.Seed, cfg.Training.Epochs, best)
	}
	for _, f := range []string{"report.html", "search_params.png", "search_parallel.png", "search_curves.png"} {
		if st, err := os.Stat(filepath.Join(sdir, f)); err != nil || st.Size() < 1000 {
			t.Errorf("%s: %v, want a file of its own", f, err)
		}
	}
	html, _ := os.ReadFile(filepath.Join(sdir, "report.html"))
	if !strings.Contains(string(html), "correlation ratio η²") || !strings.Contains(string(html), "training.batch_size") {
		t.Error("report.html does not state the importance method or name the parameters")
	}
}
