package model

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/practica-ml/practica/data"
)

// TestInputSchemaCSVOptions: a schema without the CSV options encodes
// without their keys, byte for byte as checkpoints did before they
// existed, so old checkpoints load with none set; one with them keeps
// them through a save and a load.
func TestInputSchemaCSVOptions(t *testing.T) {
	tensors := []Tensor{{Name: "w", Shape: []int{2}, Data: []float32{1, 2}}}
	plain := &Checkpoint{Input: InputSchema{Kind: data.Tabular, Shape: []int{2}, FeatureNames: []string{"a", "b"}, LabelColumn: "y"},
		Classes: []string{"n", "y"}, Tensors: tensors}
	b, err := plain.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	const before = `"input":{"kind":"tabular","shape":[2],"feature_names":["a","b"],"label_column":"y"},"classes"`
	if !bytes.Contains(b, []byte(before)) {
		t.Fatalf("the schema without CSV options is not encoded as before: %s", b)
	}
	got, err := UnmarshalCheckpoint(b)
	if err != nil {
		t.Fatal(err)
	}
	if in := got.Input; in.Delimiter != "" || in.IgnoredColumns != nil || in.Missing != nil {
		t.Errorf("options from an old schema: %+v", in)
	}
	with := *plain
	with.Input.Shape = []int{3}
	with.Input.Delimiter, with.Input.IgnoredColumns = ";", []string{"id", "when"}
	with.Input.Missing = &data.Imputation{Rule: data.MissingMedian, Columns: []string{"a", "b"}, Fill: []float32{0.5, -2}, Indicators: []int{1}}
	b, err = with.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if got, err = UnmarshalCheckpoint(b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Input, with.Input) {
		t.Errorf("schema %+v (missing %+v), want %+v (missing %+v)", got.Input, got.Input.Missing, with.Input, with.Input.Missing)
	}
}
