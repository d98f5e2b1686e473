package kernels

import (
	"runtime"

	"golang.org/x/sys/cpu"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
)

// BLAS is the BLAS gorgonia and tensor use for matrix multiplies: gonum's
// pure-Go implementation, with Sgemm replaced, where the CPU has AVX2 and
// FMA, by a packed, blocked multiply whose micro-kernel is assembly
// (AVX-512 where the CPU has it, with the same bits as the AVX2 one).
type BLAS struct {
	gonum.Implementation
	kernel kernel
	name   string
	// gonumSgemm: no AVX2/FMA here, and gonum's Sgemm (SSE on amd64) is
	// faster than the portable micro-kernel (about 6-10 against 3 GFLOP/s).
	gonumSgemm bool
}

// NewBLAS picks the fastest multiply this CPU supports.
func NewBLAS() *BLAS { return newBLAS(hasAVX2(), hasAVX512()) }

// newBLAS: the AVX-512 kernel computes every element with the AVX2
// kernel's operations in the same order, so its name says it gives the
// AVX2/FMA bits (results pinned on an AVX2 machine hold on it).
func newBLAS(avx2, avx512 bool) *BLAS {
	switch {
	case avx512:
		return &BLAS{kernel: kernel{tile: kernelAVX2, row: rowAVX512}, name: "practica sgemm 6x64 AVX-512 (the 6x16 AVX2/FMA kernel's bits)"}
	case avx2:
		return &BLAS{kernel: kernel{tile: kernelAVX2}, name: "practica sgemm 6x16 AVX2/FMA"}
	}
	return &BLAS{kernel: kernel{tile: kernelGo}, name: "gonum sgemm (no AVX2/FMA on this CPU)", gonumSgemm: true}
}

// Name says which kernel runs, for meta.json.
func (b *BLAS) Name() string { return b.name }

// Sgemm computes C = alpha·op(A)·op(B) + beta·C (row-major).
func (b *BLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, bm []float32, ldb int, beta float32, c []float32, ldc int) {
	if b.gonumSgemm {
		b.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, bm, ldb, beta, c, ldc)
		return
	}
	sgemm(b.kernel, tA, tB, m, n, k, alpha, a, lda, bm, ldb, beta, c, ldc)
}

func hasAVX2() bool {
	return runtime.GOARCH == "amd64" && cpu.X86.HasAVX2 && cpu.X86.HasFMA
}

// Install makes gorgonia (and tensor) multiply through NewBLAS. It is the
// one process-wide setting Practica makes, once, at the start of a command.
func Install() {
	G.Use(NewBLAS())
}

// InUse names the matrix-multiply implementation gorgonia uses now.
func InUse() string {
	if b, ok := G.WhichBLAS().(*BLAS); ok {
		return b.Name()
	}
	return "gonum (pure Go)"
}

// hasAVX512 reports the AVX-512 subsets the 512-bit micro-kernel uses:
// the foundation (ZMM registers, FMA, opmask-registers' moves).
func hasAVX512() bool {
	return hasAVX2() && cpu.X86.HasAVX512F
}
