package search

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"slices"
	"sort"

	"go.yaml.in/yaml/v3"

	"github.com/practica-ml/practica/config"
)

// Methods of a search.
const (
	Grid    = "grid"
	Random  = "random"
	Halving = "halving"
)

// Metrics a search ranks trials by: val_loss is minimized, val_accuracy
// maximized.
const (
	ValLoss     = "val_loss"
	ValAccuracy = "val_accuracy"
)

// Kinds of a parameter's distribution.
const (
	LogUniform = "log_uniform"
	Uniform    = "uniform"
	IntUniform = "int_uniform"
	Choice     = "choice"
)

// Space is a search space as SPACE.yaml declares it.
type Space struct {
	Method string `json:"method"`
	// Trials is the number of trials of random and halving; grid's is the
	// size of the cartesian product.
	Trials int    `json:"trials"`
	Seed   uint64 `json:"seed"`
	Metric string `json:"metric"`
	// Params are sorted by key, whatever their order in the file.
	Params  []Param       `json:"params"`
	Halving *HalvingRungs `json:"halving,omitempty"`
}

// Param is one searched config key and its distribution.
type Param struct {
	Key  string `json:"key"`
	Kind string `json:"kind"`
	// Lo and Hi bound log_uniform, uniform and int_uniform (inclusive).
	Lo float64 `json:"lo,omitempty"`
	Hi float64 `json:"hi,omitempty"`
	// Choices are choice's values, as YAML decodes them.
	Choices []any `json:"choices,omitempty"`
}

// HalvingRungs are successive halving's rungs: rung r trains to
// MinEpochs·Eta^r epochs, capped at MaxEpochs.
type HalvingRungs struct {
	MinEpochs int `json:"min_epochs" yaml:"min_epochs"`
	MaxEpochs int `json:"max_epochs" yaml:"max_epochs"`
	Eta       int `json:"eta" yaml:"eta"`
}

// spaceFile is SPACE.yaml as written.
type spaceFile struct {
	Method  string                          `yaml:"method"`
	Trials  int                             `yaml:"trials"`
	Seed    uint64                          `yaml:"seed"`
	Metric  string                          `yaml:"metric"`
	Params  map[string]map[string]yaml.Node `yaml:"params"`
	Halving *HalvingRungs                   `yaml:"halving"`
}

// ParseSpace reads and validates SPACE.yaml. Every error names the file
// and the key at fault, and comes before anything runs.
func ParseSpace(path string) (*Space, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, err := parseSpace(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func parseSpace(b []byte) (*Space, error) {
	var f spaceFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty search space: want method, metric and params")
		}
		return nil, err
	}
	s := &Space{Method: f.Method, Trials: f.Trials, Seed: f.Seed, Metric: f.Metric, Halving: f.Halving}
	switch f.Method {
	case Grid, Random, Halving:
	default:
		return nil, fmt.Errorf("method must be grid, random or halving, got %q", f.Method)
	}
	if f.Metric != ValLoss && f.Metric != ValAccuracy {
		return nil, fmt.Errorf("metric must be val_loss or val_accuracy, got %q", f.Metric)
	}
	if len(f.Params) == 0 {
		return nil, errors.New("params must name at least one config key")
	}
	keys := make([]string, 0, len(f.Params))
	for k := range f.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p, err := parseParam(k, f.Params[k])
		if err != nil {
			return nil, err
		}
		if s.Method == Grid && p.Kind != Choice {
			return nil, fmt.Errorf("params.%s: grid takes choice lists only, got %s", k, p.Kind)
		}
		s.Params = append(s.Params, p)
	}
	switch s.Method {
	case Grid:
		if f.Trials != 0 {
			return nil, fmt.Errorf("trials: grid runs every combination of its choices (%d); leave trials out", s.gridSize())
		}
		if s.Trials = s.gridSize(); s.Trials > 100000 {
			return nil, fmt.Errorf("params: the grid has more than 100000 combinations")
		}
	default:
		if f.Trials < 1 || f.Trials > 100000 {
			return nil, fmt.Errorf("trials must be in [1, 100000] for %s, got %d", s.Method, f.Trials)
		}
	}
	if s.Method == Halving {
		h := f.Halving
		switch {
		case h == nil:
			return nil, errors.New("halving: method halving needs a halving block {min_epochs, max_epochs, eta}")
		case h.MinEpochs < 1:
			return nil, fmt.Errorf("halving.min_epochs must be >= 1, got %d", h.MinEpochs)
		case h.MaxEpochs < h.MinEpochs:
			return nil, fmt.Errorf("halving.max_epochs must be >= halving.min_epochs (%d), got %d", h.MinEpochs, h.MaxEpochs)
		case h.MaxEpochs > 1_000_000:
			return nil, fmt.Errorf("halving.max_epochs must be <= 1000000, got %d", h.MaxEpochs)
		case h.Eta < 2:
			return nil, fmt.Errorf("halving.eta must be >= 2, got %d", h.Eta)
		}
		for _, p := range s.Params {
			if p.Key == "training.epochs" {
				return nil, errors.New("params.training.epochs: halving sets each rung's epochs itself")
			}
		}
	} else if f.Halving != nil {
		return nil, fmt.Errorf("halving: applies to method halving only, not %s", s.Method)
	}
	return s, nil
}

