// Package export writes a trained checkpoint in formats other tools read:
// ONNX (onnx.go), the evaluation graph with predict's preprocessing folded
// in, and safetensors (safetensors.go), the bare tensors.
//
// The ONNX protobuf is written by hand with protowire rather than through
// generated ONNX bindings: the few messages a feed-forward classifier
// needs (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto
// and their attributes) take a page of field numbers, while generated
// bindings would add the whole ONNX schema, its registry and a code
// generator to the build for nothing the exporter uses. The output is
// deterministic: the same checkpoint gives the same bytes.
package export
