package data

import (
	"bytes"
	_ "embed"
	"fmt"
)

// digitsCSV is the UCI optical-digits test set (see SOURCES.md): 1797 8×8
// images with integer pixels 0..16, one per row as px0_0..px7_7, and the
// class in the last column, digit.
//
//go:embed digits.csv.gz
var digitsCSV []byte

// DigitsSource is the Source name of the embedded digits.
const DigitsSource = "digits"

// Digits loads the embedded handwritten digits: 1797 images of shape
// [1 8 8], pixels 0..16 (RawMax 16), classes "0".."9".
func Digits() (*Dataset, error) {
	r, _, err := maybeGunzip(bytes.NewReader(digitsCSV), DigitsSource)
	if err != nil {
		return nil, err
	}
	d, err := readCSV(r, DigitsSource, CSVOptions{LabelColumn: "digit"})
	if err != nil {
		return nil, err
	}
	if d.SampleSize() != 64 || d.NumClasses() != 10 {
		return nil, fmt.Errorf("%s: embedded data has %d features and %d classes, want 64 and 10", DigitsSource, d.SampleSize(), d.NumClasses())
	}
	d.Kind = Image
	d.Shape = []int{1, 8, 8}
	d.RawMax = 16
	return d, nil
}
