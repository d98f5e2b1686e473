package feasibility

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/practica-ml/practica/setup"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/internal/stats"
	"github.com/practica-ml/practica/model"
)

// Thresholds and sizes of the naive-embedding probe.
const (
	// alpha is the significance level of the binomial test, before the
	// Bonferroni correction for the number of probes.
	alpha = 0.01
	// minMargin is the accuracy the best probe must add to the majority
	// rate (5 points).
	minMargin = 0.05
	// maxProbeTrain and maxProbeVal cap the examples the probes use
	// (seeded subsamples of larger splits), to keep the probe fast.
	maxProbeTrain = 5000
	maxProbeVal   = 2000
)

// naiveConfig tunes the naive-embedding probe.
type naiveConfig struct {
	Progress io.Writer
}

// NaiveResult is naive_embeddings in feasibility.json.
type NaiveResult struct {
	Verdict string `json:"verdict"`
	Reason  string `json:"reason"`
	Classes int    `json:"classes"`
	// TrainExamples fit the probes; ValExamples score them.
	TrainExamples int `json:"train_examples"`
	ValExamples   int `json:"val_examples"`
	// Chance is 1/C; MajorityRate is the share of the validation split's
	// most frequent class (MajorityClass): what always guessing it scores.
	Chance        float64 `json:"chance"`
	MajorityRate  float64 `json:"majority_rate"`
	MajorityClass string  `json:"majority_class"`
	// The test: p < alpha/ProbesTried (Bonferroni) against the majority
	// rate, and accuracy ≥ majority rate + minMargin.
	Alpha          float64             `json:"alpha"`
	ProbesTried    int                 `json:"probes_tried"`
	CorrectedAlpha float64             `json:"corrected_alpha"`
	MinMargin      float64             `json:"min_margin"`
	KNN            int                 `json:"knn_k"`
	LinearProbe    linearProbeSettings `json:"linear_probe"`
	Embeddings     []EmbeddingInfo     `json:"embeddings"`
	Probes         []ProbeResult       `json:"probes"`
	// SignalAccuracy is the lowest validation accuracy that would have
	// been SIGNAL (above 1 when none could be).
	SignalAccuracy float64 `json:"signal_accuracy"`
	// Best is the probe with the highest accuracy.
	Best    ProbeResult `json:"best"`
	Seconds float64     `json:"seconds"`

	embeddings []embedding
	trainY     []int
	classNames []string
}

// ProbeResult is one classifier on one embedding, scored on validation.
type ProbeResult struct {
	Embedding  string  `json:"embedding"`
	Classifier string  `json:"classifier"` // linear or knn
	Accuracy   float64 `json:"accuracy"`
	Correct    int     `json:"correct"`
	// Margin is Accuracy minus the majority rate.
	Margin float64 `json:"margin"`
	// PValue is P(X ≥ Correct) for X ~ Binomial(val examples, majority rate).
	PValue float64 `json:"p_value"`
	// Significant: PValue < the corrected alpha and Margin ≥ minMargin.
	Significant bool `json:"significant"`
}

// Probe classifiers.
const (
	ClassifierLinear = "linear"
	ClassifierKNN    = "knn"
)

