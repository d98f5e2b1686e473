// Package figures draws every PNG of a run directory, from the results the
// stages return: curves.png (CurvesPNG, from the training history),
// reliability.png (ReliabilityPNG, from calibration reports), the
// feasibility plots overfit_loss.png, probe_accuracy.png and
// pca_scatter.png (WriteFeasibility), and the LR range test's lr_sweep.png
// and lr_grid.png (WriteLRSweep). The stages themselves write only data
// (JSON, CSV, Markdown) and import neither this package nor gonum/plot:
// their results can be tested and reused without drawing, and the drawing
// code lives in one place. Package experiment, which owns the run
// directory, calls figures after a stage returns.
//
// It also holds what every figure of Practica shares, package report's
// included: a readable default style (New), the palette (Tab10, Series and
// named colours, handed out as copies) and atomic PNG writers (SavePNG,
// SaveStackPNG, SaveGridPNG) on top of gonum/plot.
package figures
