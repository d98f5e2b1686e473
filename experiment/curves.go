package experiment

// CurvesFile is the training-curves plot in a run directory.
const CurvesFile = "curves.png"
