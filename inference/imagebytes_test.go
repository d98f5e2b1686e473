package inference

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/model"
)

// TestReadImageBytesIsReadImages: a PNG or JPEG sent as bytes becomes the
// example predict makes of the file holding them, bit for bit, for grey
// and colour models, and is refused alike (over the limits, not an image,
// a tabular model) with the name given in the message.
func TestReadImageBytesIsReadImages(t *testing.T) {
	grey := image.NewGray(image.Rect(0, 0, 20, 12))
	colour := image.NewRGBA(image.Rect(0, 0, 9, 9))
	for y := range 20 {
		for x := range 20 {
			grey.SetGray(x, y, color.Gray{Y: uint8(13*x + 7*y)})
			colour.Set(x, y, color.RGBA{uint8(28 * x), uint8(28 * y), 200, 255})
		}
	}
	encode := func(img image.Image, asJPEG bool) []byte {
		var buf bytes.Buffer
		var err error
		if asJPEG {
			err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
		} else {
			err = png.Encode(&buf, img)
		}
		if err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	digits := model.InputSchema{Kind: data.Image, Shape: []int{1, 8, 8}, RawMax: 16}
	rgb := model.InputSchema{Kind: data.Image, Shape: []int{3, 6, 6}, RawMax: 255}
	tabular := model.InputSchema{Kind: data.Tabular, Shape: []int{4}}
	cases := []struct {
		name    string
		input   model.InputSchema
		limits  data.Limits
		file    []byte
		wantErr string
		// wantFirst is the first value of the example: for the grey PNG,
		// pixels 13x+7y averaged over x in [0, 2.5) and y in [0, 1.5) is
		// 12.733, times 16/255.
		wantFirst float32
	}{
		{"grey PNG, grey model", digits, data.Limits{}, encode(grey, false), "", 0.7989543},
		{"grey JPEG, grey model", digits, data.Limits{}, encode(grey, true), "", 0.80732036},
		{"colour PNG, grey model", digits, data.Limits{}, encode(colour, false), "", 1.6035417},
		{"colour JPEG, colour model", rgb, data.Limits{}, encode(colour, true), "", 11.558582},
		{"over the pixel limit", digits, data.Limits{MaxImagePixels: 100}, encode(grey, false), "20×12 pixels, more than the 100", 0},
		{"not an image", digits, data.Limits{}, []byte("name,age\n"), "cannot decode image", 0},
		{"tabular model", tabular, data.Limits{}, encode(grey, false), "this model takes tabular rows, not images", 0},
	}
	dir := t.TempDir()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &Predictor{Checkpoint: &model.Checkpoint{Input: tc.input, Classes: []string{"a", "b"}}, Limits: tc.limits}
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".png")
			if err := os.WriteFile(path, tc.file, 0o644); err != nil {
				t.Fatal(err)
			}
			x, err := p.ReadImageBytes("image 3", tc.file)
			in, fileErr := p.ReadImages([]string{path})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "image 3: ") {
					t.Fatalf("err = %v, want one naming image 3 and saying %q", err, tc.wantErr)
				}
				if fileErr == nil || strings.ReplaceAll(fileErr.Error(), path, "image 3") != err.Error() {
					t.Fatalf("the file's error %v, the bytes' %v", fileErr, err)
				}
				return
			}
			if err != nil || fileErr != nil {
				t.Fatalf("bytes: %v; file: %v", err, fileErr)
			}
			if len(x) != data.ShapeSize(tc.input.Shape) || len(in.X) != len(x) {
				t.Fatalf("%d values from the bytes, %d from the file, want %d", len(x), len(in.X), data.ShapeSize(tc.input.Shape))
			}
			for i := range x {
				if math.Float32bits(x[i]) != math.Float32bits(in.X[i]) {
					t.Fatalf("value %d: %v from the bytes, %v from the file", i, x[i], in.X[i])
				}
			}
			if x[0] != tc.wantFirst {
				t.Errorf("first value %v, want %v", x[0], tc.wantFirst)
			}
		})
	}
}
