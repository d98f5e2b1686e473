package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
)

// The tensor datatypes this server reads and writes, as the protocol
// spells them.
const (
	FP32  = "FP32"
	INT64 = "INT64"
	BYTES = "BYTES"
)

// maxElements bounds the element count a request's shape may announce
// before its data are counted: far above anything a body within the size
// limit holds, and low enough that products of dimensions cannot overflow.
const maxElements = 1 << 40

// RequestError is a request the server does not answer as asked: the
// client's mistake (4xx) or the server's state (503). Status is the HTTP
// status and Msg the message sent as {"error": Msg}.
type RequestError struct {
	Status int
	Msg    string
}

func (e *RequestError) Error() string { return e.Msg }

// badRequest is a 400 whose message says what was wrong and what was
// expected.
func badRequest(format string, args ...any) *RequestError {
	return &RequestError{Status: http.StatusBadRequest, Msg: fmt.Sprintf(format, args...)}
}

// InferRequest is a decoded inference request: its tensors checked for
// well-formed shapes and data, not yet against a model.
type InferRequest struct {
	// ID is echoed in the response ("" when the request gave none).
	ID     string
	Inputs []Tensor
	// Outputs are the names of the outputs asked for, in order; nil (no
	// "outputs", or an empty list) asks for every output.
	Outputs []string
}

// Tensor is one input tensor of a request, its data flattened in
// row-major order whether the request sent them flat or nested.
type Tensor struct {
	Name     string
	Datatype string
	Shape    []int
	// FP32 holds an FP32 tensor's elements; a JSON null is NaN (a
	// missing value, which only a model that imputes accepts).
	FP32 []float32
	// Bytes holds a BYTES tensor's elements, each JSON string decoded.
	Bytes []string
}

// The request as it is written in JSON. Unknown fields, and the
// parameters the protocol lets clients add, are read and ignored.
type inferRequestJSON struct {
	ID         *string         `json:"id"`
	Parameters json.RawMessage `json:"parameters"`
	Inputs     []inputJSON     `json:"inputs"`
	Outputs    []outputJSON    `json:"outputs"`
}

type inputJSON struct {
	Name       string          `json:"name"`
	Shape      []int64         `json:"shape"`
	Datatype   string          `json:"datatype"`
	Parameters json.RawMessage `json:"parameters"`
	Data       json.RawMessage `json:"data"`
}

type outputJSON struct {
	Name       string          `json:"name"`
	Parameters json.RawMessage `json:"parameters"`
}

// DecodeInferRequest decodes the JSON body of an inference request and
// checks what needs no model: at least one input, each with a name, a
// datatype this server reads (FP32 or BYTES), a shape, and data flat or
// nested exactly as the shape, holding as many elements as the shape's
// product, of the datatype's JSON kind; FP32 numbers within float32's
// range. Every error is a *RequestError with status 400.
func DecodeInferRequest(body []byte) (*InferRequest, error) {
	var w inferRequestJSON
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, jsonError(err)
	}
	if len(w.Inputs) == 0 {
		return nil, badRequest(`the request has no "inputs": give one tensor, such as {"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [...]}`)
	}
	req := &InferRequest{}
	if w.ID != nil {
		req.ID = *w.ID
	}
	seen := map[string]bool{}
	for i, in := range w.Inputs {
		if in.Name == "" {
			return nil, badRequest("inputs[%d] has no name", i)
		}
		if seen[in.Name] {
			return nil, badRequest("input %q is given twice", in.Name)
		}
		seen[in.Name] = true
		t, err := decodeTensor(in)
		if err != nil {
			return nil, err
		}
		req.Inputs = append(req.Inputs, t)
	}
	if len(w.Outputs) > 0 {
		asked := map[string]bool{}
		for i, o := range w.Outputs {
			switch {
			case o.Name == "":
				return nil, badRequest("outputs[%d] has no name", i)
			case asked[o.Name]:
				return nil, badRequest("output %q is asked for twice", o.Name)
			}
			asked[o.Name] = true
			req.Outputs = append(req.Outputs, o.Name)
		}
	}
	return req, nil
}

