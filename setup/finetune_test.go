package setup

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/internal/setting"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/rundir"
)

// smallCNN is a config that trains a small CNN on the digits.
func smallCNN() config.Experiment {
	cfg := config.Default()
	cfg.Model.Arch, cfg.Model.Channels, cfg.Model.Hidden = model.CNN, []int{4, 8}, []int{16}
	return cfg
}

// writeRun writes a run directory holding config.yaml and the given
// checkpoint as its best.ckpt, and returns the directory and the
// checkpoint's sha256.
func writeRun(t *testing.T, c *model.Checkpoint) (string, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, rundir.ConfigFile), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, filepath.FromSlash(rundir.BestCheckpoint))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := model.SaveCheckpoint(path, c); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return dir, hex.EncodeToString(sum[:])
}

// TestNewModelStartsFromInitFrom: a model of a run with training.init_from
// holds the checkpoint's tensors where name and shape match (here all but
// the output layer, trained on other classes), the rest drawn from the
// seed, and the record says what was loaded, from which file, with its
// sha256.
func TestNewModelStartsFromInitFrom(t *testing.T) {
	srcCfg := smallCNN()
	srcCfg.Data.Classes = []string{"0", "1", "2"}
	src, err := Prepare(srcCfg, Env{})
	if err != nil {
		t.Fatal(err)
	}
	sm, _, err := src.NewModel(model.Options{Seed: 77})
	if err != nil {
		t.Fatal(err)
	}
	ck := src.BaseCheckpoint()
	ck.Tensors = sm.Tensors()
	run, sum := writeRun(t, &ck)

	cfg := smallCNN()
	cfg.Data.Classes = []string{"5", "6", "7", "8"}
	cfg.Training.InitFrom, cfg.Training.Freeze = run, []string{"conv"}
	p, err := Prepare(cfg, Env{})
	if err != nil {
		t.Fatal(err)
	}
	fresh, _, err := p.NewModel(model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.LoadInitFrom(); err != nil {
		t.Fatal(err)
	}
	in := p.InitFrom
	if in.Run != run || in.Path != filepath.Join(run, "checkpoints", "best.ckpt") || in.SHA256 != sum || in.Source() != run {
		t.Fatalf("init-from %+v, want run %s, its best.ckpt, sha256 %s", in, run, sum)
	}
	m, _, err := p.NewModel(model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantLoaded := []string{"conv0.weight", "conv0.bias", "conv1.weight", "conv1.bias", "dense0.weight", "dense0.bias"}
	if !slices.Equal(in.Loaded, wantLoaded) || len(in.Skipped) != 2 || in.Skipped[0].String() != "out.weight [16 4]: the output layer of classes [0 1 2], not this run's [5 6 7 8]: initialized afresh" ||
		in.Skipped[1].String() != "out.bias [1 4]: the output layer of classes [0 1 2], not this run's [5 6 7 8]: initialized afresh" {
		t.Fatalf("loaded %q, skipped %v", in.Loaded, in.Skipped)
	}
	for i, prm := range m.Params() {
		want := fresh.Params()[i].Float32s()
		if slices.Contains(wantLoaded, prm.Name) {
			want = ck.Tensor(prm.Name).Data
		}
		if !slices.Equal(prm.Float32s(), want) {
			t.Errorf("%s does not hold what it should", prm.Name)
		}
	}
	if got := FrozenNames(m, cfg.Training.Freeze); !slices.Equal(got, []string{"conv0.weight", "conv0.bias", "conv1.weight", "conv1.bias"}) {
		t.Errorf("frozen %q", got)
	}
	if slices.ContainsFunc(m.Params(), func(p *model.Param) bool { return p.Frozen }) {
		t.Error("FrozenNames left parameters frozen")
	}
	if l := p.NewLoop(m, nil, nil); !slices.Equal(l.Freeze, []string{"conv"}) || l.UnfreezeAt != 0 {
		t.Errorf("the loop freezes %q until %d", l.Freeze, l.UnfreezeAt)
	}
	// A checkpoint file works as well as a run directory.
	cfg.Training.InitFrom = in.Path
	if p, err = Prepare(cfg, Env{}); err != nil {
		t.Fatal(err)
	}
	if err := p.LoadInitFrom(); err != nil || p.InitFrom.Run != "" || p.InitFrom.Source() != in.Path || p.InitFrom.SHA256 != sum {
		t.Fatalf("from the file: %v, %+v", err, p.InitFrom)
	}
}

// TestInitFromErrors: every way training.init_from or training.freeze can
// be wrong is an error naming the key and the file (or the model's
// layers), before any model is trained.
func TestInitFromErrors(t *testing.T) {
	imgCfg := smallCNN()
	img, err := Prepare(imgCfg, Env{})
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := img.NewModel(model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ck := img.BaseCheckpoint()
	ck.Tensors = m.Tensors()
	goodRun, _ := writeRun(t, &ck)

	tab := config.Default()
	tab.Data.Source, tab.Model.Arch = "../data/testdata/iris.csv", model.MLP
	tp, err := Prepare(tab, Env{})
	if err != nil {
		t.Fatal(err)
	}
	tm, _, err := tp.NewModel(model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tck := tp.BaseCheckpoint()
	tck.Tensors = tm.Tensors()
	tabularRun, _ := writeRun(t, &tck)

	// An MLP of other sizes on two of the digits shares no parameter's
	// shape with the small CNN: nothing loads.
	noMatch := smallCNN()
	noMatch.Model.Arch, noMatch.Model.Hidden, noMatch.Data.Classes = model.MLP, []int{7}, []string{"0", "1"}

	empty := t.TempDir()
	noBest := t.TempDir()
	os.WriteFile(filepath.Join(noBest, rundir.ConfigFile), []byte("{}\n"), 0o644)
	corrupt := filepath.Join(t.TempDir(), "x.ckpt")
	good, err := os.ReadFile(filepath.Join(goodRun, filepath.FromSlash(rundir.BestCheckpoint)))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(corrupt, good[:len(good)-10], 0o644) // truncated
	cases := []struct {
		name    string
		cfg     config.Experiment
		from    string
		freeze  []string
		key     string
		message string
	}{
		{"missing", smallCNN(), filepath.Join(empty, "nope"), nil, "training.init_from", "no such file or directory"},
		{"not a run", smallCNN(), empty, nil, "training.init_from", empty + " is not a run directory (no config.yaml)"},
		{"no best.ckpt", smallCNN(), noBest, nil, "training.init_from", noBest + " has no checkpoints/best.ckpt: the run finished no epoch"},
		{"corrupt", smallCNN(), corrupt, nil, "training.init_from", corrupt + ": checksum mismatch"},
		{"other input", smallCNN(), tabularRun, nil, "training.init_from", "checkpoints/best.ckpt was trained on tabular data, and this run's digits are image"},
		{"nothing matches", noMatch, goodRun, nil, "training.init_from", "checkpoints/best.ckpt holds no parameter of this model with its name and shape (dense0.weight: model [64 7], checkpoint [32 16]"},
		{"freeze prefix", smallCNN(), goodRun, []string{"conv", "dense1"}, "training.freeze",
			`prefix "dense1" matches no parameter of the model; its parameter names start with conv0, conv1, dense0, out (a prefix may name several layers, as conv, or one tensor, as conv0.weight)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			cfg.Training.InitFrom, cfg.Training.Freeze = c.from, c.freeze
			p, err := Prepare(cfg, Env{})
			if err != nil {
				t.Fatal(err)
			}
			err = p.LoadInitFrom()
			if err == nil {
				_, _, err = p.NewModel(model.Options{})
			}
			var se *setting.Error
			if err == nil || !errors.As(err, &se) || se.Key != c.key || !strings.Contains(err.Error(), c.message) {
				t.Fatalf("error %v, want one of %s containing %q", err, c.key, c.message)
			}
		})
	}
}
