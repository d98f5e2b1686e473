package profile

import (
	"embed"
	"fmt"
	"strings"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/report"
)

// page is the template of report.html.
//
//go:embed profile.html
var page embed.FS

type profileView struct {
	P         *Report
	Generated string
	Noun      string
	Summary   []string
	ClassRows []report.ClassRow
	// Features is the feature table (all tabular features; for images
	// the per-channel summary instead).
	Features  []Feature
	Channels  [][2]string
	Command   string
	MoreFeats int
}

// maxFeatureRows bounds the feature table of the HTML (profile.json has
// every feature).
const maxFeatureRows = 200

// html renders the profile's report.html; the figures must be in dir.
func (p *Report) html(dir string) ([]byte, error) {
	v := &profileView{P: p, Generated: report.Timestamp(), Noun: report.Noun(p.Kind), Command: report.ShellJoin(p.args)}
	v.Summary = p.plainSummary(v.Noun)
	var counts [][]int
	var sizes []int
	for _, s := range p.Splits {
		counts, sizes = append(counts, s.ClassCounts), append(sizes, s.N)
	}
	v.ClassRows = report.ClassRows(p.Classes, counts, sizes)
	if p.Kind == data.Image && len(p.Shape) == 3 {
		ch, hw := p.Shape[0], p.Shape[1]*p.Shape[2]
		for c := range ch {
			lo, hi, mean, n := 0.0, 0.0, 0.0, 0
			for j := c * hw; j < (c+1)*hw; j++ {
				f := p.Features[j]
				if n == 0 || f.Min < lo {
					lo = f.Min
				}
				if n == 0 || f.Max > hi {
					hi = f.Max
				}
				mean += f.Mean
				n++
			}
			v.Channels = append(v.Channels, [2]string{fmt.Sprintf("channel %d", c), fmt.Sprintf("min %.4g, max %.4g, mean %.4g over %d pixels", lo, hi, mean/float64(n), n)})
		}
	} else {
		v.Features = p.Features[:min(len(p.Features), maxFeatureRows)]
		v.MoreFeats = len(p.Features) - len(v.Features)
	}
	return report.Render(dir, page, "profile.html", v)
}

func (p *Report) plainSummary(noun string) []string {
	if p.Error != "" {
		s := []string{"The data could not be loaded: " + p.Error}
		if nf := p.NonFinite; nf.NaN+nf.Inf+nf.Empty+nf.NonNumeric > 0 {
			s = append(s, fmt.Sprintf("The file has %s NaN, %s infinite, %s empty and %s non-numeric cells (by column below); training needs every feature to be a finite number.",
				report.Commas(nf.NaN), report.Commas(nf.Inf), report.Commas(nf.Empty), report.Commas(nf.NonNumeric)))
		}
		return s
	}
	var out []string
	c := len(p.Classes)
	shape := make([]string, len(p.Shape))
	for i, v := range p.Shape {
		shape[i] = fmt.Sprint(v)
	}
	what := fmt.Sprintf("%s features each", report.Commas(len(p.Features)))
	if p.Kind == data.Image {
		what = "of " + strings.Join(shape, "×") + " pixels"
	}
	out = append(out, fmt.Sprintf("%s holds %s %s %s, in %d classes.", p.Source, report.Commas(p.N), noun, what, c))
	lo, hi := p.ClassCounts[0], p.ClassCounts[0]
	loK, hiK := 0, 0
	for k, n := range p.ClassCounts {
		if n < lo {
			lo, loK = n, k
		}
		if n > hi {
			hi, hiK = n, k
		}
	}
	bal := "The classes are balanced"
	if p.Imbalance > 1.5 {
		bal = "The classes are unbalanced (train --class-weights balanced compensates)"
	}
	out = append(out, fmt.Sprintf("%s: the largest, %q, has %s %s (%s) and the smallest, %q, %s (%s).",
		bal, p.Classes[hiK], report.Commas(hi), noun, report.Pct(float64(hi)/float64(p.N)), p.Classes[loK], report.Commas(lo), report.Pct(float64(lo)/float64(p.N))))
	out = append(out, fmt.Sprintf("Split as train would split it: %s for training, %s for validation, %s for testing.",
		report.Commas(p.Splits[0].N), report.Commas(p.Splits[1].N), report.Commas(p.Splits[2].N)))
	if p.DuplicateRows == 0 {
		out = append(out, fmt.Sprintf("No two %s are identical.", noun))
	} else {
		s := fmt.Sprintf("%s of the %s %s (%s) are exact copies of an earlier one", report.Commas(p.DuplicateRows), report.Commas(p.N), noun, report.Pct(float64(p.DuplicateRows)/float64(p.N)))
		if p.ConflictingDuplicates > 0 {
			s += fmt.Sprintf(", and %s of those copies carry a different label than the original: the data contradicts itself there", report.Commas(p.ConflictingDuplicates))
		}
		out = append(out, s+".")
	}
	l := p.Leakage
	if l.TrainVal+l.TrainTest+l.ValTest == 0 {
		out = append(out, "No validation or test example also appears in the training split: the held-out scores will be honest.")
	} else {
		out = append(out, fmt.Sprintf("Leakage: %s validation and %s test %s also appear in the training split, and %s test ones in the validation split; scores on them measure memory, not generalization.",
			report.Commas(l.TrainVal), report.Commas(l.TrainTest), noun, report.Commas(l.ValTest)))
	}
	if n := len(p.ConstantFeatures); n > 0 {
		out = append(out, fmt.Sprintf("%s of the %s features never change (constant) and carry no information.", report.Commas(n), report.Commas(len(p.Features))))
	}
	if n := len(p.DuplicateFeatures); n > 0 {
		out = append(out, fmt.Sprintf("%s groups of features are exact copies of each other.", report.Commas(n)))
	}
	if nf := p.NonFinite; nf.NaN+nf.Inf+nf.Empty+nf.NonNumeric > 0 {
		out = append(out, fmt.Sprintf("%s NaN, %s infinite, %s empty and %s non-numeric cells.", report.Commas(nf.NaN), report.Commas(nf.Inf), report.Commas(nf.Empty), report.Commas(nf.NonNumeric)))
	} else {
		out = append(out, "Every feature value is a finite number (no NaN, no infinity).")
	}
	if len(p.PCAExplained) == 2 {
		out = append(out, fmt.Sprintf("The two main directions of variation explain %s of the variance; the PCA view below shows whether the classes already separate along them.",
			report.Pct(p.PCAExplained[0]+p.PCAExplained[1])))
	}
	return out
}
