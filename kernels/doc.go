// Package kernels holds Practica's own gorgonia operations: computations
// that gorgonia v0.9.18 gets wrong or does slowly, each a gorgonia.Op with
// its own gradient, checked against finite differences in the tests.
//
// gorgonia runs a compiled graph in a goroutine of its own, so a panic
// inside one of its ops cannot be recovered by the caller and kills the
// process. The ops here never panic on NaN or infinite inputs.
package kernels
