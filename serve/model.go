package serve

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/inference"
	"github.com/practica-ml/practica/modelrepo"
)

// Model is one version of a model to serve.
type Model struct {
	// Name is the model's name in URLs: letters, digits, '.', '_' and '-'.
	Name string
	// Version counts from 1; a request without a version gets the highest.
	Version   int
	Predictor *inference.Predictor
	// Card is the model card (a JSON object, served as the metadata's
	// parameters), nil when there is none.
	Card json.RawMessage
}

// Loader returns the models to serve: New calls it once and Reload at
// each reload. It may return the models it could load together with an
// error naming those it could not; they are served, and the error logged.
type Loader func() ([]*Model, error)

// The names of the inputs and outputs of every model.
const (
	// inputName is the FP32 tensor of raw examples, at the scale of the
	// training data.
	inputName = "input"
	// imageName is the BYTES tensor of base64 PNG or JPEG files an image
	// model also takes.
	imageName = "image"

	outProbabilities = "probabilities"
	outLogits        = "logits"
	outPredicted     = "predicted"
	outClass         = "class"
)

// outputNames are every model's outputs, in the order they are answered
// when a request asks for none in particular.
var outputNames = []string{outProbabilities, outLogits, outPredicted, outClass}

// checkModel says what makes m unservable, if anything.
func checkModel(m *Model) error {
	switch {
	case m == nil:
		return errors.New("the loader returned a nil model")
	case modelrepo.CheckName(m.Name) != nil:
		return modelrepo.CheckName(m.Name)
	case m.Version < 1:
		return fmt.Errorf("model %q: version %d; versions count from 1", m.Name, m.Version)
	case m.Predictor == nil || m.Predictor.Checkpoint == nil || m.Predictor.Model == nil:
		return fmt.Errorf("model %q version %d has no loaded predictor", m.Name, m.Version)
	case len(m.Predictor.Checkpoint.Classes) == 0:
		return fmt.Errorf("model %q version %d has no classes", m.Name, m.Version)
	case m.Card != nil && !isJSONObject(m.Card):
		return fmt.Errorf("model %q version %d: its card is not a JSON object", m.Name, m.Version)
	}
	return nil
}

func isJSONObject(b []byte) bool {
	return json.Valid(b) && bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("{"))
}

// version is one model version as served: its worker, its series, and
// what requests are checked against.
type version struct {
	model   *Model
	label   string
	image   bool
	imputes bool
	// shape is one example's input as clients send it: the CSV's
	// features (before any missing-value indicators are appended), or
	// [C H W].
	shape   []int
	width   int
	classes []string
	// metadata is the answer to GET /v2/models/{name}[/versions/{v}].
	metadata []byte
	batcher  *batcher
	metrics  *versionMetrics
}

func newVersion(m *Model) *version {
	in := m.Predictor.Checkpoint.Input
	shape := in.Shape
	if in.Missing != nil {
		shape = []int{len(in.Missing.Columns)}
	}
	return &version{model: m, label: strconv.Itoa(m.Version), image: in.Kind == data.Image, imputes: in.Missing != nil,
		shape: shape, width: data.ShapeSize(shape), classes: m.Predictor.Checkpoint.Classes}
}

// modelSet is what the server serves between two reloads.
type modelSet struct {
	// byName holds each model's versions, lowest first.
	byName map[string][]*version
	names  []string
}

func (s *modelSet) versions() []*version {
	var all []*version
	for _, n := range s.names {
		all = append(all, s.byName[n]...)
	}
	return all
}

// newModelSet checks models, drops those it cannot serve (naming them in
// the error) and describes the rest; it starts no worker.
func newModelSet(models []*Model) (*modelSet, error) {
	set := &modelSet{byName: map[string][]*version{}}
	var errs []error
	for _, m := range models {
		if err := checkModel(m); err != nil {
			errs = append(errs, err)
			continue
		}
		vs := set.byName[m.Name]
		if slices.ContainsFunc(vs, func(v *version) bool { return v.model.Version == m.Version }) {
			errs = append(errs, fmt.Errorf("model %q version %d is given twice; serving the first", m.Name, m.Version))
			continue
		}
		set.byName[m.Name] = append(vs, newVersion(m))
	}
	for name, vs := range set.byName {
		set.names = append(set.names, name)
		sort.Slice(vs, func(i, j int) bool { return vs[i].model.Version < vs[j].model.Version })
		labels := make([]string, len(vs))
		for i, v := range vs {
			labels[i] = v.label
		}
		for _, v := range vs {
			b, err := json.Marshal(v.describe(labels))
			if err != nil {
				return nil, fmt.Errorf("model %q version %d: %w", name, v.model.Version, err)
			}
			v.metadata = b
		}
	}
	sort.Strings(set.names)
	return set, errors.Join(errs...)
}

