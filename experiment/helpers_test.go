package experiment

import (
	"fmt"
	"testing"

	"github.com/practica-ml/practica/setup"

	"github.com/practica-ml/practica/model"
	"github.com/practica-ml/practica/train"
)

func fmtSscan(s string, v *float64) (int, error) { return fmt.Sscan(s, v) }

// evalCheckpoint rebuilds a checkpoint's model and returns its validation
// loss on p's validation split.
func evalCheckpoint(t *testing.T, path string, p *setup.Prepared) float64 {
	t.Helper()
	c, err := model.LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(c.Spec, c.Input.Shape, len(c.Classes), model.Options{TrainBatch: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetTensors(c.Tensors); err != nil {
		t.Fatal(err)
	}
	ev, err := train.Evaluate(m, p.Splits.Val)
	if err != nil {
		t.Fatal(err)
	}
	return ev.Loss
}
