package calibration

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// VectorScaling maps a row of logits z to softmax(Scale ⊙ z + Bias): a
// scale and a bias per class (Guo et al. 2017). Unlike temperature
// scaling it can change the predicted class.
type VectorScaling struct {
	Scale []float64 `json:"scale"`
	Bias  []float64 `json:"bias"`
}

// vectorRidge is the L2 penalty, on Scale − 1/T and on Bias, that keeps the
// fit finite when a class never occurs in the labels.
const vectorRidge = 1e-4

// FitVectorScaling fits the scales and biases minimizing the mean NLL of
// labels plus a 1e-4 L2 penalty (on the scales' distance from the fitted
// temperature's 1/T and on the biases), by Newton's method from the
// temperature scaling solution (the objective is convex). Like FitTemperature it returns ErrSeparable when every
// example is already classified correctly.
func FitVectorScaling(logits []float32, labels []int, classes int) (VectorScaling, error) {
	T, err := FitTemperature(logits, labels, classes)
	if err != nil {
		return VectorScaling{}, err
	}
	c := classes
	n := float64(len(labels))
	prior := 1 / T
	p := make([]float64, c)
	a := mat.NewSymDense(c, nil) // diag(p) − ppᵀ of one example
	eval := func(x, grad []float64, hess *mat.SymDense) float64 {
		w, b := x[:c], x[c:]
		clear(grad)
		hess.Zero()
		var loss float64
		for i, y := range labels {
			row := logits[i*c : (i+1)*c]
			m := math.Inf(-1)
			for k, v := range row {
				p[k] = w[k]*float64(v) + b[k]
				m = math.Max(m, p[k])
			}
			var s float64
			for k := range p {
				p[k] = math.Exp(p[k] - m)
				s += p[k]
			}
			for k := range p {
				p[k] /= s
			}
			loss -= math.Log(p[y])
			for k, v := range row {
				d := p[k]
				if k == y {
					d--
				}
				grad[k] += d * float64(v) / n
				grad[c+k] += d / n
			}
			// The Hessian is Jᵀ(diag(p) − ppᵀ)J with J = [diag(z) I].
			for k := range c {
				for l := k; l < c; l++ {
					v := -p[k] * p[l]
					if k == l {
						v += p[k]
					}
					a.SetSym(k, l, v)
				}
			}
			for k := range c {
				zk := float64(row[k])
				for l := range c {
					zl := float64(row[l])
					v := a.At(k, l) / n
					if l >= k {
						hess.SetSym(k, l, hess.At(k, l)+zk*zl*v)
						hess.SetSym(c+k, c+l, hess.At(c+k, c+l)+v)
					}
					hess.SetSym(k, c+l, hess.At(k, c+l)+zk*v)
				}
			}
		}
		loss /= n
		for k := range c {
			loss += vectorRidge * ((w[k]-prior)*(w[k]-prior) + b[k]*b[k])
			grad[k] += 2 * vectorRidge * (w[k] - prior)
			grad[c+k] += 2 * vectorRidge * b[k]
			hess.SetSym(k, k, hess.At(k, k)+2*vectorRidge)
			hess.SetSym(c+k, c+k, hess.At(c+k, c+k)+2*vectorRidge)
		}
		return loss
	}
	x0 := make([]float64, 2*c)
	for k := range c {
		x0[k] = prior
	}
	x, err := newton(eval, x0)
	if err != nil {
		return VectorScaling{}, fmt.Errorf("vector scaling: %w", err)
	}
	return VectorScaling{Scale: append([]float64(nil), x[:c]...), Bias: append([]float64(nil), x[c:]...)}, nil
}

// Probabilities returns the N×C calibrated probabilities of logits.
func (v VectorScaling) Probabilities(logits []float32) []float64 {
	c := len(v.Scale)
	out := make([]float64, len(logits))
	for i := 0; i+c <= len(logits); i += c {
		m := math.Inf(-1)
		for k := range c {
			out[i+k] = v.Scale[k]*float64(logits[i+k]) + v.Bias[k]
			m = math.Max(m, out[i+k])
		}
		var s float64
		for k := range c {
			out[i+k] = math.Exp(out[i+k] - m)
			s += out[i+k]
		}
		for k := range c {
			out[i+k] /= s
		}
	}
	return out
}

// Platt maps the logit margin s = z₁ − z₀ of a two-class model to
// P(class 1) = σ(A·s + B) (Platt 1999).
type Platt struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

