package drift

import "fmt"

// TestPredictions compares the predicted classes (the two-sample
// chi-squared test: both sides are samples of the model's answers) and the
// confidences, each example's largest probability (Kolmogorov-Smirnov),
// of new against reference examples. classes name the model's classes.
func TestPredictions(classes []string, refPred, curPred []int, refConf, curConf []float64, t Thresholds) (Predictions, error) {
	if len(refPred) == 0 || len(curPred) == 0 || len(refPred) != len(refConf) || len(curPred) != len(curConf) {
		return Predictions{}, fmt.Errorf("predictions: %d reference and %d new classes with %d and %d confidences", len(refPred), len(curPred), len(refConf), len(curConf))
	}
	s, p := ChiSquaredTwoSample(floats(refPred), floats(curPred))
	out := Predictions{Class: pTest("chisquare_two_sample", s, p, t.PValue), Classes: classes,
		ReferenceClassShares: classShares(refPred, len(classes)), NewClassShares: classShares(curPred, len(classes))}
	d, pc := KS(refConf, curConf)
	out.Confidence = pTest("ks", d, pc, t.PValue)
	return out, nil
}

func floats(x []int) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

func classShares(pred []int, k int) []float64 {
	out := make([]float64, k)
	for _, c := range pred {
		if c >= 0 && c < k {
			out[c] += 1 / float64(len(pred))
		}
	}
	return out
}
