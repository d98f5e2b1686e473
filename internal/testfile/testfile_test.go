package testfile

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"
)

func TestIDX(t *testing.T) {
	got := IDX(0x00000803, []uint32{2, 1, 258}, []byte{7, 9})
	want := []byte{0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 1, 2, 7, 9}
	if !bytes.Equal(got, want) {
		t.Fatalf("IDX = %v, want %v", got, want)
	}
}

func TestGzipRoundTrip(t *testing.T) {
	in := []byte("a,b,label\n1,2,x\n")
	r, err := gzip.NewReader(bytes.NewReader(Gzip(in)))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(out, in) {
		t.Fatalf("round trip %q, %v", out, err)
	}
}
