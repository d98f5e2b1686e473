package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Setting is one leaf of the config: its dotted key, as in config.yaml
// (training.early_stopping.patience), and its value; nil for an unset
// optional value (training.early_stopping.baseline).
type Setting struct {
	Key   string
	Value any
}

// Settings lists every leaf key of e with its value, in the order of
// config.yaml. Lists (model.hidden) are leaves.
func Settings(e Experiment) []Setting {
	var out []Setting
	walk(reflect.ValueOf(e), "", &out)
	return out
}

func walk(v reflect.Value, prefix string, out *[]Setting) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		key := prefix + name
		fv := v.Field(i)
		ft := f.Type
		if ft.Kind() == reflect.Pointer && ft.Elem().Kind() != reflect.Struct {
			var val any
			if !fv.IsNil() {
				val = fv.Elem().Interface()
			}
			*out = append(*out, Setting{key, val})
			continue
		}
		if ft.Kind() == reflect.Struct {
			walk(fv, key+".", out)
			continue
		}
		*out = append(*out, Setting{key, fv.Interface()})
	}
}

// Get is the value of the dotted key in e, as Settings lists it.
func Get(e Experiment, key string) (any, error) {
	for _, s := range Settings(e) {
		if s.Key == key {
			return s.Value, nil
		}
	}
	return nil, fmt.Errorf("no config key %q", key)
}

// Change is a setting that differs between two configs.
type Change struct {
	Key  string `json:"key"`
	From any    `json:"from"`
	To   any    `json:"to"`
}

// Diff lists the settings that differ from a to b, in config order.
func Diff(a, b Experiment) []Change {
	before := Settings(a)
	var out []Change
	for i, s := range Settings(b) {
		if !reflect.DeepEqual(before[i].Value, s.Value) {
			out = append(out, Change{Key: s.Key, From: before[i].Value, To: s.Value})
		}
	}
	return out
}

// Keys are the keys of every setting, in config order.
func Keys() []string {
	var keys []string
	for _, s := range Settings(Default()) {
		keys = append(keys, s.Key)
	}
	return slices.Clip(keys)
}