// naiveEmbeddings probes the prepared data for signal: linear and k-NN
// probes on each naive embedding, fitted on the training split and scored
// on the validation split.
func naiveEmbeddings(ctx context.Context, p *setup.Prepared, cfg naiveConfig) (*NaiveResult, error) {
	start := time.Now()
	seed := p.Config.Training.Seed
	tr, va := p.Splits.Train, p.Splits.Val
	if va.Len() == 0 {
		return nil, fmt.Errorf("the naive-embedding probe scores on the validation split, which is empty (data.val is 0)")
	}
	if tr.Len() > maxProbeTrain {
		tr = tr.Subset(sample(tr.Len(), maxProbeTrain, seed, 0x7472))
	}
	if va.Len() > maxProbeVal {
		va = va.Subset(sample(va.Len(), maxProbeVal, seed, 0x7661))
	}
	c := tr.NumClasses()
	r := &NaiveResult{Classes: c, TrainExamples: tr.Len(), ValExamples: va.Len(), Chance: 1 / float64(c),
		Alpha: alpha, MinMargin: minMargin, KNN: knnNeighbours, trainY: tr.Y, classNames: tr.Classes,
		LinearProbe: linearProbeSettings{Epochs: probeEpochs, BatchSize: probeBatchSize, Optimizer: "adam", LR: probeLR}}
	counts := va.ClassCounts()
	maj := 0
	for k, n := range counts {
		if n > counts[maj] {
			maj = k
		}
	}
	r.MajorityRate, r.MajorityClass = float64(counts[maj])/float64(va.Len()), va.Classes[maj]

	var cnn *model.Spec
	if tr.Kind == data.Image {
		s := model.Spec{Arch: model.CNN}.WithDefaults(tr.Shape)
		if p.Config.Model.Arch == model.CNN && len(p.Config.Model.Hidden) > 0 {
			s = p.Config.Model
		}
		s.Dropout = 0
		cnn = &s
	}
	say(cfg.Progress, "naive embeddings: embedding %d training and %d validation examples", tr.Len(), va.Len())
	embs, err := embed(tr, va, cnn, seed)
	if err != nil {
		return nil, err
	}
	r.embeddings = embs
	for _, e := range embs {
		r.Embeddings = append(r.Embeddings, e.EmbeddingInfo)
		lin, err := linearProbe(ctx, e, tr.Y, va.Y, tr.Classes, seed)
		if err != nil {
			return nil, fmt.Errorf("linear probe on %s: %w", e.Name, err)
		}
		knn := stats.KNNPredict(e.train, tr.Y, e.val, e.Dim, knnNeighbours, c)
		for _, pr := range []struct {
			name string
			pred []int
		}{{ClassifierLinear, lin}, {ClassifierKNN, knn}} {
			acc, correct := accuracy(pr.pred, va.Y)
			r.Probes = append(r.Probes, ProbeResult{Embedding: e.Name, Classifier: pr.name, Accuracy: acc, Correct: correct,
				Margin: acc - r.MajorityRate, PValue: stats.BinomialTail(correct, va.Len(), r.MajorityRate)})
			say(cfg.Progress, "naive embeddings: %s on %s: accuracy %.3f", pr.name, e.Name, acc)
		}
	}
	r.ProbesTried = len(r.Probes)
	r.CorrectedAlpha = alpha / float64(r.ProbesTried)
	r.SignalAccuracy = float64(requiredCorrect(va.Len(), r.MajorityRate, r.CorrectedAlpha, minMargin)) / float64(va.Len())
	best := 0
	for i := range r.Probes {
		pr := &r.Probes[i]
		pr.Significant = pr.PValue < r.CorrectedAlpha && pr.Margin >= minMargin
		if pr.Accuracy > r.Probes[best].Accuracy {
			best = i
		}
	}
	r.Best = r.Probes[best]
	b := r.Best
	desc := fmt.Sprintf("the best probe, %s on the %s embedding, scores %.3f on %d validation examples against a majority-class rate of %.3f (chance %.3f): %+.1f points, p = %.3g (exact binomial, one-sided) against the Bonferroni-corrected %.3g (%g / %d probes); SIGNAL needed %.3f",
		b.Classifier, b.Embedding, b.Accuracy, va.Len(), r.MajorityRate, r.Chance, 100*b.Margin, b.PValue, r.CorrectedAlpha, alpha, r.ProbesTried, r.SignalAccuracy)
	if b.Significant {
		r.Verdict, r.Reason = Signal, desc+"; simple features already predict the labels"
	} else {
		var why string
		switch {
		case b.PValue >= r.CorrectedAlpha && b.Margin < minMargin:
			why = fmt.Sprintf("neither significant nor %g points above the majority rate", 100*minMargin)
		case b.PValue >= r.CorrectedAlpha:
			why = "not significant"
		default:
			why = fmt.Sprintf("significant but less than %g points above the majority rate", 100*minMargin)
		}
		r.Verdict, r.Reason = NoSignal, desc+": "+why+"; no simple embedding predicts the labels better than guessing the most common class"
	}
	r.Seconds = time.Since(start).Seconds()
	return r, nil
}

// embedding returns the probe's embedding of that name.
func (r *NaiveResult) embedding(name string) (embedding, bool) {
	for _, e := range r.embeddings {
		if e.Name == name {
			return e, true
		}
	}
	return embedding{}, false
}
