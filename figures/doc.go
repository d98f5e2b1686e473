// Package figures holds what every figure of Practica shares: a readable
// default style, the palette and atomic PNG writers, on top of gonum/plot.
package figures
