package data

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"path/filepath"
	"slices"
	"testing"
)

func TestReadImageFolder(t *testing.T) {
	grey := func(v uint8) []byte {
		return pngBytes(t, greyImage(8, 8, func(x, y int) uint8 { return v }))
	}
	rgb := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for y := range 8 {
		for x := range 8 {
			rgb.Set(x, y, color.RGBA{200, 100, 50, 255})
		}
	}
	t.Run("grey", func(t *testing.T) {
		root := t.TempDir()
		writeFile(t, root, "zebra/1.png", grey(10))
		writeFile(t, root, "zebra/2.PNG", grey(20))
		writeFile(t, root, "apple/1.png", grey(30))
		writeFile(t, root, "apple/notes.txt", []byte("ignored"))
		writeFile(t, root, ".hidden/1.png", grey(40))
		src, err := Open(root, OpenOptions{ImageSize: 4})
		if err != nil {
			t.Fatal(err)
		}
		d := src.Train
		if !slices.Equal(d.Classes, []string{"apple", "zebra"}) || !slices.Equal(d.Shape, []int{1, 4, 4}) || d.RawMax != 255 || d.Kind != Image {
			t.Fatalf("classes %q shape %v RawMax %v kind %s", d.Classes, d.Shape, d.RawMax, d.Kind)
		}
		if !slices.Equal(d.Y, []int{0, 1, 1}) || d.Row(0)[5] != 30 || d.Row(2)[15] != 20 {
			t.Errorf("Y %v, pixels %v %v", d.Y, d.Row(0)[5], d.Row(2)[15])
		}
	})
	t.Run("rgb", func(t *testing.T) {
		root := t.TempDir()
		writeFile(t, root, "a/1.png", grey(10))
		writeFile(t, root, "b/1.png", pngBytes(t, rgb))
		src, err := Open(root, OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		d := src.Train
		if !slices.Equal(d.Shape, []int{3, 28, 28}) {
			t.Fatalf("shape %v, want [3 28 28]", d.Shape)
		}
		row := d.Row(1)
		if row[0] != 200 || row[28*28] != 100 || row[2*28*28] != 50 || d.Row(0)[2*28*28] != 10 {
			t.Errorf("channels %v %v %v, grey %v", row[0], row[28*28], row[2*28*28], d.Row(0)[2*28*28])
		}
	})
}

func TestAreaResize(t *testing.T) {
	// A 4×4 image of 2×2 blocks 0, 40 / 80, 120 averages to 2×2 exactly.
	img := greyImage(4, 4, func(x, y int) uint8 { return uint8(40*(x/2) + 80*(y/2)) })
	p := writeFile(t, t.TempDir(), "blocks.png", pngBytes(t, img))
	tests := []struct {
		shape  []int
		rawMax float32
		want   []float32
	}{
		{[]int{1, 2, 2}, 255, []float32{0, 40, 80, 120}},
		{[]int{1, 2, 2}, 16, []float32{0, 40 * 16 / 255., 80 * 16 / 255., 120 * 16 / 255.}},
		{[]int{3, 1, 1}, 255, []float32{60, 60, 60}},
		{[]int{1, 1, 2}, 255, []float32{40, 80}},
	}
	for _, tc := range tests {
		x, err := ReadImageFile(p, tc.shape, tc.rawMax)
		if err != nil {
			t.Fatal(err)
		}
		if len(x) != len(tc.want) {
			t.Fatalf("%v: %d values", tc.shape, len(x))
		}
		for i := range x {
			if math.Abs(float64(x[i]-tc.want[i])) > 1e-3 {
				t.Errorf("%v rawMax %v: got %v, want %v", tc.shape, tc.rawMax, x, tc.want)
				break
			}
		}
	}
}

func TestReadImageFileColourToGrey(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 3, 3))
	for y := range 3 {
		for x := range 3 {
			img.Set(x, y, color.RGBA{255, 0, 0, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	jp := writeFile(t, dir, "red.jpg", buf.Bytes())
	x, err := ReadImageFile(jp, []int{1, 3, 3}, 255)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(x[4])-0.299*255) > 6 {
		t.Errorf("luma of red %v, want about %v", x[4], 0.299*255)
	}
	for _, bad := range [][]int{{2, 3, 3}, {3, 3}, {1, 0, 3}} {
		_, err := ReadImageFile(jp, bad, 255)
		wantErr(t, err, "red.jpg", "shape")
	}
	_, err = ReadImageFile(filepath.Join(dir, "missing.png"), []int{1, 3, 3}, 255)
	wantErr(t, err, "missing.png")
}
