package data

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
)

// SplitSHA256 returns the hex SHA-256 of a split's examples: its inputs
// x, every value's float32 bits as 4 bytes little-endian, then its labels
// y, each as 8 bytes little-endian (two's complement int64). A model card
// records it for the training split as read from its source (before
// missing cells are filled and normalization applied): the examples, their
// order and their labels, whatever the preprocessing.
func SplitSHA256(x []float32, y []int) string {
	h := sha256.New()
	// Hashed in chunks: a split of Fashion-MNIST is 170 MB of inputs.
	const chunk = 1 << 16
	buf := make([]byte, 0, chunk+8)
	for _, v := range x {
		if buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v)); len(buf) >= chunk {
			h.Write(buf)
			buf = buf[:0]
		}
	}
	for _, v := range y {
		if buf = binary.LittleEndian.AppendUint64(buf, uint64(int64(v))); len(buf) >= chunk {
			h.Write(buf)
			buf = buf[:0]
		}
	}
	h.Write(buf)
	return hex.EncodeToString(h.Sum(nil))
}
