package model

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Summary is a model's table of layers, as Keras's summary() prints it:
// each layer's output shape, parameters and cost, inferred from the spec
// and the input shape without building the model.
type Summary struct {
	Arch    string       `json:"arch"`
	Input   []int        `json:"input"`
	Classes int          `json:"classes"`
	Layers  []SummaryRow `json:"layers"`
	// Params counts the learnable parameters, Stats the batch-norm
	// running statistics (kept, not trained).
	Params int64 `json:"params"`
	Stats  int64 `json:"stats"`
	// FLOPs counts a forward pass of one example (a multiply-add is 2).
	FLOPs int64 `json:"flops"`
}

// SummaryRow is one layer of a Summary.
type SummaryRow struct {
	// Index is the layer's place in model.layers ("4"; "4.1" is the
	// second layer of residual block 4; "4.proj" its projection).
	Index string `json:"index"`
	// Layer describes the layer and its settings.
	Layer string `json:"layer"`
	// Name prefixes the layer's parameters (what --freeze matches).
	Name   string `json:"name,omitempty"`
	Depth  int    `json:"depth"`
	Output []int  `json:"output"`
	Params int64  `json:"params"`
	FLOPs  int64  `json:"flops"`
}

// Summarize infers the summary of spec (defaults filled in) on inputs of
// inputShape with classes classes.
func Summarize(spec Spec, inputShape []int, classes int) (Summary, error) {
	if err := spec.Validate(inputShape); err != nil {
		return Summary{}, err
	}
	sts, err := spec.steps(inputShape, classes)
	if err != nil {
		return Summary{}, err
	}
	s := Summary{Arch: spec.Arch, Input: append([]int(nil), inputShape...), Classes: classes}
	var rows func(sts []*step, depth int)
	rows = func(sts []*step, depth int) {
		for _, st := range sts {
			r := SummaryRow{Index: st.index, Layer: describeLayer(st), Name: st.name, Depth: depth, Output: st.out, FLOPs: st.flops}
			for _, p := range st.params {
				n := int64(size(p.shape))
				if p.learnable {
					r.Params += n
					s.Params += n
				} else {
					s.Stats += n
				}
			}
			s.FLOPs += st.flops
			s.Layers = append(s.Layers, r)
			if st.layer.Type == Residual {
				rows(st.inner, depth+1)
				if st.proj != nil {
					rows([]*step{st.proj}, depth+1)
				}
			}
		}
	}
	rows(sts, 0)
	return s, nil
}

// describeLayer is a layer's type and settings in a few words.
func describeLayer(st *step) string {
	l := st.layer
	var d string
	switch l.Type {
	case Conv2D:
		d = fmt.Sprintf("conv2d %d %d×%d stride %d %s", l.Filters, l.Kernel, l.Kernel, l.Stride, l.Padding)
		if !l.hasBias() {
			d += " no bias"
		}
	case MaxPool, AvgPool:
		d = fmt.Sprintf("%s %d×%d stride %d", l.Type, l.Size, l.Size, l.Stride)
	case Dense:
		d = fmt.Sprintf("dense %d", st.out[0])
		if st.output {
			d += " (output"
			if st.implied {
				d += ", added"
			}
			d += ")"
		} else if !l.hasBias() {
			d += " no bias"
		}
	case Dropout:
		d = fmt.Sprintf("dropout p=%g", l.P)
	case LeakyReLU:
		d = fmt.Sprintf("leaky_relu slope=%g", l.Slope)
	case Residual:
		d = "residual (adds its input)"
	default:
		d = l.Type
	}
	switch {
	case strings.HasSuffix(st.index, ".proj"):
		d = "projection " + d
	case st.fused:
		d += " (fused with the max-pool)"
	}
	return d
}

// WriteText prints the summary as an aligned table.
func (s Summary) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s model on input %s, %d classes\n", s.Arch, dims(s.Input), s.Classes)
	fmt.Fprintln(tw, "#\tlayer\tparameters as\toutput\tparams\tFLOPs")
	for _, r := range s.Layers {
		name := r.Name
		if name == "" {
			name = "-"
		}
		fmt.Fprintf(tw, "%s\t%s%s\t%s\t%s\t%s\t%s\n", r.Index, strings.Repeat("  ", r.Depth), r.Layer, name, dims(r.Output), count(r.Params), count(r.FLOPs))
	}
	fmt.Fprintf(tw, "total\t\t\t\t%s\t%s\n", count(s.Params), count(s.FLOPs))
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d learnable parameters (%s in float32), %d batch-norm statistics; %s FLOPs per example forward, about 3× that per example in training\n",
		s.Params, bytesText(4*(s.Params+s.Stats)), s.Stats, count(s.FLOPs))
	return err
}

// count prints n with thousands separators.
func count(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func bytesText(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
}
