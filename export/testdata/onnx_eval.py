# An independent evaluator of the ONNX models export writes: each operator
# implemented in NumPy (float64) from the ONNX operator specification,
# reading the model with onnx.numpy_helper. An operator it does not know
# is an error, so the exporter cannot use one unchecked.
#
# usage: onnx_eval.py MODEL INPUTS.f32 N OUT_PREFIX
# Checks the model (onnx.checker, full_check), runs the N raw examples of
# INPUTS.f32 (little-endian float32, shape [N, ...the model's input]) and
# writes OUT_PREFIX.logits.f64 and OUT_PREFIX.probabilities.f64.
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def conv(x, w, b, a):
    assert a.get("group", 1) == 1 and all(d == 1 for d in a.get("dilations", [1, 1]))
    kh, kw = a.get("kernel_shape", w.shape[2:])
    t, l, bo, r = a.get("pads", [0, 0, 0, 0])
    sh, sw = a.get("strides", [1, 1])
    xp = np.pad(x, ((0, 0), (0, 0), (t, bo), (l, r)))
    oh = (xp.shape[2] - kh) // sh + 1
    ow = (xp.shape[3] - kw) // sw + 1
    y = np.zeros((x.shape[0], w.shape[0], oh, ow))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw]  # N,C,oh,ow
            y += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y


def windows(x, a):
    """The kh*kw strided views of x (N,C,H,W) whose elementwise combination
    is a 2-D pool without padding, floor mode: output side
    floor((in - kernel) / stride) + 1."""
    kh, kw = a["kernel_shape"]
    sh, sw = a.get("strides", [1, 1])
    assert not any(a.get("pads", [0])) and a.get("ceil_mode", 0) == 0
    assert a.get("auto_pad", b"NOTSET") in (b"NOTSET", "NOTSET")
    assert all(d == 1 for d in a.get("dilations", [1, 1]))
    oh = (x.shape[2] - kh) // sh + 1
    ow = (x.shape[3] - kw) // sw + 1
    return [x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw] for i in range(kh) for j in range(kw)]


def maxpool(x, a):
    return np.max(np.stack(windows(x, a)), axis=0)


def averagepool(x, a):
    # Without pads, count_include_pad makes no difference: every window
    # holds kernel_shape[0] * kernel_shape[1] input values.
    ws = windows(x, a)
    return np.sum(np.stack(ws), axis=0) / len(ws)


def reducemean(x, a):
    # Opset 13: axes is an attribute (all axes when absent), keepdims 1 by
    # default.
    axes = tuple(a.get("axes", range(x.ndim)))
    return np.mean(x, axis=axes, keepdims=bool(a.get("keepdims", 1)))


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def run(model, x):
    env = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
    env[model.graph.input[0].name] = x
    for node in model.graph.node:
        a = attrs(node)
        i = [env[n] if n else None for n in node.input]
        op = node.op_type
        if op == "Conv":
            y = conv(i[0], i[1], i[2] if len(i) > 2 else None, a)
        elif op == "MaxPool":
            y = maxpool(i[0], a)
        elif op == "AveragePool":
            y = averagepool(i[0], a)
        elif op == "GlobalAveragePool":
            y = np.mean(i[0], axis=tuple(range(2, i[0].ndim)), keepdims=True)
        elif op == "ReduceMean":
            y = reducemean(i[0], a)
        elif op == "BatchNormalization":
            x_, s, b, m, v = i
            sh = (1, -1) + (1,) * (x_.ndim - 2)
            y = (x_ - m.reshape(sh)) / np.sqrt(v.reshape(sh) + a.get("epsilon", 1e-5)) * s.reshape(sh) + b.reshape(sh)
        elif op == "Gemm":
            A = i[0].T if a.get("transA", 0) else i[0]
            B = i[1].T if a.get("transB", 0) else i[1]
            y = a.get("alpha", 1.0) * (A @ B)
            if len(i) > 2 and i[2] is not None:
                y = y + a.get("beta", 1.0) * i[2]
        elif op == "MatMul":
            y = i[0] @ i[1]
        elif op == "Add":
            y = i[0] + i[1]
        elif op == "Sub":
            y = i[0] - i[1]
        elif op == "Mul":
            y = i[0] * i[1]
        elif op == "Div":
            y = i[0] / i[1]
        elif op == "Relu":
            y = np.maximum(i[0], 0)
        elif op == "Tanh":
            y = np.tanh(i[0])
        elif op == "Sigmoid":
            y = 1 / (1 + np.exp(-i[0]))
        elif op == "LeakyRelu":
            y = np.where(i[0] < 0, a.get("alpha", 0.01) * i[0], i[0])
        elif op == "Sqrt":
            y = np.sqrt(i[0])
        elif op == "Flatten":
            ax = a.get("axis", 1)
            y = i[0].reshape(int(np.prod(i[0].shape[:ax])), -1)
        elif op == "Reshape":
            y = i[0].reshape(i[1].astype(np.int64))
        elif op == "Identity":
            y = i[0]
        elif op == "Softmax":
            y = softmax(i[0], a.get("axis", -1))
        else:
            raise SystemExit("operator %s is not implemented by the evaluator" % op)
        assert len(node.output) == 1, node.output
        env[node.output[0]] = y
    return [env[o.name] for o in model.graph.output]


def main():
    path, inputs, n, prefix = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    shape = [n] + [d.dim_value for d in dims[1:]]
    x = np.fromfile(inputs, dtype="<f4").astype(np.float64).reshape(shape)
    logits, probs = run(model, x)
    logits.astype("<f8").tofile(prefix + ".logits.f64")
    probs.astype("<f8").tofile(prefix + ".probabilities.f64")
    print("ok", " ".join(n.op_type for n in model.graph.node))


main()
