package report

import "fmt"

type compareView struct {
	C         *Comparison
	Generated string
	Summary   []string
	Commands  [][2]string
	Command   string
}

// HTML renders the comparison's report.html; the figures must be in dir.
func (cmp *Comparison) HTML(dir string) ([]byte, error) {
	v := &compareView{C: cmp, Generated: now(), Command: shellJoin(cmp.args)}
	best := -1
	for i, r := range cmp.Runs {
		if r.Error == "" && (best < 0 || r.Accuracy > cmp.Runs[best].Accuracy) {
			best = i
		}
	}
	if best >= 0 {
		r := cmp.Runs[best]
		v.Summary = append(v.Summary, fmt.Sprintf("Run %d (%s) has the highest %s accuracy: %s of %s right (%s, 95%% interval %s – %s).",
			best+1, r.Name, cmp.Split, commas(r.Correct), commas(r.N), pct(r.Accuracy), pct(r.AccuracyCI95[0]), pct(r.AccuracyCI95[1])))
	}
	for _, p := range cmp.McNemar {
		v.Summary = append(v.Summary, fmt.Sprintf("%s vs %s: %s.", p.A, p.B, p.Verdict))
	}
	v.Summary = append(v.Summary, cmp.NotComparable...)
	for i, info := range cmp.runs {
		v.Commands = append(v.Commands, [2]string{fmt.Sprintf("%d. %s", i+1, cmp.Runs[i].Name), info.Command})
	}
	return render(dir, "compare.html", v)
}
