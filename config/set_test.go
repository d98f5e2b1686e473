package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestSet(t *testing.T) {
	for _, tc := range []struct {
		key     string
		value   any
		want    any
		wantErr string
	}{
		{key: "optimizer.lr", value: 0.003, want: 0.003},
		{key: "optimizer.lr", value: 1, want: 1.0},
		{key: "model.dropout", value: 0.25, want: 0.25},
		{key: "training.batch_size", value: 64, want: 64},
		{key: "training.seed", value: 12345, want: uint64(12345)},
		{key: "model.hidden", value: []any{256, 128}, want: []int{256, 128}},
		{key: "model.arch", value: "mlp", want: "mlp"},
		{key: "model.batch_norm", value: true, want: true},
		{key: "training.early_stopping.baseline", value: 0.5, want: 0.5},
		{key: "data.augment.noise", value: 0.1, want: float32(0.1)},
		{key: "training.batch_size", value: 2.5, wantErr: "training.batch_size must be a whole number"},
		{key: "optimizer.lr", value: "fast", wantErr: "optimizer.lr must be a number"},
		{key: "model.hidden", value: 128, wantErr: "model.hidden must be a list"},
		{key: "optimizer.rate", value: 0.1, wantErr: `no config key "optimizer.rate"`},
		{key: "optimizer", value: 0.1, wantErr: `no config key "optimizer"`},
		{key: "optimizer.lr.x", value: 0.1, wantErr: `no config key "optimizer.lr.x"`},
	} {
		t.Run(tc.key, func(t *testing.T) {
			e := Default()
			err := Set(&e, tc.key, tc.value)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Set(%s, %v) = %v, want an error with %q", tc.key, tc.value, err, tc.wantErr)
				}
				if !reflect.DeepEqual(e, Default()) {
					t.Fatalf("a refused Set changed the config: %v", Diff(Default(), e))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := Get(e, tc.key)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("after Set(%s, %v), Get = %#v, want %#v", tc.key, tc.value, got, tc.want)
			}
			if d := Diff(Default(), e); len(d) > 1 || (len(d) == 1 && d[0].Key != tc.key) {
				t.Fatalf("Set(%s) changed other keys: %v", tc.key, d)
			}
		})
	}
}

func TestTypeOf(t *testing.T) {
	for key, want := range map[string]reflect.Kind{"optimizer.lr": reflect.Float64, "training.batch_size": reflect.Int,
		"model.hidden": reflect.Slice, "training.early_stopping.baseline": reflect.Float64, "model.arch": reflect.String} {
		got, err := TypeOf(key)
		if err != nil || got.Kind() != want {
			t.Errorf("TypeOf(%s) = %v, %v, want %v", key, got, err, want)
		}
	}
	if _, err := TypeOf("nope"); err == nil {
		t.Error("TypeOf(nope) = nil error")
	}
}
