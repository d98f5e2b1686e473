package predictcmd

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/explain"
	"github.com/practica-ml/practica/inference"
	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/report"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/setup"
)

// defaultExplainTop is --explain-top's default.
const defaultExplainTop = 5

func explainFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "explain", Usage: "add Integrated Gradients attributions of the predicted class (from the training mean) to each line"},
		&cli.IntFlag{Name: "explain-top", Value: defaultExplainTop, Usage: "with --explain, tabular models: the K attributions largest in magnitude"},
		&cli.StringFlag{Name: "explain-dir", Usage: "with --explain, image models: write each example's attribution heatmap as a PNG into DIR"},
	}
}

// explainUsage checks the explanation flags before any work.
func explainUsage(c *cli.Context) error {
	switch {
	case !c.Bool("explain") && c.IsSet("explain-top"):
		return cliutil.Usagef(c, "--explain-top needs --explain")
	case !c.Bool("explain") && c.IsSet("explain-dir"):
		return cliutil.Usagef(c, "--explain-dir needs --explain")
	case c.Int("explain-top") < 1:
		return cliutil.Usagef(c, "--explain-top must be at least 1, got %d", c.Int("explain-top"))
	}
	return nil
}

// FeatureAttribution is one input's share of the predicted class's logit.
type FeatureAttribution struct {
	Feature string `json:"feature"`
	// Value is the input in raw units.
	Value       float32 `json:"value"`
	Attribution float32 `json:"attribution"`
}

// explainedLine is a prediction with its explanation: the attributions sum
// to attribution_sum, which approximates logit_delta, the predicted
// class's logit at the input minus at the baseline.
type explainedLine struct {
	inference.Prediction
	Attributions   []FeatureAttribution `json:"attributions,omitempty"`
	AttributionSum float64              `json:"attribution_sum"`
	LogitDelta     float64              `json:"logit_delta"`
	// Steps are the intervals of the path integral (more than 50 when 50
	// left the sum more than 1% from logit_delta).
	Steps int `json:"attribution_steps"`
	// Heatmap is the PNG written into --explain-dir.
	Heatmap string `json:"attribution_heatmap,omitempty"`
}

// explainPredictions attributes each prediction to its inputs.
func explainPredictions(c *cli.Context, p *inference.Predictor, dir *rundir.Dir, in inference.Input, preds []inference.Prediction) ([]explainedLine, error) {
	ck := p.Checkpoint
	outDir := c.String("explain-dir")
	if ck.Input.Kind == data.Tabular && outDir != "" {
		return nil, cliutil.Usagef(c, "--explain-dir is for image models; this model takes tabular rows, whose attributions are in the JSON lines")
	}
	if outDir != "" {
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			return nil, fmt.Errorf("--explain-dir %s: %w", outDir, err)
		}
	}
	xs, err := explain.Prepare(ck, in.X, func() ([]float32, error) {
		tr, err := inference.ReadSplit(dir, "train", setup.Env{DataDir: data.DataDirFromEnv(), AllowDataChange: true})
		if err != nil {
			return nil, fmt.Errorf("reading the run's training split: %w", err)
		}
		return explain.ColumnMean(tr.X, data.ShapeSize(ck.Input.Shape)), nil
	})
	if err != nil {
		return nil, err
	}
	ig, err := explain.NewIntegratedGradients(p.Model, explain.DefaultSteps)
	if err != nil {
		return nil, err
	}
	defer ig.Close()
	s := data.ShapeSize(ck.Input.Shape)
	lines := make([]explainedLine, len(preds))
	for k, pred := range preds {
		i := pred.Index
		a, err := ig.Explain(xs.Normalized[i*s:(i+1)*s], xs.Baseline)
		if err != nil {
			return nil, fmt.Errorf("explaining example %d: %w", i, err)
		}
		l := explainedLine{Prediction: pred, AttributionSum: a.Sum, LogitDelta: a.Delta, Steps: a.Steps}
		raw := xs.Raw[i*s : (i+1)*s]
		if xs.Names != nil {
			l.Attributions = topAttributions(xs.Names, raw, a.Values, c.Int("explain-top"))
		} else if outDir != "" {
			name := fmt.Sprintf("attribution-%06d.png", i)
			l.Heatmap = filepath.Join(outDir, name)
			if err := report.WriteAttributionPNG(l.Heatmap, raw, ck.Input.Shape, ck.Input.RawMax, a.Values); err != nil {
				return nil, err
			}
		}
		lines[k] = l
	}
	return lines, nil
}

// topAttributions are the k attributions largest in magnitude, largest
// first.
func topAttributions(names []string, raw, values []float32, k int) []FeatureAttribution {
	all := make([]FeatureAttribution, len(names))
	for j, n := range names {
		all[j] = FeatureAttribution{Feature: n, Value: raw[j], Attribution: values[j]}
	}
	slices.SortStableFunc(all, func(a, b FeatureAttribution) int {
		return cmp.Compare(math.Abs(float64(b.Attribution)), math.Abs(float64(a.Attribution)))
	})
	return all[:min(k, len(all))]
}
