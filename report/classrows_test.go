package report

import (
	"reflect"
	"testing"
)

func TestClassRows(t *testing.T) {
	got := ClassRows([]string{"a", "b"}, [][]int{{3, 1}, {0, 0}}, []int{4, 0})
	want := []ClassRow{{Class: "a", Counts: []int{3, 0}, Shares: []float64{0.75, 0}}, {Class: "b", Counts: []int{1, 0}, Shares: []float64{0.25, 0}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
