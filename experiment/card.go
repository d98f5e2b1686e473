package experiment

import (
	"errors"
	"io/fs"
	"os"

	"github.com/practica-ml/practica/modelrepo"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/setup"
	"github.com/practica-ml/practica/train"
)

// writeCard writes the run's model card, model.json, once best.ckpt, the
// test split's score and the calibration are final and meta.json has its
// end time, the card's creation time: it pins best.ckpt's bytes and
// records the training split's hash, which only the end of training, with
// the prepared splits in memory, can compute. A run whose end did not
// finish (no epoch, or interrupted) gets none. sum is the summary about
// to be written.
func writeCard(dir *runDir, p *setup.Prepared, res train.Result, sum *rundir.Summary) error {
	if res.Best < 0 || sum.StopReason == train.StopInterrupted {
		return nil
	}
	path := dir.Join(rundir.BestCheckpoint)
	ckpt, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	cfg, err := os.ReadFile(dir.Join(rundir.ConfigFile))
	if err != nil {
		return err
	}
	c, err := modelrepo.NewCard(modelrepo.Source{RunDir: dir.Path, Meta: &dir.meta, Summary: sum, ConfigYAML: cfg, CheckpointPath: path, Checkpoint: ckpt})
	if err != nil {
		return err
	}
	if c.Data == nil {
		// A run started before meta.json recorded its data, resumed: its
		// resumption recorded the fingerprint.
		c.Data = &modelrepo.Data{Data: rundir.Data{Source: p.Data.Source, Labels: p.Data.Labels, Labeled: p.Data.Labeled, Unlabeled: p.Data.Unlabeled, Fingerprint: dir.meta.DataFingerprint()}}
	}
	c.Data.TrainSplitSHA256 = p.TrainSHA256
	return modelrepo.WriteCard(dir.Path, c)
}

// removeCard removes the card an earlier end of the run wrote, before a
// resumed run trains: its best.ckpt may change, and a card never
// describes other bytes than the run's best.ckpt. The end writes it anew.
func removeCard(dir *runDir) error {
	if err := os.Remove(dir.Join(modelrepo.CardFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
