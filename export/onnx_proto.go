package export

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers and enum values of onnx.proto (ONNX 1.12) that the
// exporter writes.
const (
	modelIRVersion     = 1
	modelProducerName  = 2
	modelDocString     = 6
	modelGraph         = 7
	modelOpsetImport   = 8
	modelMetadataProps = 14

	opsetDomain  = 1
	opsetVersion = 2

	graphNode        = 1
	graphName        = 2
	graphInitializer = 5
	graphDocString   = 10
	graphInput       = 11
	graphOutput      = 12

	nodeInput     = 1
	nodeOutput    = 2
	nodeName      = 3
	nodeOpType    = 4
	nodeAttribute = 5

	attrName = 1
	attrF    = 2
	attrI    = 3
	attrInts = 8
	attrType = 20

	attrTypeFloat = 1
	attrTypeInt   = 2
	attrTypeInts  = 7

	tensorDims     = 1
	tensorDataType = 2
	tensorName     = 8
	tensorRawData  = 9

	tensorFloat = 1 // TensorProto.DataType FLOAT

	valueInfoName = 1
	valueInfoType = 2

	typeTensor      = 1
	typeTensorElem  = 1
	typeTensorShape = 2
	shapeDim        = 1
	dimValue        = 1
	dimParam        = 2
	entryKey        = 1
	entryValue      = 2
)

func appendString(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendMessage(b []byte, num protowire.Number, m []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

func appendVarint(b []byte, num protowire.Number, v int64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

// attribute is one encoded AttributeProto.
type attribute []byte

func intAttr(name string, v int64) attribute {
	b := appendString(nil, attrName, name)
	b = appendVarint(b, attrI, v)
	return appendVarint(b, attrType, attrTypeInt)
}

// intsAttr writes the values unpacked, as proto2 (onnx.proto's syntax)
// does by default; parsers accept either encoding.
func intsAttr(name string, vs ...int64) attribute {
	b := appendString(nil, attrName, name)
	for _, v := range vs {
		b = appendVarint(b, attrInts, v)
	}
	return appendVarint(b, attrType, attrTypeInts)
}

func floatAttr(name string, f float32) attribute {
	b := appendString(nil, attrName, name)
	b = protowire.AppendTag(b, attrF, protowire.Fixed32Type)
	b = protowire.AppendFixed32(b, math.Float32bits(f))
	return appendVarint(b, attrType, attrTypeFloat)
}

func nodeProto(op, name string, inputs, outputs []string, attrs []attribute) []byte {
	var b []byte
	for _, s := range inputs {
		b = appendString(b, nodeInput, s)
	}
	for _, s := range outputs {
		b = appendString(b, nodeOutput, s)
	}
	b = appendString(b, nodeName, name)
	b = appendString(b, nodeOpType, op)
	for _, a := range attrs {
		b = appendMessage(b, nodeAttribute, a)
	}
	return b
}

// floatTensor is a TensorProto of float32 values in raw_data, which ONNX
// defines as little-endian whatever the host.
func floatTensor(name string, dims []int, data []float32) []byte {
	var b []byte
	for _, d := range dims {
		b = appendVarint(b, tensorDims, int64(d))
	}
	b = appendVarint(b, tensorDataType, tensorFloat)
	b = appendString(b, tensorName, name)
	raw := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	b = protowire.AppendTag(b, tensorRawData, protowire.BytesType)
	return protowire.AppendBytes(b, raw)
}

// dim is one dimension of a value's shape: a size, or a symbolic name
// when param is set.
type dim struct {
	value int
	param string
}

// floatValueInfo is a ValueInfoProto of a float tensor of the given shape.
func floatValueInfo(name string, dims []dim) []byte {
	var shape []byte
	for _, d := range dims {
		var db []byte
		if d.param != "" {
			db = appendString(db, dimParam, d.param)
		} else {
			db = appendVarint(db, dimValue, int64(d.value))
		}
		shape = appendMessage(shape, shapeDim, db)
	}
	tt := appendVarint(nil, typeTensorElem, tensorFloat)
	tt = appendMessage(tt, typeTensorShape, shape)
	typ := appendMessage(nil, typeTensor, tt)
	b := appendString(nil, valueInfoName, name)
	return appendMessage(b, valueInfoType, typ)
}

func entry(key, value string) []byte {
	b := appendString(nil, entryKey, key)
	return appendString(b, entryValue, value)
}
