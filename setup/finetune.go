package setup

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/internal/setting"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/rundir"
)

// maxInitFromBytes bounds the checkpoint training.init_from may read, as
// model.LoadCheckpoint bounds any checkpoint.
const maxInitFromBytes = 16 << 30

// InitFrom is the checkpoint a fine-tuned run's weights start from
// (training.init_from), and what NewModel loaded of it.
type InitFrom struct {
	// Run is the run directory training.init_from names, absolute; ""
	// when it names a checkpoint file.
	Run string
	// Path is the checkpoint read: Run's checkpoints/best.ckpt, or the
	// file training.init_from names.
	Path string
	// SHA256 is the hex SHA-256 of the checkpoint file's bytes, as
	// sha256sum prints it.
	SHA256     string
	Checkpoint *model.Checkpoint
	// Loaded and Skipped are what model.Model.InitFrom loaded into the
	// models NewModel built (the same for every one of them): nil before
	// the first.
	Loaded  []string
	Skipped []model.Mismatch
}

// Source is what the run was initialized from, for messages: the run
// directory, or the checkpoint file.
func (in *InitFrom) Source() string {
	if in.Run != "" {
		return in.Run
	}
	return in.Path
}

// LoadInitFrom reads the checkpoint that training.init_from names (a run
// directory's checkpoints/best.ckpt, or a checkpoint file) into
// p.InitFrom, so that NewModel starts every model it builds from it; with
// no training.init_from it does nothing. A resumed run never calls it: its
// weights come from its own last.ckpt. A path that is not there, a
// directory that is no run, a file that is no checkpoint or is corrupt,
// and a checkpoint trained on another kind of input (images against
// tabular data) are errors naming the file.
func (p *Prepared) LoadInitFrom() error {
	p.InitFrom = nil
	path := p.Config.Training.InitFrom
	if path == "" {
		return nil
	}
	fail := func(format string, args ...any) error {
		return setting.Errorf("training.init_from", format, args...)
	}
	st, err := os.Stat(path)
	if err != nil {
		return fail("%v", err)
	}
	in := &InitFrom{Path: path}
	if st.IsDir() {
		dir, err := rundir.Open(path)
		if err != nil {
			return fail("%v", err)
		}
		in.Run, in.Path = dir.Path, dir.Join(rundir.BestCheckpoint)
		if st, err = os.Stat(in.Path); errors.Is(err, fs.ErrNotExist) {
			return fail("%s has no %s: the run finished no epoch", in.Run, rundir.BestCheckpoint)
		} else if err != nil {
			return fail("%v", err)
		}
	}
	if st.Size() > maxInitFromBytes {
		return fail("%s: %d bytes is too large for a checkpoint", in.Path, st.Size())
	}
	b, err := os.ReadFile(in.Path)
	if err != nil {
		return fail("%v", err)
	}
	c, err := model.UnmarshalCheckpoint(b)
	if err != nil {
		return fail("%s: %v", in.Path, err)
	}
	if c.Input.Kind != p.Schema.Kind {
		return fail("%s was trained on %s data, and this run's %s are %s: its weights cannot start this model", in.Path, kindName(c.Input.Kind), p.Config.Data.Source, kindName(p.Schema.Kind))
	}
	sum := sha256.Sum256(b)
	in.SHA256, in.Checkpoint = hex.EncodeToString(sum[:]), c
	p.InitFrom = in
	return nil
}

func kindName(k data.Kind) string {
	if k == "" {
		return "unknown"
	}
	return string(k)
}

// initModel starts m from p.InitFrom, when there is one, checks
// training.freeze against m's parameters and records what it freezes.
func (p *Prepared) initModel(m *model.Model) error {
	if in := p.InitFrom; in != nil {
		c, headSkipped := withoutOtherHead(in.Checkpoint, p.Classes, m)
		loaded, skipped, err := m.InitFrom(c)
		skipped = slices.DeleteFunc(skipped, func(s model.Mismatch) bool {
			return slices.ContainsFunc(headSkipped, func(h model.Mismatch) bool { return h.Name == s.Name })
		})
		skipped = append(skipped, headSkipped...)
		if err != nil {
			return setting.Errorf("training.init_from", "%s: %v", in.Path, err)
		}
		if len(loaded) == 0 {
			var why []string
			for _, s := range skipped {
				why = append(why, s.String())
			}
			return setting.Errorf("training.init_from", "%s holds no parameter of this model with its name and shape (%s)", in.Path, strings.Join(why, "; "))
		}
		in.Loaded, in.Skipped = loaded, skipped
	}
	if err := CheckFreeze(m, p.Config.Training.Freeze); err != nil {
		return err
	}
	p.Frozen = FrozenNames(m, p.Config.Training.Freeze)
	return nil
}

// withoutOtherHead returns c without its output layer when c's classes
// are not this run's: its rows score other classes, which a model started
// from them must first unlearn. The output layer then keeps its own
// initialization, as a new classifier head does when fine-tuning anywhere.
func withoutOtherHead(c *model.Checkpoint, classes []string, m *model.Model) (*model.Checkpoint, []model.Mismatch) {
	if slices.Equal(c.Classes, classes) {
		return c, nil
	}
	out := *c
	out.Tensors = nil
	var skipped []model.Mismatch
	for _, t := range c.Tensors {
		if strings.HasPrefix(t.Name, "out.") {
			continue
		}
		out.Tensors = append(out.Tensors, t)
	}
	for _, prm := range m.Params() {
		if !strings.HasPrefix(prm.Name, "out.") {
			continue
		}
		s := model.Mismatch{Name: prm.Name, Shape: slices.Clone(prm.Shape),
			Reason: fmt.Sprintf("the output layer of classes %v, not this run's %v: initialized afresh", c.Classes, classes)}
		for _, t := range c.Tensors {
			if t.Name == prm.Name {
				s.CheckpointShape = slices.Clone(t.Shape)
			}
		}
		skipped = append(skipped, s)
	}
	return &out, skipped
}

// CheckFreeze reports a prefix of training.freeze that names no parameter
// of m, listing m's layers (the prefixes of its parameter names).
func CheckFreeze(m *model.Model, prefixes []string) error {
	for _, pre := range prefixes {
		if !slices.ContainsFunc(m.Params(), func(p *model.Param) bool { return strings.HasPrefix(p.Name, pre) }) {
			return setting.Errorf("training.freeze", "prefix %q matches no parameter of the model; its parameter names start with %s (a prefix may name several layers, as conv, or one tensor, as conv0.weight)",
				pre, strings.Join(m.LayerNames(), ", "))
		}
	}
	return nil
}

// FrozenNames are the parameters of m that training.freeze keeps fixed
// (model.Model.Freeze: the prefixes' matches, and the running statistics
// of a batch-norm layer whose scale they freeze), in the model's order;
// m's own frozen parameters are left as they were.
func FrozenNames(m *model.Model, prefixes []string) []string {
	if len(prefixes) == 0 {
		return nil
	}
	was := map[*model.Param]bool{}
	for _, p := range m.Params() {
		was[p] = p.Frozen
	}
	m.Freeze(prefixes)
	var names []string
	for _, p := range m.Params() {
		if p.Frozen {
			names = append(names, p.Name)
		}
		p.Frozen = was[p]
	}
	return names
}