// jsonError says what is wrong with a body encoding/json refused, naming
// the request field when the JSON is well formed but of the wrong kind.
func jsonError(err error) *RequestError {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return badRequest("malformed JSON at byte %d of the body: %v", syntax.Offset, syntax)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the body"
		} else {
			field = fmt.Sprintf("request field %q", field)
		}
		return badRequest("%s is a JSON %s, want %s", field, typ.Value, jsonKind(typ.Type))
	}
	return badRequest("malformed JSON body: %v", err)
}

// jsonKind names the JSON a Go type reads, for messages.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return t.String()
}

// decodeTensor checks one input's datatype and shape and flattens its data.
func decodeTensor(in inputJSON) (Tensor, error) {
	t := Tensor{Name: in.Name, Datatype: in.Datatype}
	switch in.Datatype {
	case FP32, BYTES:
	case "":
		return t, badRequest("input %q has no datatype: want FP32 (or BYTES for encoded images)", in.Name)
	default:
		return t, badRequest("input %q: datatype %q is not one this server reads: want FP32 (or BYTES for encoded images)", in.Name, in.Datatype)
	}
	if len(in.Shape) == 0 {
		return t, badRequest("input %q has no shape: want [n, ...], n the number of examples", in.Name)
	}
	count := int64(1)
	for _, d := range in.Shape {
		if d < 0 {
			return t, badRequest("input %q: shape %v has a negative dimension", in.Name, in.Shape)
		}
		if d > 0 && count > maxElements/d {
			return t, badRequest("input %q: shape %v announces more than %d elements", in.Name, in.Shape, int64(maxElements))
		}
		count *= d
	}
	t.Shape = make([]int, len(in.Shape))
	for i, d := range in.Shape {
		t.Shape[i] = int(d)
	}
	if len(in.Data) == 0 {
		return t, badRequest("input %q has no data", in.Name)
	}
	d := dataScanner{b: in.Data, tensor: &t, room: min(int(count), len(in.Data))}
	if err := d.read(); err != nil {
		return t, err
	}
	if n := int64(d.count); n != count {
		return t, badRequest("input %q: data hold %d elements, and shape %v needs %d", in.Name, n, t.Shape, count)
	}
	return t, nil
}

// dataScanner flattens a tensor's data, well-formed JSON (encoding/json
// checked it): an array of scalars (row-major), or arrays nested exactly
// as the shape.
type dataScanner struct {
	b      []byte
	i      int
	tensor *Tensor
	// room is the capacity to allocate: the elements the shape announces,
	// but no more than the data's bytes could hold.
	room  int
	count int
}

func (d *dataScanner) read() error {
	d.space()
	if d.peek() != '[' {
		return badRequest("input %q: data must be an array of elements (flat, or nested as the shape), got %s", d.tensor.Name, d.kind())
	}
	if d.tensor.Datatype == FP32 {
		d.tensor.FP32 = make([]float32, 0, d.room)
	} else {
		d.tensor.Bytes = make([]string, 0, d.room)
	}
	if d.startsWithArray() {
		return d.nested(0)
	}
	return d.flat()
}

// startsWithArray tells whether the array at d.i has an array as its
// first element: the data are nested.
func (d *dataScanner) startsWithArray() bool {
	j := d.i + 1
	for j < len(d.b) && isSpace(d.b[j]) {
		j++
	}
	return j < len(d.b) && d.b[j] == '['
}

// flat reads an array of scalars.
func (d *dataScanner) flat() error {
	return d.array(func() error {
		if d.peek() == '[' {
			return badRequest("input %q: data mix arrays and elements; send them flat or nested exactly as the shape %v", d.tensor.Name, d.tensor.Shape)
		}
		return d.scalar()
	})
}

