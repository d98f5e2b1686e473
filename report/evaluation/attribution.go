package evaluation

import (
	"fmt"
	"image"
	"math"

	"gonum.org/v1/plot/vg"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/explain"
	"github.com/practica-ml/practica/inference"
	"github.com/practica-ml/practica/report"
	"github.com/practica-ml/practica/setup"
)

const (
	// topAttributionsPlot shows the top-loss examples with the Integrated
	// Gradients of the class the model said, over each image.
	topAttributionsPlot = "top_losses_attributions.png"
	// classAttributionsPlot shows, per predicted class, the mean
	// |attribution| over the class's mean image.
	classAttributionsPlot = "class_attributions.png"
	// attributionsShown is how many top-loss examples are explained.
	attributionsShown = 8
	// DefaultAttributionExamples is how many examples of the split the
	// class maps average over (eval --attribution-examples).
	DefaultAttributionExamples = 200
)

// attributions are an image run's Integrated Gradients for the report.
type attributions struct {
	// top are the top-loss examples explained, and topValues their
	// attributions of the predicted class.
	top       []int
	topValues [][]float32
	// classAbs is each predicted class's mean |attribution| per input
	// value, classImage its mean raw image and classCount how many of the
	// averaged examples the model gave that class.
	classAbs, classImage [][]float64
	classCount           []int
}

// AddAttributions explains an image run's predictions with Integrated
// Gradients (explain.IntegratedGradients, from the training mean): the
// attributionsShown top-loss examples, and the mean |attribution| of
// each predicted class over up to examples examples of the split, spread
// evenly across it. A tabular run is left as it is (its permutation
// importance says more), and so is examples 0.
func (e *Result) AddAttributions(examples int) error {
	if e.kind != data.Image || len(e.shape) != 3 || examples <= 0 || len(e.Y) == 0 {
		return nil
	}
	p, err := inference.Load(e.opt.Checkpoint)
	if err != nil {
		return err
	}
	s := data.ShapeSize(e.shape)
	xs, err := explain.Prepare(e.checkpoint, e.X, func() ([]float32, error) {
		tr, err := inference.ReadSplit(e.Run.Dir, "train", setup.Env{DataDir: e.opt.Env.DataDir, AllowDataChange: true})
		if err != nil {
			return nil, fmt.Errorf("reading the run's training split for the baseline: %w", err)
		}
		return explain.ColumnMean(tr.X, s), nil
	})
	if err != nil {
		return err
	}
	ig, err := explain.NewIntegratedGradients(p.Model, 0)
	if err != nil {
		return err
	}
	defer ig.Close()
	explainOne := func(i int) ([]float32, int, error) {
		a, err := ig.Explain(xs.Normalized[i*s:(i+1)*s], xs.Baseline)
		if err != nil {
			return nil, 0, fmt.Errorf("explaining example %d: %w", i, err)
		}
		return a.Values, a.Class, nil
	}
	at := &attributions{}
	at.top, _ = e.topLosses(attributionsShown)
	for _, i := range at.top {
		v, _, err := explainOne(i)
		if err != nil {
			return err
		}
		at.topValues = append(at.topValues, v)
	}
	c := len(e.Metrics.Classes)
	at.classAbs, at.classImage, at.classCount = make([][]float64, c), make([][]float64, c), make([]int, c)
	n := len(e.Y)
	k := min(examples, n)
	for j := range k {
		i := j * n / k
		v, class, err := explainOne(i)
		if err != nil {
			return err
		}
		if at.classAbs[class] == nil {
			at.classAbs[class], at.classImage[class] = make([]float64, s), make([]float64, s)
		}
		for q := range s {
			at.classAbs[class][q] += math.Abs(float64(v[q]))
			at.classImage[class][q] += float64(e.X[i*s+q])
		}
		at.classCount[class]++
	}
	e.attributions = at
	return nil
}

// attributionPNGs draws the top-loss examples with their attributions
// and the class maps.
func (e *Result) attributionPNGs(path func(string) string) error {
	at := e.attributions
	if at == nil {
		return nil
	}
	classes, rawMax := e.Metrics.Classes, e.checkpoint.Input.RawMax
	s := data.ShapeSize(e.shape)
	c := len(classes)
	var imgs []image.Image
	var caps []string
	for k, i := range at.top {
		imgs = append(imgs, report.AttributionImage(e.X[i*s:(i+1)*s], e.shape, rawMax, at.topValues[k]))
		caps = append(caps, fmt.Sprintf("#%d: is %s\nsaid %s (%.0f%%)", i, report.Shorten(classes[e.Y[i]], 10), report.Shorten(classes[e.Predicted[i]], 10), 100*e.probs[i*c+e.Predicted[i]]))
	}
	if len(imgs) > 0 {
		if err := report.PicturesGridPNG(path(topAttributionsPlot), imgs, caps, 4, 1.9*vg.Inch); err != nil {
			return err
		}
	}
	imgs, caps = nil, nil
	for class, count := range at.classCount {
		if count == 0 {
			continue
		}
		mean, img := make([]float32, s), make([]float32, s)
		for q := range s {
			mean[q] = float32(at.classAbs[class][q] / float64(count))
			img[q] = float32(at.classImage[class][q] / float64(count))
		}
		imgs = append(imgs, report.AttributionImage(img, e.shape, rawMax, mean))
		caps = append(caps, fmt.Sprintf("said %s\n(%s)", report.Shorten(classes[class], 12), report.Plural(count, "example", "examples")))
	}
	if len(imgs) == 0 {
		return nil
	}
	return report.PicturesGridPNG(path(classAttributionsPlot), imgs, caps, min(5, len(imgs)), 1.6*vg.Inch)
}
