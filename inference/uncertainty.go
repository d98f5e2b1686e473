package inference

import (
	"fmt"
	"math/rand/v2"

	"github.com/practica-ml/practica/calibration"
	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/internal/setting"
)

// mcStream separates the MC dropout masks' random stream from the other
// uses of a seed.
const mcStream = 0x3CD40

// AddMCDropout runs k stochastic forward passes of in's examples with
// dropout on (model.StochasticLogits, masks from seed), turns each pass's
// logits into probabilities with the predictor's temperature, and adds
// to each prediction the mean probabilities, the predictive entropy and
// the mutual information (BALD). preds must be Predict(in)'s. The
// deterministic Probabilities and Logits are left as they are.
func (p *Predictor) AddMCDropout(preds []Prediction, in Input, k int, seed uint64) error {
	if k < 2 {
		return fmt.Errorf("MC dropout needs at least 2 passes, got %d", k)
	}
	x, err := p.prepare(in.X)
	if err != nil {
		return err
	}
	c := len(p.Checkpoint.Classes)
	n := len(preds)
	if len(x) != n*data.ShapeSize(p.Checkpoint.Input.Shape) {
		return fmt.Errorf("%d predictions for %d values of input", n, len(x))
	}
	rng := rand.New(rand.NewPCG(seed, mcStream))
	logits := make([]float32, n*c)
	passes := make([][]float64, k)
	for j := range passes {
		if err := p.Model.StochasticLogits(x, rng, logits); err != nil {
			return err
		}
		passes[j] = calibration.Softmax(logits, c, p.Temperature)
	}
	mc, err := calibration.SummarizeMC(passes, c)
	if err != nil {
		return err
	}
	for i := range preds {
		preds[i].MCProbabilities = mc.Mean[i*c : (i+1)*c : (i+1)*c]
		preds[i].Entropy = &mc.Entropy[i]
		preds[i].MutualInformation = &mc.MutualInformation[i]
	}
	return nil
}

// Rank orders predictions by how much labelling each is worth under
// method (calibration.LeastConfident, Margin, MaxEntropy or BALD), most
// valuable first, keeps the top (all when top ≤ 0) and sets their Rank and
// Score. The scores use the MC dropout mean probabilities when present,
// else the (temperature-scaled) probabilities; bald needs MC dropout.
func Rank(preds []Prediction, classes int, method string, top int) ([]Prediction, error) {
	probs := make([]float64, 0, len(preds)*classes)
	var mi []float64
	for i, pd := range preds {
		switch {
		case pd.MCProbabilities != nil:
			probs = append(probs, pd.MCProbabilities...)
		default:
			probs = append(probs, pd.Probabilities...)
		}
		if pd.MutualInformation != nil {
			mi = append(mi, *pd.MutualInformation)
		} else if method == calibration.BALD {
			return nil, setting.Errorf("rank", "bald needs mc_dropout passes (example %d has no mutual information)", i)
		}
	}
	scores, err := calibration.Score(method, probs, classes, mi)
	if err != nil {
		return nil, err
	}
	idx := calibration.Rank(scores, top)
	out := make([]Prediction, len(idx))
	for r, i := range idx {
		out[r] = preds[i]
		out[r].Rank = r + 1
		out[r].Score = &scores[i]
	}
	return out, nil
}
