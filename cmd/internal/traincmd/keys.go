package traincmd

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/internal/setting"
)

// flagOfKey maps the settings the libraries name in their errors (config
// keys, and the options of the feasibility tests and the LR sweep) to the
// flags of this command.
var flagOfKey = map[string]string{
	"data.source": "data", "data.label_column": "label-column", "data.labels": "labels",
	"data.classes": "classes", "data.delimiter": "delimiter", "data.ignore_columns": "ignore-columns", "data.missing": "missing", "data.missing_indicator": "missing-indicator",
	"data.val": "val", "data.test": "test", "data.image_size": "image-size",
	"data.augment.shift": "augment-shift", "data.augment.flip": "augment-flip", "data.augment.noise": "augment-noise",
	"model.arch": "model", "model.hidden": "hidden", "model.channels": "channels", "model.dropout": "dropout", "model.batch_norm": "batch-norm",
	"optimizer.name": "optimizer", "optimizer.lr": "lr", "optimizer.weight_decay": "weight-decay", "optimizer.momentum": "momentum",
	"training.epochs": "epochs", "training.batch_size": "batch-size", "training.seed": "seed", "training.monitor": "monitor",
	"training.label_smoothing": "label-smoothing", "training.class_weights": "class-weights",
	"training.early_stopping.enabled": "early-stopping", "training.early_stopping.patience": "patience",
	"training.early_stopping.min_delta": "min-delta", "training.early_stopping.baseline": "baseline",
	"training.early_stopping.divergence_threshold": "divergence-threshold",
	"training.schedule.name":                       "schedule", "training.schedule.warmup_epochs": "warmup-epochs", "training.schedule.min_lr": "min-lr",
	"training.init_from": "init-from", "training.freeze": "freeze", "training.unfreeze_at": "unfreeze-at",
	"calibration.calibrate": "no-calibrate", "calibration.bootstrap": "bootstrap",
	"output.root": "out", "output.name": "name",
	"overfit_batch": "overfit-batch", "overfit_steps": "overfit-steps",
	"lr_min": "lr-min", "lr_max": "lr-max", "lr_steps": "lr-steps", "seeds": "lr-sweep-seeds",
	"recommended_by": "lr-suggestion", "grid": "grid", "grid_epochs": "sweep-epochs", "grid_max_extend": "grid-max-extend",
	"allow_data_change": "allow-data-change",
}

// withFlags names this command's flags in the setting errors of err.
func withFlags(c *cli.Context, err error) error {
	return cliutil.FlagErrors(err, flagOfKey, c.IsSet)
}

// freezeUsage makes a usage error of a --freeze that names no parameter of
// the model (or is empty), which only the model built from the data can
// tell: the command line asked for a layer the model does not have. From
// a config file it stays an error naming training.freeze.
func freezeUsage(c *cli.Context, err error) error {
	if err == nil || !c.IsSet("freeze") {
		return err
	}
	var se *setting.Error
	if errors.As(err, &se) && se.Key == "training.freeze" {
		return cliutil.Usagef(c, "--freeze: %s", se.Msg)
	}
	return err
}
