// Package kernels holds Practica's compute kernels: the matrix multiply
// gorgonia and tensor use (a packed sgemm with a 6×16 AVX2/FMA
// micro-kernel in Go assembly, installed once with Install), gorgonia
// operations that gorgonia v0.9.18 gets wrong or does slowly (3×3
// convolution, 2×2 max-pool, ReLU, each with its own gradient, checked
// against float64 references or finite differences in the tests), and the
// fused Adam update.
//
// Every kernel is deterministic: an element's order of operations depends
// neither on its position in the batch nor on how work is split between
// the two goroutines, and K is never split, so the same binary on the same
// machine gives the same bits. The assembly paths are chosen at run time
// by CPU feature detection; CPUs without AVX2/FMA multiply with gonum and
// convolve in portable Go, whose sums differ from the assembly path's in
// the last bits (Adam's portable loop is bit-identical to its assembly).
//
// gorgonia runs a compiled graph in a goroutine of its own, so a panic
// inside one of its ops cannot be recovered by the caller and kills the
// process. The ops here never panic on NaN or infinite inputs.
package kernels
