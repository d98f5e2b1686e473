package report

import (
	"bytes"
	"encoding/base64"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func TestNumberFormats(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{{0, "0%"}, {1, "100%"}, {0.5, "50.0%"}, {0.12345, "12.3%"}, {0.9996, "100.0%"}, {math.NaN(), "n/a"}} {
		if got := Pct(c.v); got != c.want {
			t.Errorf("Pct(%g) = %q, want %q", c.v, got, c.want)
		}
	}
	for _, c := range []struct {
		n    int
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {60000, "60,000"}, {1234567, "1,234,567"}, {-1234, "-1,234"}} {
		if got := Commas(c.n); got != c.want {
			t.Errorf("Commas(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	if got := Plural(1, "image", "images"); got != "1 image" {
		t.Errorf("Plural(1) = %q", got)
	}
	if got := Plural(1797, "image", "images"); got != "1,797 images" {
		t.Errorf("Plural(1797) = %q", got)
	}
	if got := Shorten("sandal", 12); got != "sandal" {
		t.Errorf("Shorten kept %q", got)
	}
	if got := Shorten("ankle boot and more", 6); got != "ankle…" {
		t.Errorf("Shorten cut %q", got)
	}
}

func TestShellJoin(t *testing.T) {
	got := ShellJoin([]string{"eval", "--run", "runs/a b", "--data", "it's.csv", ""})
	if want := `eval --run 'runs/a b' --data 'it'\''s.csv' ''`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestJSON(t *testing.T) {
	b, err := JSON(map[string]any{"b": []int{1}, "a": 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"a\": 0.5,\n  \"b\": [\n    1\n  ]\n}\n"; string(b) != want {
		t.Errorf("got %q, want %q", b, want)
	}
}

// TestRender renders a page through the shared frame: a PNG of the
// directory embedded as a data URI, has, the facts table, the number
// formats; a missing image is an error naming the page.
func TestRender(t *testing.T) {
	dir := t.TempDir()
	png := []byte("\x89PNG\r\n\x1a\nnot really")
	if err := os.WriteFile(filepath.Join(dir, "a.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	pages := fstest.MapFS{"page.html": {Data: []byte(`{{define "page.html"}}{{template "head" "T & T"}}` +
		`<img {{img "a.png"}}>{{if has "b.png"}}b{{else}}no b{{end}} {{pct .Share}} {{commas .N}} {{f3 .Share}}{{template "facts" .Facts}}` +
		`{{template "foot" "then"}}{{end}}`)}}
	view := struct {
		Share float64
		N     int
		Facts [][2]string
	}{0.25, 12345, [][2]string{{"seed", "<1>"}}}
	b, err := Render(dir, pages, "page.html", view)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"<title>T &amp; T</title>",
		`<img src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(png) + `">`,
		"no b 25.0% 12,345 0.250",
		"<tr><td>seed</td><td>&lt;1&gt;</td></tr>",
		"on then. This file is self-contained",
	} {
		if !bytes.Contains(b, []byte(s)) {
			t.Errorf("the page does not hold %q:\n%s", s, b)
		}
	}
	missing := fstest.MapFS{"m.html": {Data: []byte(`{{define "m.html"}}<img {{img "gone.png"}}>{{end}}`)}}
	if _, err := Render(dir, missing, "m.html", nil); err == nil || !strings.Contains(err.Error(), "rendering m.html") {
		t.Errorf("missing image: %v", err)
	}
}

// TestImageGridPNG draws a grid of two 1×2×2 images and refuses an empty
// one.
func TestImageGridPNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "grid.png")
	x := []float32{0, 16, 8, 4, 16, 16, 0, 0}
	if err := ImageGridPNG(path, x, []int{1, 2, 2}, 16, []int{1, 0}, []string{"second", "first"}, 2, 72); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("not a PNG: %v", err)
	}
	if err := ImageGridPNG(path, x, []int{1, 2, 2}, 16, nil, nil, 2, 72); err == nil || !strings.Contains(err.Error(), "no images to draw") {
		t.Errorf("empty grid: %v", err)
	}
	// Dark ink on white: a pixel at the full scale is black.
	img := toImage(x[:4], []int{1, 2, 2}, 16)
	if r, _, _, _ := img.At(img.Bounds().Dx()-1, 0).RGBA(); r != 0 {
		t.Errorf("a full-scale pixel drawn with red %d, want 0 (black)", r)
	}
	// With no raw scale (float32 IDX), the example's largest value is black
	// and half of it mid-grey, rather than everything above 1 black.
	for _, c := range []struct {
		x     []float32
		wantR uint32
	}{{[]float32{0, 0, 4, 8}, 0}, {[]float32{0, 0, 8, 4}, 0x7f7f}} {
		img := toImage(c.x, []int{1, 2, 2}, 0)
		if r, _, _, _ := img.At(img.Bounds().Dx()-1, img.Bounds().Dy()-1).RGBA(); r != c.wantR {
			t.Errorf("rawMax 0, pixels %v: last drawn with red %#x, want %#x", c.x, r, c.wantR)
		}
	}
}