// parseParam reads one entry of params: a map with exactly one of
// log_uniform, uniform, int_uniform or choice.
func parseParam(key string, dist map[string]yaml.Node) (Param, error) {
	p := Param{Key: key}
	name := "params." + key
	typ, err := config.TypeOf(key)
	if err != nil {
		return p, fmt.Errorf("%s: %q names no config key (see train --help or a run's config.yaml)", name, key)
	}
	if key == "training.seed" || key == "output.root" || key == "output.name" {
		return p, fmt.Errorf("%s: set by the search itself, not searchable", name)
	}
	if len(dist) != 1 {
		return p, fmt.Errorf("%s: want exactly one of log_uniform, uniform, int_uniform or choice, got %d entries", name, len(dist))
	}
	for kind, node := range dist {
		p.Kind = kind
		switch kind {
		case LogUniform, Uniform, IntUniform:
			var r []float64
			if err := node.Decode(&r); err != nil || len(r) != 2 {
				return p, fmt.Errorf("%s.%s: want [lo, hi], two numbers (line %d)", name, kind, node.Line)
			}
			p.Lo, p.Hi = r[0], r[1]
			if math.IsNaN(p.Lo) || math.IsNaN(p.Hi) || math.IsInf(p.Lo, 0) || math.IsInf(p.Hi, 0) {
				return p, fmt.Errorf("%s.%s: bounds must be finite, got [%v, %v]", name, kind, p.Lo, p.Hi)
			}
			if p.Lo >= p.Hi {
				return p, fmt.Errorf("%s.%s: empty or inverted range [%v, %v]: want lo < hi", name, kind, p.Lo, p.Hi)
			}
			if kind == LogUniform && p.Lo <= 0 {
				return p, fmt.Errorf("%s.%s: lo must be > 0 on a log scale, got %v", name, kind, p.Lo)
			}
			isFloat := typ.Kind() == reflect.Float32 || typ.Kind() == reflect.Float64
			isInt := slices.Contains([]reflect.Kind{reflect.Int, reflect.Int64, reflect.Uint64, reflect.Uint, reflect.Int32}, typ.Kind())
			switch {
			case kind == IntUniform && !isInt:
				return p, fmt.Errorf("%s.%s: %s is a %s, not a whole number: use uniform or choice", name, kind, key, typ)
			case kind == IntUniform && (p.Lo != math.Trunc(p.Lo) || p.Hi != math.Trunc(p.Hi)):
				return p, fmt.Errorf("%s.%s: bounds must be whole numbers, got [%v, %v]", name, kind, p.Lo, p.Hi)
			case kind != IntUniform && !isFloat:
				return p, fmt.Errorf("%s.%s: %s is a %s, not a number: use int_uniform or choice", name, kind, key, typ)
			}
			for _, v := range []float64{p.Lo, p.Hi} {
				if err := checkValue(key, p.value(v)); err != nil {
					return p, fmt.Errorf("%s.%s: %w", name, kind, err)
				}
			}
		case Choice:
			if err := node.Decode(&p.Choices); err != nil || len(p.Choices) == 0 {
				return p, fmt.Errorf("%s.choice: want a non-empty list of values (line %d)", name, node.Line)
			}
			for i, v := range p.Choices {
				if err := checkValue(key, v); err != nil {
					return p, fmt.Errorf("%s.choice[%d]: %w", name, i, err)
				}
			}
		default:
			return p, fmt.Errorf("%s: unknown distribution %q: want log_uniform, uniform, int_uniform or choice", name, kind)
		}
	}
	return p, nil
}

// value is a sampled number as the key takes it: a whole number for
// int_uniform.
func (p Param) value(v float64) any {
	if p.Kind == IntUniform {
		return int(v)
	}
	return v
}

// checkValue reports a value the key cannot hold: of the wrong type, or
// out of what the config accepts for it.
func checkValue(key string, v any) error {
	e := config.Default()
	if err := config.Set(&e, key, v); err != nil {
		return err
	}
	// The defaults are valid, so whatever Validate finds is this value's.
	return e.Validate()
}

// gridSize is the number of combinations of the choices.
func (s *Space) gridSize() int {
	n := 1
	for _, p := range s.Params {
		n *= len(p.Choices)
		if n > 100000 {
			return n
		}
	}
	return n
}

// Canonical is the space's content independent of how the file spells
// it (key order, comments, number formats): two files with the same
// canonical content are the same search.
func (s *Space) Canonical() []byte {
	b, err := json.Marshal(s)
	if err != nil {
		// Every field is a plain value that YAML decoded.
		return []byte(fmt.Sprint(s))
	}
	return b
}

// Maximize reports whether a larger metric is better.
func (s *Space) Maximize() bool { return s.Metric == ValAccuracy }

// Better reports whether metric a beats b; a NaN is never better, so a
// trial without a metric ranks last.
func (s *Space) Better(a, b float64) bool {
	if math.IsNaN(a) {
		return false
	}
	if math.IsNaN(b) {
		return true
	}
	if s.Maximize() {
		return a > b
	}
	return a < b
}
