package feasibility

import (
	"slices"
	"testing"
)

func TestStepTicks(t *testing.T) {
	cases := []struct {
		lo, hi float64
		labels []string
	}{
		{0, 5, []string{"0", "1", "2", "3", "4", "5"}},
		{0, 28, []string{"0", "5", "10", "15", "20", "25"}},
		{0, 300, []string{"0", "50", "100", "150", "200", "250", "300"}},
		{0, 1, []string{"0", "1"}},
	}
	for _, c := range cases {
		var got []string
		for _, tk := range (stepTicks{}).Ticks(c.lo, c.hi) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if !slices.Equal(got, c.labels) {
			t.Errorf("ticks on [%v, %v]: %v, want %v", c.lo, c.hi, got, c.labels)
		}
	}
}
