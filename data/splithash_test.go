package data

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"testing"
)

// TestSplitSHA256: the hash covers the inputs' float32 bits and then
// the labels as int64, little-endian, as its documentation spells out;
// a split longer than a hashing chunk gives the hash of its whole bytes.
func TestSplitSHA256(t *testing.T) {
	long := make([]float32, 40000)
	longY := make([]int, 10000)
	var longBytes []byte
	for i := range long {
		long[i] = float32(i) * 0.25
		bits := math.Float32bits(long[i])
		longBytes = append(longBytes, byte(bits), byte(bits>>8), byte(bits>>16), byte(bits>>24))
	}
	for i := range longY {
		longY[i] = i % 3
		longBytes = append(longBytes, byte(i%3), 0, 0, 0, 0, 0, 0, 0)
	}
	cases := []struct {
		name  string
		x     []float32
		y     []int
		bytes []byte
	}{
		{"empty", nil, nil, nil},
		{"one example", []float32{1, -2}, []int{1}, []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 1, 0, 0, 0, 0, 0, 0, 0}},
		{"negative zero and a large label", []float32{float32(math.Copysign(0, -1))}, []int{258}, []byte{0, 0, 0, 0x80, 2, 1, 0, 0, 0, 0, 0, 0}},
		{"longer than a chunk", long, longY, longBytes},
	}
	for _, c := range cases {
		sum := sha256.Sum256(c.bytes)
		if got, want := SplitSHA256(c.x, c.y), hex.EncodeToString(sum[:]); got != want {
			t.Errorf("%s: %s, want %s", c.name, got, want)
		}
	}
}
