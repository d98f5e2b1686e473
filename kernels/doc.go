// Package kernels holds Practica's compute kernels: the matrix multiply
// gorgonia and tensor use (a packed sgemm with a 6×16 AVX2/FMA
// micro-kernel in Go assembly, and on CPUs with AVX-512 a 6×64 one that
// computes every element with the same operations in the same order, so
// the same bits; installed once with Install), gorgonia
// operations that gorgonia v0.9.18 gets wrong, does slowly or lacks, each
// with its own gradient, checked against float64 references or finite
// differences in the tests, and the fused Adam update.
//
// The operations:
//
//   - Conv3x3: 3×3 convolution, stride 1, same padding, optional bias.
//   - Conv2D: any square kernel, stride and zero padding, optional bias;
//     the 3×3 stride-1 padding-1 case is Conv3x3.
//   - MaxPool2x2, ReLUMaxPool2x2 (ReLU fused in): 2×2 max-pooling,
//     stride 2.
//   - MaxPool2D, AvgPool2D: any window and stride, no padding (rows and
//     columns no window reaches are dropped); MaxPool2D(x, 2, 2) is
//     MaxPool2x2.
//   - GlobalAvgPool: the mean of each channel, N×C×H×W to N×C.
//   - ReLU.
//
// Each runs a float32 path (the convolutions through the packed sgemm)
// and a float64 one, a plain reference for gradient checks.
//
// For executors that run a model without a gorgonia graph (model's
// direct executor) the same float32 functions are exported on slices:
// Conv3x3Kernel and MaxPool2x2Kernel (runners.go), ConvBiasGrad,
// ReLUForward and ReLUBackward, BiasReLU (a dense layer's bias and relu
// in one pass), and BLAS.SgemmRows (a product of a few rows that reads B
// in place instead of packing it, in the packed multiply's order).
// Conv3x3Kernel's ForwardPool and BackwardPool run a convolution and the
// 2×2 max-pool after it image by image, so that an image's convolution
// output and its gradient are used while in cache and never stored; the
// bias gradient is then summed over the pool's terms (poolTerms), the
// same chain without the gradient's zeros.
//
// On CPUs with AVX-512 (vector.go), the max-pool's passes, col2im and the
// bias gradient's terms are AVX-512 assembly (pool_amd64.s) and the
// convolution's panels are packed by masked loads of runs of consecutive
// offsets, or gathers (gather_amd64.s); each is tested bit for bit against
// the plain Go loop it replaces, which runs elsewhere.
//
// Work is split in two with Both: the caller takes one half and the
// process's helper goroutine, which stays awake between splits, the other
// (parallel.go says why one spinning helper rather than a goroutine per
// split).
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
// process. The ops here never panic on NaN or infinite inputs, and Conv2D
// and the pools of any window refuse shapes that do not fit with an error
// naming them, before a graph runs.
package kernels
