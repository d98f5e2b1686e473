package evaluation

import (
	"github.com/practica-ml/practica/calibration"
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

// Metrics is metrics.json. Every number in it can be recomputed from
// predictions.csv (the calibrated figures with the temperature): the
// probabilities there are softmax(logits), written exactly.
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
	// Temperature is T; TemperatureSource says where it came from.
	Temperature       float64     `json:"temperature"`
	TemperatureSource string      `json:"temperature_source"`
	Calibration       Calibration `json:"calibration"`
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
