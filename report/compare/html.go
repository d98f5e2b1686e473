package compare

import (
	"embed"
	"fmt"

	"github.com/practica-ml/practica/report"
)

// page is the template of report.html.
//
//go:embed compare.html
var page embed.FS

type compareView struct {
	C         *Comparison
	Generated string
	Summary   []string
	Commands  [][2]string
	Command   string
}

// html renders the comparison's report.html; the figures must be in dir.
func (cmp *Comparison) html(dir string) ([]byte, error) {
	v := &compareView{C: cmp, Generated: report.Timestamp(), Command: report.ShellJoin(cmp.args)}
	best := -1
	for i, r := range cmp.Runs {
		if r.Error == "" && (best < 0 || r.Accuracy > cmp.Runs[best].Accuracy) {
			best = i
		}
	}
	if best >= 0 {
		r := cmp.Runs[best]
		tie := ""
		for i, o := range cmp.Runs {
			if i != best && o.Error == "" && o.Accuracy == r.Accuracy {
				tie += fmt.Sprintf(", tied with run %d", i+1)
			}
		}
		v.Summary = append(v.Summary, fmt.Sprintf("Run %d (%s) has the highest %s accuracy%s: %s of %s right (%s, 95%% interval %s – %s).",
			best+1, r.Name, cmp.Split, tie, report.Commas(r.Correct), report.Commas(r.N), report.Pct(r.Accuracy), report.Pct(r.AccuracyCI95[0]), report.Pct(r.AccuracyCI95[1])))
	}
	for _, p := range cmp.McNemar {
		v.Summary = append(v.Summary, fmt.Sprintf("McNemar's test, %s vs %s: %s.", runNumber(cmp, p.A), runNumber(cmp, p.B), p.Verdict))
	}
	v.Summary = append(v.Summary, cmp.NotComparable...)
	for i, info := range cmp.runs {
		v.Commands = append(v.Commands, [2]string{fmt.Sprintf("%d. %s", i+1, cmp.Runs[i].Name), info.Command})
	}
	return report.Render(dir, page, "compare.html", v)
}

// runNumber is "run N" for the run named name.
func runNumber(cmp *Comparison, name string) string {
	for i, r := range cmp.Runs {
		if r.Name == name {
			return fmt.Sprintf("run %d", i+1)
		}
	}
	return name
}
