package feasibility

import (
	"fmt"
	"strings"

	"github.com/practica-ml/practica/rundir"
)

// Markdown renders feasibility.md: each verdict with its numbers, and what
// it does and does not mean. about names the experiment (model, data,
// seed).
func (r *Report) Markdown(about string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Feasibility: %s\n\n", about)
	b.WriteString("Each test answers one question before any long experiment. PASS and SIGNAL are necessary, not sufficient, for a model that works; FAIL and NO SIGNAL are reasons to stop and look before spending more compute. Every number is in `feasibility.json`.\n\n")
	if r.OverfitOne != nil {
		fmt.Fprintf(&b, "- Overfit one example: **%s**\n", r.OverfitOne.Verdict)
	}
	if r.OverfitBatch != nil {
		fmt.Fprintf(&b, "- Overfit a batch of %d: **%s**\n", r.OverfitBatch.Examples, r.OverfitBatch.Verdict)
	}
	if r.NaiveEmbeddings != nil {
		fmt.Fprintf(&b, "- Naive embeddings: **%s** (best probe %.3f, majority class %.3f)\n", r.NaiveEmbeddings.Verdict, r.NaiveEmbeddings.Best.Accuracy, r.NaiveEmbeddings.MajorityRate)
	}
	if r.Clustering != nil {
		fmt.Fprintf(&b, "- Clustering: **%s** (NMI %.3f against %.3f by chance, purity %.3f; informs, does not decide the exit status)\n", r.Clustering.Verdict, r.Clustering.NMI, r.Clustering.ChanceNMI, r.Clustering.Purity)
	}
	b.WriteString("\n")
	if r.memorizesNoise() {
		b.WriteString("**The model memorizes, yet no simple feature predicts the labels.** Memorizing needs no signal: passing the overfit tests shows the training machinery works, not that there is anything to learn here. Suspect the labels (shuffled, misaligned with the inputs) or a problem whose signal simple features cannot show.\n\n")
	}
	if o := r.OverfitOne; o != nil {
		b.WriteString("## Overfit one example\n\n")
		overfitMarkdown(&b, o)
		b.WriteString("![overfit loss](" + rundir.OverfitLossPlot + ")\n\n")
	}
	if o := r.OverfitBatch; o != nil {
		fmt.Fprintf(&b, "## Overfit a batch of %d examples\n\n", o.Examples)
		overfitMarkdown(&b, o)
		if z := o.ZeroInput; z != nil {
			fmt.Fprintf(&b, "Zero-input baseline (the same training with every input set to zero): final loss %.4g after %d steps, against %.4g with the inputs (%.0f× and %+.3g). The label entropy of the batch, %.4g, is the lowest loss a model that ignores its inputs can reach. ",
				float64(z.FinalLoss), z.Steps, float64(o.FinalLoss), float64(z.LossRatio), float64(z.LossGap), z.LabelEntropy)
			if z.ClearlyWorse {
				b.WriteString("Clearly worse, as it should be: the model's fit comes from its inputs.\n\n")
			} else {
				b.WriteString("**Not clearly worse** (needs at least 10× and 0.1 higher): the model fits these labels without its inputs.\n\n")
			}
		}
		if r.OverfitOne == nil {
			b.WriteString("![overfit loss](" + rundir.OverfitLossPlot + ")\n\n")
		}
	}
	if r.OverfitOne != nil || r.OverfitBatch != nil {
		b.WriteString("**What an overfit PASS means:** the data pipeline, the loss, the gradients and the optimizer work together, and the model has the capacity to fit these examples. **What it does not mean:** that the data holds any signal — memorizing needs no signal: a big enough model memorizes pure noise with random labels just as well — nor anything about how the model will do on new examples. ")
		b.WriteString("**What a FAIL means:** something is broken before any question of signal: a learning rate far off, a bad initialization (initial loss far from ln C), a label bug, inputs that do not reach the model, or too little capacity. Fix it before training for real.\n\n")
	}
	if n := r.NaiveEmbeddings; n != nil {
		naiveMarkdown(&b, n)
	}
	if c := r.Clustering; c != nil {
		b.WriteString("## Clustering\n\n")
		fmt.Fprintf(&b, "**%s.** %s.\n\n", c.Verdict, capitalize(c.Reason))
		fmt.Fprintf(&b, "k-means++ (k = %d, the number of classes; %d seeded restarts) on the `%s` embedding (%d dimensions) of %d training examples:\n\n", c.K, c.Restarts, c.Embedding, c.Dim, c.Points)
		b.WriteString("| purity | NMI | adjusted Rand index | silhouette |\n| --- | --- | --- | --- |\n")
		fmt.Fprintf(&b, "| %.3f | %.3f | %.3f | %.3f (on %d points) |\n\n", c.Purity, c.NMI, c.ARI, c.Silhouette, c.SilhouettePoints)
		fmt.Fprintf(&b, "Cluster sizes: %v. The scatter shows %d points on the embedding's first two principal components (%.1f%% of its variance), coloured by label.\n\n", c.ClusterSizes, c.ScatterPoints, 100*c.ScatterExplained)
		b.WriteString("![PCA scatter](" + rundir.PCAScatterPlot + ")\n\n")
		fmt.Fprintf(&b, "**What it means:** purity, NMI and the adjusted Rand index near 1 say the classes form separate groups in this embedding without any label being used; a silhouette well above 0 says the groups are compact. **What it does not mean:** low scores do not prove there is no signal — classes can be separable by a linear probe without forming round clusters, and k-means only finds round ones. **CLUSTERS** needs the NMI to beat seeded shuffles of the labels (p < %g) and an adjusted Rand index of at least %g; **NO CLUSTERS** is not a reason to stop, and this verdict does not change the exit status.\n", c.Alpha, c.MinARI)
	}
	return b.String()
}

