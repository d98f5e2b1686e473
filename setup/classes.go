package setup

import (
	"slices"
	"strings"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/internal/setting"
)

// keepClasses keeps only the examples of the classes data.classes names in
// src, relabelled to those classes in the source's order.
func keepClasses(src *data.Source, names []string, source string) error {
	classes := src.Train.Classes
	for _, n := range names {
		if !slices.Contains(classes, n) {
			return setting.Errorf("data.classes", "names %q, which is not a class of %s; its classes are %s", n, source, strings.Join(classes, ", "))
		}
	}
	var kept []string
	for _, c := range classes {
		if slices.Contains(names, c) {
			kept = append(kept, c)
		}
	}
	filter := func(d *data.Dataset) *data.Dataset {
		to := make([]int, len(d.Classes))
		for i, c := range d.Classes {
			to[i] = slices.Index(kept, c)
		}
		var idx []int
		for i, y := range d.Y {
			if to[y] >= 0 {
				idx = append(idx, i)
			}
		}
		out := d.Subset(idx)
		for i, y := range out.Y {
			out.Y[i] = to[y]
		}
		out.Classes, out.DroppedRows, out.Unlabeled = slices.Clone(kept), d.DroppedRows, d.Unlabeled
		return out
	}
	src.Train = filter(src.Train)
	if src.Test != nil {
		src.Test = filter(src.Test)
	}
	return nil
}
