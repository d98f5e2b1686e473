package train

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestReadMetricsRoundTrip(t *testing.T) {
	in := []EpochMetrics{
		{Epoch: 1, Step: 12, TrainLoss: 2.302585092994046, TrainEvalLoss: 1.5, ValLoss: 1.25, ValAccuracy: 0.5, LR: 1e-3, Seconds: 0.125, StepSeconds: 0.1},
		{Epoch: 2, Step: 24, TrainLoss: 0.1, TrainEvalLoss: 0.2, ValLoss: 0.3, ValAccuracy: 1, LR: 3.3e-4, Seconds: 1.5, StepSeconds: 1.25},
	}
	got, err := ReadMetrics(strings.NewReader(FormatMetrics(in)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, in) {
		t.Errorf("round trip: got %+v, want %+v", got, in)
	}
}

// A metrics.csv written before step_seconds was recorded (a run resumed
// across the change, a run directory read by eval) reads with StepSeconds 0.
func TestReadMetricsWithoutStepSeconds(t *testing.T) {
	old := "epoch,step,train_loss,train_eval_loss,val_loss,val_accuracy,lr,seconds\n1,12,2.5,1.5,1.25,0.5,0.001,0.125\n"
	got, err := ReadMetrics(strings.NewReader(old))
	if err != nil {
		t.Fatal(err)
	}
	want := []EpochMetrics{{Epoch: 1, Step: 12, TrainLoss: 2.5, TrainEvalLoss: 1.5, ValLoss: 1.25, ValAccuracy: 0.5, LR: 1e-3, Seconds: 0.125}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	mixed := old + "2,24,1,1,1,1,0.001,0.5,0.25\n"
	if _, err := ReadMetrics(strings.NewReader(mixed)); err == nil || !strings.Contains(err.Error(), "wrong number of fields") {
		t.Errorf("a step_seconds field under the old header: got %v, want wrong number of fields", err)
	}
}

func TestReadMetricsRejects(t *testing.T) {
	cases := []struct{ name, csv, want string }{
		{"empty", "", "line 1: want the header"},
		{"wrong header", "epoch,loss\n1,2\n", "line 1: want the header"},
		{"short row", MetricsHeader + "\n1,2,3\n", "wrong number of fields"},
		{"not a number", MetricsHeader + "\n1,12,x,1,1,1,0.001,0.5,0.25\n", "line 2:"},
		{"step_seconds not a number", MetricsHeader + "\n1,12,1,1,1,1,0.001,0.5,x\n", "line 2:"},
	}
	for _, c := range cases {
		_, err := ReadMetrics(strings.NewReader(c.csv))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

// FuzzReadMetrics: whatever it is given, ReadMetrics returns rows or an
// error, and rows it accepts format back to a file it reads the same.
func FuzzReadMetrics(f *testing.F) {
	f.Add(FormatMetrics([]EpochMetrics{{Epoch: 1, Step: 3, TrainLoss: 1, TrainEvalLoss: 1, ValLoss: 1, ValAccuracy: 0.5, LR: 1e-3, Seconds: 1}}))
	f.Add(MetricsHeader + "\n")
	f.Add(MetricsHeader + "\n1,2,NaN,Inf,-Inf,0,1e-3,0.001,0.001\n")
	f.Add("epoch,step,train_loss,train_eval_loss,val_loss,val_accuracy,lr,seconds\n1,2,NaN,Inf,-Inf,0,1e-3,0.001\n")
	f.Add("epoch\n\"1\n")
	f.Fuzz(func(t *testing.T, s string) {
		rows, err := ReadMetrics(strings.NewReader(s))
		if err != nil {
			return
		}
		again, err := ReadMetrics(strings.NewReader(FormatMetrics(rows)))
		if err != nil {
			t.Fatalf("re-reading formatted rows: %v", err)
		}
		if len(again) != len(rows) {
			t.Fatalf("%d rows, then %d", len(rows), len(again))
		}
		for i := range rows {
			a, b := rows[i], again[i]
			if a.Epoch != b.Epoch || a.Step != b.Step || !same(a.ValLoss, b.ValLoss) || !same(a.TrainLoss, b.TrainLoss) {
				t.Fatalf("row %d: %+v, then %+v", i, a, b)
			}
		}
	})
}

func same(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