// FitPlatt fits A and B for two classes by minimizing the cross-entropy
// against Platt's smoothed targets, (N₊+1)/(N₊+2) for class 1 and
// 1/(N₋+2) for class 0, which keep the fit finite even when the classes
// are separated; Newton's method from A = 1, B = 0 (the objective is
// convex).
func FitPlatt(logits []float32, labels []int) (Platt, error) {
	if err := checkLogits(logits, labels, 2); err != nil {
		return Platt{}, err
	}
	var pos, neg float64
	for _, y := range labels {
		if y == 1 {
			pos++
		} else {
			neg++
		}
	}
	hi, lo := (pos+1)/(pos+2), 1/(neg+2)
	n := float64(len(labels))
	eval := func(x, grad []float64, hess *mat.SymDense) float64 {
		var loss, ga, gb, haa, hab, hbb float64
		for i, y := range labels {
			s := float64(logits[2*i+1]) - float64(logits[2*i])
			t := lo
			if y == 1 {
				t = hi
			}
			f := x[0]*s + x[1]
			// −t·log σ(f) − (1−t)·log(1−σ(f)) = softplus(f) − t·f, stably.
			loss += math.Max(f, 0) + math.Log1p(math.Exp(-math.Abs(f))) - t*f
			q := sigmoid(f)
			d, h := q-t, q*(1-q)
			ga += d * s
			gb += d
			haa += h * s * s
			hab += h * s
			hbb += h
		}
		grad[0], grad[1] = ga/n, gb/n
		// A tiny ridge keeps the Hessian invertible when every margin is
		// the same.
		hess.SetSym(0, 0, haa/n+1e-12)
		hess.SetSym(0, 1, hab/n)
		hess.SetSym(1, 1, hbb/n+1e-12)
		return loss / n
	}
	x, err := newton(eval, []float64{1, 0})
	if err != nil {
		return Platt{}, fmt.Errorf("platt scaling: %w", err)
	}
	return Platt{A: x[0], B: x[1]}, nil
}

// Probabilities returns the N×2 calibrated probabilities of two-class
// logits.
func (p Platt) Probabilities(logits []float32) []float64 {
	out := make([]float64, len(logits))
	for i := 0; i+2 <= len(logits); i += 2 {
		p1 := sigmoid(p.A*(float64(logits[i+1])-float64(logits[i])) + p.B)
		out[i], out[i+1] = 1-p1, p1
	}
	return out
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// newton minimizes a smooth convex function by Newton's method with a
// backtracking line search, from x0 until the gradient's largest component
// is below 1e-9 or half the squared Newton decrement (an estimate of the
// distance to the minimum) is below 1e-13, or 200 iterations. eval writes the gradient and the
// Hessian at x and returns the value.
func newton(eval func(x, grad []float64, hess *mat.SymDense) float64, x0 []float64) ([]float64, error) {
	d := len(x0)
	x := append([]float64(nil), x0...)
	g, gTry := make([]float64, d), make([]float64, d)
	h, hTry := mat.NewSymDense(d, nil), mat.NewSymDense(d, nil)
	try := make([]float64, d)
	f := eval(x, g, h)
	for range 200 {
		if mat.Norm(mat.NewVecDense(d, g), math.Inf(1)) < 1e-9 {
			break
		}
		var chol mat.Cholesky
		step := mat.NewVecDense(d, nil)
		if chol.Factorize(h) {
			if err := chol.SolveVecTo(step, mat.NewVecDense(d, g)); err != nil {
				step.CopyVec(mat.NewVecDense(d, g))
			}
		} else {
			step.CopyVec(mat.NewVecDense(d, g)) // gradient descent
		}
		slope := mat.Dot(step, mat.NewVecDense(d, g))
		if slope/2 < 1e-13 {
			break // the Newton decrement: f is within 1e-13 of its minimum
		}
		improved := false
		for t := 1.0; t > 1e-12; t /= 2 {
			for i := range x {
				try[i] = x[i] - t*step.AtVec(i)
			}
			if ft := eval(try, gTry, hTry); ft <= f-1e-4*t*slope {
				copy(x, try)
				copy(g, gTry)
				h.CopySym(hTry)
				f, improved = ft, true
				break
			}
		}
		if !improved {
			break
		}
	}
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errors.New("the fit did not stay finite")
		}
	}
	return x, nil
}