func overfitMarkdown(b *strings.Builder, o *OverfitResult) {
	fmt.Fprintf(b, "**%s.** %s.\n\n", o.Verdict, capitalize(o.Reason))
	for _, w := range o.Warnings {
		fmt.Fprintf(b, "Warning: %s.\n\n", w)
	}
	which := fmt.Sprintf("training example %d (class %s)", o.Indices[0], o.Labels[0])
	if o.Examples > 1 {
		which = fmt.Sprintf("%d training examples %v (classes %s)", o.Examples, o.Indices, strings.Join(o.Labels, ", "))
	}
	fmt.Fprintf(b, "The %s model trained on %s for at most %d steps (learning rate %g; dropout and augmentation off, no shuffling), evaluated in eval mode after every step.\n\n",
		o.Model, which, o.StepBudget, o.LR)
	b.WriteString("| initial loss | ln C | ratio | threshold | final loss | steps | accuracy |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	fmt.Fprintf(b, "| %.4g | %.4g | %.2f | %.4g | %.4g | %d | %.3f |\n\n", float64(o.InitialLoss), o.LnClasses, float64(o.InitialLossRatio), float64(o.Threshold), float64(o.FinalLoss), o.Steps, o.Accuracy)
}

func naiveMarkdown(b *strings.Builder, n *NaiveResult) {
	b.WriteString("## Naive embeddings\n\n")
	fmt.Fprintf(b, "**%s.** %s.\n\n", n.Verdict, capitalize(n.Reason))
	fmt.Fprintf(b, "Each probe is fitted on %d training examples and scored on %d validation examples. The linear probe is a softmax classifier (the `linear` architecture, %d epochs of Adam at %g on the standardized embedding, last epoch kept); k-NN votes among the %d most cosine-similar training examples. A probe counts as signal when its exact binomial p-value against the majority-class rate is below %g / %d probes = %.3g and it scores at least %g points above that rate.\n\n",
		n.TrainExamples, n.ValExamples, n.LinearProbe.Epochs, n.LinearProbe.LR, n.KNN, n.Alpha, n.ProbesTried, n.CorrectedAlpha, 100*n.MinMargin)
	b.WriteString("| embedding | dim | classifier | accuracy | vs majority | p-value | signal |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	dims := map[string]int{}
	for _, e := range n.Embeddings {
		dims[e.Name] = e.Dim
	}
	for _, p := range n.Probes {
		sig := "no"
		if p.Significant {
			sig = "yes"
		}
		fmt.Fprintf(b, "| %s | %d | %s | %.3f | %+.1f pts | %.3g | %s |\n", p.Embedding, dims[p.Embedding], p.Classifier, p.Accuracy, 100*p.Margin, p.PValue, sig)
	}
	fmt.Fprintf(b, "\nChance (1/%d): %.3f. Majority-class rate (class %q on the validation split): %.3f.\n\n", n.Classes, n.Chance, n.MajorityClass, n.MajorityRate)
	for _, e := range n.Embeddings {
		fmt.Fprintf(b, "- `%s`: %s.\n", e.Name, e.Description)
	}
	b.WriteString("\n![probe accuracies](" + rundir.ProbePlot + ")\n\n")
	b.WriteString("**What SIGNAL means:** simple features of the inputs already predict the labels of held-out examples better than always guessing the most common class, so there is something to learn, and a model that does no better than these probes is not yet earning its cost. **What it does not mean:** how much a deep model will gain, or that the validation split resembles the data the model will serve. ")
	b.WriteString("**What NO SIGNAL means:** no naive embedding beats the majority class by a clear margin. It does not prove the data holds no signal — it may need features that raw values, random projections and PCA do not expose — but check that the labels belong to their inputs, and remember that an overfit PASS on such data is memorization: memorizing needs no signal.\n\n")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Text is the short plain-language report printed on stdout.
func (r *Report) Text() string {
	var b strings.Builder
	if o := r.OverfitOne; o != nil {
		fmt.Fprintf(&b, "overfit-one: %s: %s.\n", o.Verdict, o.Reason)
		for _, w := range o.Warnings {
			fmt.Fprintf(&b, "  warning: %s\n", w)
		}
	}
	if o := r.OverfitBatch; o != nil {
		fmt.Fprintf(&b, "overfit-batch %d: %s: %s.\n", o.Examples, o.Verdict, o.Reason)
		for _, w := range o.Warnings {
			fmt.Fprintf(&b, "  warning: %s\n", w)
		}
	}
	if n := r.NaiveEmbeddings; n != nil {
		fmt.Fprintf(&b, "naive embeddings: %s: %s.\n", n.Verdict, n.Reason)
		for _, p := range n.Probes {
			fmt.Fprintf(&b, "  %-18s %-6s accuracy %.3f  (%+.1f pts vs majority, p = %.2g)\n", p.Embedding, p.Classifier, p.Accuracy, 100*p.Margin, p.PValue)
		}
	}
	if c := r.Clustering; c != nil {
		fmt.Fprintf(&b, "clustering: %s: k-means++ (k=%d) on %s: purity %.3f, NMI %.3f (%.3f by chance, p = %.3g), adjusted Rand %.3f, silhouette %.3f (%d points).\n",
			c.Verdict, c.K, c.Embedding, c.Purity, c.NMI, c.ChanceNMI, c.PValue, c.ARI, c.Silhouette, c.SilhouettePoints)
	}
	if r.memorizesNoise() {
		b.WriteString("note: the model memorizes, yet simple features carry no signal: memorizing needs no signal.\n")
	}
	if r.RunDir != "" {
		fmt.Fprintf(&b, "run directory: %s\n", r.RunDir)
	}
	return b.String()
}

// memorizesNoise: an overfit test passed while the probes found no signal.
func (r *Report) memorizesNoise() bool {
	pass := r.OverfitOne != nil && r.OverfitOne.Verdict == Pass || r.OverfitBatch != nil && r.OverfitBatch.Verdict == Pass
	return pass && r.NaiveEmbeddings != nil && r.NaiveEmbeddings.Verdict == NoSignal
}
