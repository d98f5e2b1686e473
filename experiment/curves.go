package experiment

// CurvesFile is the training-curves plot in a run directory, drawn by
// Options.CurvesPNG.
const CurvesFile = "curves.png"
