package driftreport

import (
	"fmt"

	"github.com/practica-ml/practica/drift"
	"github.com/practica-ml/practica/report"
)

// Summary says in plain words what drifted: a few lines, the verdict
// first, as eval prints them and report.html shows them.
func Summary(r *drift.Report) []string {
	var out []string
	verdict := "no drift"
	switch {
	case r.Drift:
		verdict = "DRIFT"
	case r.Alarm:
		// The first line is what a glance takes in: it must not say
		// "no drift" of a run that exits 3.
		verdict = "DRIFT in the model's answers (not in enough features for a dataset drift)"
	}
	out = append(out, fmt.Sprintf("%s: %s against the %s (%s new, %s reference examples)", verdict, r.Data, r.Reference, report.Commas(r.NNew), report.Commas(r.NReference)))
	if len(r.Features) > 0 {
		n := 0
		for _, f := range r.Features {
			if f.Drift {
				n++
			}
		}
		line := fmt.Sprintf("%d of %d features changed (%s; the dataset drifts at %s)", n, len(r.Features), report.Pct(r.Share), report.Pct(r.Thresholds.Share))
		if n > 0 {
			f := r.Features[drift.MostDrifted(r.Features, 1)[0]]
			line += fmt.Sprintf("; the largest change is '%s', whose typical value (median) moved from %.4g to %.4g (%s, PSI %.2f, %s)",
				f.Name, f.ReferenceMedian, f.NewMedian, testWords(f.Test), f.PSI, f.PSILevel)
		}
		out = append(out, line)
	}
	if e := r.Embedding; e != nil {
		what := "do not differ"
		if e.Drift {
			what = "differ"
		}
		out = append(out, fmt.Sprintf("in what the model sees (its %s, %d values), new and reference images %s: MMD² %.3g, p = %.3g over %d permutations, %s vs %s images",
			e.Space, e.Dim, what, e.Statistic, *e.PValue, e.Permutations, report.Commas(e.NNew), report.Commas(e.NReference)))
		if b, c := r.Brightness, r.Contrast; b != nil && c != nil && len(b.Reference) > 0 {
			out = append(out, fmt.Sprintf("brightness (mean pixel) %.4g → %.4g, contrast (pixel std) %.4g → %.4g%s",
				b.Reference[0], b.New[0], c.Reference[0], c.New[0], map[bool]string{true: " (first channel)", false: ""}[len(b.Reference) > 1]))
		}
	}
	pr := r.Predictions
	out = append(out, fmt.Sprintf("the predicted classes %s (%s) and the confidences %s (%s)",
		changed(pr.Class.Drift), testWords(pr.Class), changed(pr.Confidence.Drift), testWords(pr.Confidence)))
	if r.Alarm && !r.Drift {
		out = append(out, "alarm (exit 3): the model's answers changed although the dataset verdict is no drift")
	}
	return append(out, r.Notes...)
}

func changed(d bool) string {
	if d {
		return "changed"
	}
	return "did not change"
}

// testWords names a test and its number.
func testWords(t drift.Test) string {
	if t.PValue != nil {
		return fmt.Sprintf("%s p = %.3g", t.Test, *t.PValue)
	}
	return fmt.Sprintf("%s %.3g", t.Test, t.Statistic)
}
