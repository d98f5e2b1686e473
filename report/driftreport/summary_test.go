package driftreport

import (
	"reflect"
	"testing"

	"github.com/practica-ml/practica/drift"
)

// TestSummary: the plain words say the verdict first, as the exit status
// has it, how many features changed and the largest change with its
// medians, and what happened to the predictions.
func TestSummary(t *testing.T) {
	p := func(v float64) *float64 { return &v }
	same := drift.Predictions{Class: drift.Test{Test: "chisquare_two_sample", PValue: p(0.5)}, Confidence: drift.Test{Test: "ks", PValue: p(0.9)}}
	moved := drift.Predictions{Class: drift.Test{Test: "chisquare_two_sample", PValue: p(1e-6), Drift: true}, Confidence: drift.Test{Test: "ks", PValue: p(0.2)}}
	features := []drift.Feature{
		{Name: "a", Test: drift.Test{Test: "ks", PValue: p(0.3)}, PSI: 0.01, PSILevel: "none", ReferenceMedian: 1, NewMedian: 1.1},
		{Name: "mean radius", Test: drift.Test{Test: "ks", PValue: p(1e-9), Drift: true}, PSI: 2.5, PSILevel: "major", ReferenceMedian: 14.1, NewMedian: 17.3},
	}
	th := drift.ThresholdsJSON{PValue: 0.05, Distance: 0.1, Share: 0.5}
	cases := []struct {
		name string
		r    drift.Report
		want []string
	}{
		{"nothing moved", drift.Report{Data: "new.csv", Reference: "train split", NNew: 1200, NReference: 455, Features: features[:1], Predictions: same, Thresholds: th}, []string{
			"no drift: new.csv against the train split (1,200 new, 455 reference examples)",
			"0 of 1 features changed (0%; the dataset drifts at 50.0%)",
			"the predicted classes did not change (chisquare_two_sample p = 0.5) and the confidences did not change (ks p = 0.9)",
		}},
		{"the answers moved", drift.Report{Data: "new.csv", Reference: "train split", NNew: 10, NReference: 20, Share: 0.5, Features: features, Predictions: moved, Thresholds: th, Drift: true, Alarm: true}, []string{
			"DRIFT: new.csv against the train split (10 new, 20 reference examples)",
			"1 of 2 features changed (50.0%; the dataset drifts at 50.0%); the largest change is 'mean radius', whose typical value (median) moved from 14.1 to 17.3 (ks p = 1e-09, PSI 2.50, major)",
			"the predicted classes changed (chisquare_two_sample p = 1e-06) and the confidences did not change (ks p = 0.2)",
		}},
		{"an alarm without dataset drift", drift.Report{Data: "new.csv", Reference: "val split", NNew: 10, NReference: 20, Features: features[:1], Predictions: moved, Thresholds: th, Alarm: true}, []string{
			"DRIFT in the model's answers (not in enough features for a dataset drift): new.csv against the val split (10 new, 20 reference examples)",
			"0 of 1 features changed (0%; the dataset drifts at 50.0%)",
			"the predicted classes changed (chisquare_two_sample p = 1e-06) and the confidences did not change (ks p = 0.2)",
			"alarm (exit 3): the model's answers changed although the dataset verdict is no drift",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Summary(&c.r); !reflect.DeepEqual(got, c.want) {
				t.Errorf("Summary =\n%q\nwant\n%q", got, c.want)
			}
		})
	}
}