// nested reads the array at dimension dim of the shape: shape[dim]
// elements, arrays down to the last dimension, scalars there.
func (d *dataScanner) nested(dim int) error {
	shape := d.tensor.Shape
	if dim >= len(shape) {
		return badRequest("input %q: data are nested deeper than the shape %v", d.tensor.Name, shape)
	}
	if d.peek() != '[' {
		return badRequest("input %q: data nested as the shape %v need an array at depth %d, got %s", d.tensor.Name, shape, dim+1, d.kind())
	}
	n := 0
	err := d.array(func() error {
		n++
		if dim == len(shape)-1 {
			if d.peek() == '[' {
				return badRequest("input %q: data are nested deeper than the shape %v", d.tensor.Name, shape)
			}
			return d.scalar()
		}
		return d.nested(dim + 1)
	})
	if err != nil {
		return err
	}
	if n != shape[dim] {
		return badRequest("input %q: data nested as the shape %v hold an array of %d elements at depth %d, want %d", d.tensor.Name, shape, n, dim+1, shape[dim])
	}
	return nil
}

// array reads the array at d.i, calling each for each element with d.i
// at its first byte.
func (d *dataScanner) array(each func() error) error {
	d.i++ // '['
	d.space()
	if d.peek() == ']' {
		d.i++
		d.space()
		return nil
	}
	for {
		d.space()
		if err := each(); err != nil {
			return err
		}
		d.space()
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			d.space()
			return nil
		default:
			return badRequest("input %q: malformed data at byte %d", d.tensor.Name, d.i)
		}
	}
}

// scalar reads one element of the tensor's datatype.
func (d *dataScanner) scalar() error {
	t := d.tensor
	switch c := d.peek(); {
	case t.Datatype == FP32 && c == 'n' && d.literal("null"):
		t.FP32 = append(t.FP32, float32(math.NaN()))
	case t.Datatype == FP32 && (c == '-' || c >= '0' && c <= '9'):
		j := d.i
		for j < len(d.b) && strings.IndexByte("+-.0123456789eE", d.b[j]) >= 0 {
			j++
		}
		text := string(d.b[d.i:j])
		// Parsed as the CSV reader parses a cell (float64, then rounded to
		// float32), so that a row sent here is the row predict reads.
		v, err := strconv.ParseFloat(text, 64)
		f := float32(v)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return badRequest("input %q: element %d is %q, not a number", t.Name, d.count, text)
		}
		if math.IsInf(float64(f), 0) {
			return badRequest("input %q: element %d is %s, beyond the FP32 range (±3.4e38)", t.Name, d.count, text)
		}
		t.FP32 = append(t.FP32, f)
		d.i = j
	case t.Datatype == BYTES && c == '"':
		s, err := d.str()
		if err != nil {
			return err
		}
		t.Bytes = append(t.Bytes, s)
	case t.Datatype == FP32:
		return badRequest("input %q: element %d is %s, want a number (or null for a missing value)", t.Name, d.count, d.kind())
	default:
		return badRequest("input %q: element %d is %s, want a string (BYTES)", t.Name, d.count, d.kind())
	}
	d.count++
	return nil
}

// str reads the JSON string at d.i.
func (d *dataScanner) str() (string, error) {
	j, escaped := d.i+1, false
	for j < len(d.b) && d.b[j] != '"' {
		if d.b[j] == '\\' {
			escaped = true
			j++
		}
		j++
	}
	if j >= len(d.b) {
		return "", badRequest("input %q: element %d is an unterminated string", d.tensor.Name, d.count)
	}
	raw := d.b[d.i : j+1]
	d.i = j + 1
	if !escaped {
		return string(raw[1 : len(raw)-1]), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", badRequest("input %q: element %d is a malformed string: %v", d.tensor.Name, d.count, err)
	}
	return s, nil
}

// literal consumes word at d.i, if it is there.
func (d *dataScanner) literal(word string) bool {
	if !strings.HasPrefix(string(d.b[d.i:min(len(d.b), d.i+len(word))]), word) {
		return false
	}
	d.i += len(word)
	return true
}

// kind names the JSON value at d.i, for messages.
func (d *dataScanner) kind() string {
	switch c := d.peek(); {
	case c == '[':
		return "an array"
	case c == '{':
		return "an object"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == 0:
		return "nothing"
	}
	return "a number"
}

func (d *dataScanner) peek() byte {
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

func (d *dataScanner) space() {
	for d.i < len(d.b) && isSpace(d.b[d.i]) {
		d.i++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
