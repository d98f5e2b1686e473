package evaluation

import (
	"github.com/practica-ml/practica/calibration"
	"github.com/practica-ml/practica/explain"
	"github.com/practica-ml/practica/metrics"
	"github.com/practica-ml/practica/rundir"
)

// Files an evaluation writes, by default into the run's rundir.EvalDir
// (and report.HTMLFile).
const (
	MetricsFile     = "metrics.json"
	PredictionsFile = "predictions.csv"
)

// The figures of an evaluation; the training curves and the reliability
// diagram have the names of the run directory's own.
const (
	curvesPlot      = rundir.CurvesPlot
	confusionPlot   = "confusion.png"
	f1Plot          = "f1.png"
	rocPlot         = "roc.png"
	prPlot          = "pr.png"
	reliabilityPlot = rundir.ReliabilityPlot
	topLossesPlot   = "top_losses.png"
)

// Metrics is metrics.json. Every top-level number is of the probabilities
// predict serves: softmax(logits/T) with the checkpoint's temperature T (T
// = 1 when it has none). Every number in it can be recomputed from
// predictions.csv, which holds those probabilities exactly, and the
// temperatures (for the other side of a calibration).
type Metrics struct {
	RunDir     string `json:"run_dir"`
	Checkpoint string `json:"checkpoint"`
	// Data is the source evaluated on and Split the part of it.
	Data    string   `json:"data"`
	Split   string   `json:"split"`
	Classes []string `json:"classes"`
	N       int      `json:"n"`
	Correct int      `json:"correct"`
	// Accuracy is Correct/N and AccuracyCI95 its 95% Wilson interval.
	Accuracy     float64                `json:"accuracy"`
	AccuracyCI95 [2]float64             `json:"accuracy_ci95"`
	PerClass     []metrics.ClassMetrics `json:"per_class"`
	MacroAvg     metrics.Average        `json:"macro_avg"`
	WeightedAvg  metrics.Average        `json:"weighted_avg"`
	// Probabilities says which probabilities predictions.csv holds (and
	// NLL and Brier score): those predict serves.
	Probabilities string  `json:"probabilities"`
	NLL           float64 `json:"nll"`
	Brier         float64 `json:"brier"`
	// ECE and MCE before (softmax(logits)) and after (softmax(logits/T))
	// calibration by temperature scaling.
	ECEBefore float64 `json:"ece_before"`
	ECEAfter  float64 `json:"ece_after"`
	MCEBefore float64 `json:"mce_before"`
	MCEAfter  float64 `json:"mce_after"`
	// Temperature is the checkpoint's T, the one predict applies (1 when
	// it has none); TemperatureSource says where it came from.
	Temperature       float64     `json:"temperature"`
	TemperatureSource string      `json:"temperature_source"`
	Calibration       Calibration `json:"calibration"`
	// WhatIfCalibrated is present only when the checkpoint has no
	// temperature: every number above is then at T = 1, as predict serves
	// them, and this block alone holds what a temperature fitted by eval
	// would change.
	WhatIfCalibrated *WhatIfCalibrated `json:"what_if_calibrated,omitempty"`
	// ConfusionMatrix[actual][predicted] counts examples.
	ConfusionMatrix [][]int `json:"confusion_matrix"`
	// Two-class tasks only: the positive class is the second class;
	// Threshold is the probability of it above which the model predicts
	// it (argmax of two probabilities: 0.5).
	PositiveClass string   `json:"positive_class,omitempty"`
	ROCAUC        *float64 `json:"roc_auc,omitempty"`
	PRAUC         *float64 `json:"pr_auc,omitempty"`
	Threshold     *float64 `json:"threshold,omitempty"`
	// MostConfused are the most frequent errors; WorstClasses the classes
	// with the lowest F1.
	MostConfused []metrics.Pair `json:"most_confused"`
	WorstClasses []string       `json:"worst_classes"`
	// PermutationImportance (tabular models) is each feature's drop in
	// accuracy and rise in NLL when its column is shuffled, over
	// PermutationRepeats seeded shuffles, largest drop first.
	PermutationImportance []explain.FeatureImportance `json:"permutation_importance,omitempty"`
	PermutationRepeats    int                         `json:"permutation_repeats,omitempty"`
}

// Calibration is metrics.json's "calibration": the scored split's
// calibration metrics before temperature scaling (softmax(logits)) and
// after (softmax(logits/T)), in the schema of the run's calibration.json
// (package calibration's Split of two Reports), under the settings that
// calibration.json records with the same keys: the number of equal-width
// bins, their description, and the bootstrap resamples of the ECE
// intervals with their seed.
type Calibration struct {
	Bins          int    `json:"bins"`
	Binning       string `json:"binning"`
	Bootstrap     int    `json:"bootstrap_resamples"`
	BootstrapSeed uint64 `json:"bootstrap_seed"`
	calibration.Split
}

// WhatIfCalibrated is metrics.json's "what_if_calibrated", written only
// for a checkpoint without a temperature, which predict serves
// uncalibrated: what temperature scaling would change, with T fitted by
// eval on the run's validation split. None of it is what predict serves,
// which Served (always false) and Note say in the file itself, so that no
// reader takes it for the model's numbers.
type WhatIfCalibrated struct {
	Served bool `json:"served"`
	// Note says why the checkpoint is served uncalibrated and how to
	// calibrate it.
	Note string `json:"note"`
	// Temperature is the T fitted (absent when none could be, and
	// TemperatureSource says why), FittedOn and FittedN the split and its
	// size.
	Temperature       float64 `json:"temperature,omitempty"`
	TemperatureSource string  `json:"temperature_source"`
	FittedOn          string  `json:"fitted_on,omitempty"`
	FittedN           int     `json:"fitted_n,omitempty"`
	// Calibration is the scored split before (T = 1: the served numbers)
	// and after the fitted T, in the schema of the top-level calibration;
	// absent without a temperature.
	Calibration *Calibration `json:"calibration,omitempty"`
}
