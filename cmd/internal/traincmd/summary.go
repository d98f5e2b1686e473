package traincmd

import (
	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/setup"
)

// summaryAction prints the model's table of layers (output shapes,
// parameters, FLOPs per example) for the data source's input shape and
// classes, and exits without training, as Keras's summary() does. The
// data are opened to learn the shape; nothing is written.
func summaryAction(c *cli.Context, out *output) error {
	cfg, err := buildConfig(c)
	if err != nil {
		return err
	}
	sp, err := setup.OpenSplits(cfg, setup.Env{DataDir: data.DataDirFromEnv()})
	if err != nil {
		return err
	}
	shape, classes := sp.Train.Shape, len(sp.Train.Classes)
	s, err := model.Summarize(cfg.Model.WithDefaults(shape), shape, classes)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return out.json(s)
	}
	return s.WriteText(out.stdout)
}
