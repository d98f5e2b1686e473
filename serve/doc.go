// Package serve answers the Open Inference Protocol (KServe v2, REST) for
// trained models: health, server and model metadata, and inference on raw
// examples, each converted, normalized and scored by inference.Predictor
// exactly as predict's file mode scores them, so that a served answer is
// the file mode's, bit for bit once rounded to float32.
//
// Each model version has one worker goroutine that owns its Predictor (a
// model is not safe for concurrent use) and a bounded queue: requests that
// arrive within the batch window run through the model as one batch,
// rows being independent in the evaluation graph. Reload swaps in a new
// set of models while requests in flight finish on the old; Serve drains
// on shutdown. GET /metrics exposes Prometheus series from a registry the
// Server owns.
//
// A request's names (model, version, input, output) are only compared
// with what is served: nothing a request says is used as a file path.
package serve