type tensorMetadata struct {
	Name     string `json:"name"`
	Datatype string `json:"datatype"`
	Shape    []int  `json:"shape"`
}

type modelMetadata struct {
	Name       string           `json:"name"`
	Versions   []string         `json:"versions"`
	Platform   string           `json:"platform"`
	Inputs     []tensorMetadata `json:"inputs"`
	Outputs    []tensorMetadata `json:"outputs"`
	Parameters json.RawMessage  `json:"parameters,omitempty"`
}

func (v *version) describe(versions []string) modelMetadata {
	k := len(v.classes)
	return modelMetadata{
		Name: v.model.Name, Versions: versions, Platform: "practica",
		Inputs: v.inputs(),
		Outputs: []tensorMetadata{
			{outProbabilities, FP32, []int{-1, k}},
			{outLogits, FP32, []int{-1, k}},
			{outPredicted, INT64, []int{-1}},
			{outClass, BYTES, []int{-1}},
		},
		Parameters: v.model.Card,
	}
}

func (v *version) inputs() []tensorMetadata {
	in := []tensorMetadata{{inputName, FP32, append([]int{-1}, v.shape...)}}
	if v.image {
		in = append(in, tensorMetadata{imageName, BYTES, []int{-1}})
	}
	return in
}

// takes describes the inputs for messages.
func (v *version) takes() string {
	var s []string
	for _, t := range v.inputs() {
		what := ""
		if t.Datatype == BYTES {
			what = ", base64 PNG or JPEG files"
		}
		s = append(s, fmt.Sprintf("%q (%s %v%s)", t.Name, t.Datatype, t.Shape, what))
	}
	return strings.Join(s, " or ")
}

// examples converts a request's one input to raw examples of the model,
// row-major: the FP32 tensor as it is, or each image of the BYTES tensor
// converted as predict converts an image file.
func (v *version) examples(req *InferRequest) ([]float32, int, error) {
	if len(req.Inputs) != 1 {
		return nil, 0, badRequest("the request has %d inputs, and the model takes one: %s", len(req.Inputs), v.takes())
	}
	t := req.Inputs[0]
	switch {
	case t.Name == inputName:
		return v.rows(t)
	case t.Name == imageName && v.image:
		return v.images(t)
	}
	return nil, 0, badRequest("unknown input %q: the model takes %s", t.Name, v.takes())
}

// rows checks an FP32 tensor of raw examples against the model's input.
func (v *version) rows(t Tensor) ([]float32, int, error) {
	if t.Datatype != FP32 {
		return nil, 0, badRequest("input %q: datatype %s, and the model takes FP32", t.Name, t.Datatype)
	}
	if len(t.Shape) != 1+len(v.shape) || !slices.Equal(t.Shape[1:], v.shape) {
		return nil, 0, badRequest("input %q: shape %v does not match the model's input %v", t.Name, t.Shape, append([]int{-1}, v.shape...))
	}
	n := t.Shape[0]
	if n == 0 {
		return nil, 0, badRequest("input %q: shape %v holds no examples", t.Name, t.Shape)
	}
	if !v.imputes {
		for i, x := range t.FP32 {
			if math.IsNaN(float64(x)) {
				return nil, 0, badRequest("input %q: element %d (example %d, feature %d) is null, and the model was trained without filling missing values: send a number", t.Name, i, i/v.width, i%v.width)
			}
		}
	}
	return t.FP32, n, nil
}

// images converts a BYTES tensor of base64 PNG or JPEG files.
func (v *version) images(t Tensor) ([]float32, int, error) {
	if t.Datatype != BYTES {
		return nil, 0, badRequest("input %q: datatype %s, and the model takes BYTES (base64 PNG or JPEG files)", t.Name, t.Datatype)
	}
	if len(t.Shape) != 1 {
		return nil, 0, badRequest("input %q: shape %v does not match the model's input [-1]", t.Name, t.Shape)
	}
	if t.Shape[0] == 0 {
		return nil, 0, badRequest("input %q: shape %v holds no examples", t.Name, t.Shape)
	}
	x := make([]float32, 0, len(t.Bytes)*v.width)
	for i, s := range t.Bytes {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, 0, badRequest("input %q: element %d is not standard base64: %v", t.Name, i, err)
		}
		ex, err := v.model.Predictor.ReadImageBytes(fmt.Sprintf("input %q element %d", t.Name, i), b)
		if err != nil {
			return nil, 0, badRequest("%v", err)
		}
		x = append(x, ex...)
	}
	return x, len(t.Bytes), nil
}

// selectOutputs checks the outputs a request asks for (nil: all).
func selectOutputs(asked []string) ([]string, error) {
	if asked == nil {
		return outputNames, nil
	}
	for _, name := range asked {
		if !slices.Contains(outputNames, name) {
			return nil, badRequest("unknown output %q: the model's outputs are %s", name, strings.Join(outputNames, ", "))
		}
	}
	return asked, nil
}
