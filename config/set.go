package config

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/practica-ml/practica/internal/setting"
)

// Set sets the dotted key (as Settings lists it) of e to value, a value
// as YAML decodes it (int, float64, string, bool, a list of them). The
// value is checked against the key's type exactly as a config file's is,
// so that 2.5 for an integer key or a string for a number is an error
// naming the key, never a silent truncation.
func Set(e *Experiment, key string, value any) error {
	field, err := fieldOf(reflect.ValueOf(e).Elem(), key)
	if err != nil {
		return err
	}
	var n yaml.Node
	if err := n.Encode(value); err != nil {
		return setting.Errorf(key, "cannot take %v: %v", value, err)
	}
	if err := checkTypes(&n, field.Type(), key); err != nil {
		return err
	}
	fresh := reflect.New(field.Type())
	if err := n.Decode(fresh.Interface()); err != nil {
		return setting.Errorf(key, "cannot take %v: %v", value, err)
	}
	field.Set(fresh.Elem())
	return nil
}

// TypeOf is the Go type of the dotted key's value (for an optional value,
// the type it points to).
func TypeOf(key string) (reflect.Type, error) {
	e := Default()
	field, err := fieldOf(reflect.ValueOf(&e).Elem(), key)
	if err != nil {
		return nil, err
	}
	t := field.Type()
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t, nil
}

// fieldOf is the settable leaf field of v named by the dotted key: the
// same leaves as Settings (a struct behind a pointer is walked into, any
// other pointer is a leaf).
func fieldOf(v reflect.Value, key string) (reflect.Value, error) {
	parts := strings.Split(key, ".")
	for i, part := range parts {
		for v.Kind() == reflect.Pointer && v.Type().Elem().Kind() == reflect.Struct {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return reflect.Value{}, fmt.Errorf("no config key %q", key)
		}
		next, ok := namedField(v, part)
		if !ok {
			return reflect.Value{}, fmt.Errorf("no config key %q", key)
		}
		v = next
		leaf := v.Kind() != reflect.Struct && !(v.Kind() == reflect.Pointer && v.Type().Elem().Kind() == reflect.Struct)
		if leaf != (i == len(parts)-1) {
			return reflect.Value{}, fmt.Errorf("no config key %q", key)
		}
	}
	return v, nil
}

// namedField is the exported field of the struct v whose YAML name is name.
func namedField(v reflect.Value, name string) (reflect.Value, bool) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if f.IsExported() && tag == name && tag != "-" {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}
