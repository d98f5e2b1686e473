package data_test

import (
	"fmt"

	"github.com/practica-ml/practica/data"
)

func ExampleOpen() {
	src, err := data.Open("digits", data.OpenOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	d := src.Train
	fmt.Println(d.Len(), "examples of shape", d.Shape, "in", d.NumClasses(), "classes")
	// Output: 1797 examples of shape [1 8 8] in 10 classes
}
