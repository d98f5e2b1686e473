# The baseline for bench/serve.sh: the same model served the way a PyTorch
# user serves one without a serving framework, Python's http.server
# (threaded) around a torch.no_grad() forward pass, answering the Open
# Inference Protocol's infer route with the same JSON.
#
# The model is Practica's ONNX export of a run (predict --export onnx), its
# operators mapped one to one onto torch.nn.functional, so both servers run
# the same weights, normalization and softmax(logits / T).
#
# usage: /usr/bin/python3 serve_torch.py MODEL.onnx NAME PORT [THREADS]
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class Model:
    def __init__(self, path):
        m = onnx.load(path)
        self.nodes = [(n.op_type, list(n.input), n.output[0], attrs(n)) for n in m.graph.node]
        self.consts = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in m.graph.initializer}
        self.input = m.graph.input[0].name
        dims = m.graph.input[0].type.tensor_type.shape.dim
        self.shape = [d.dim_value for d in dims[1:]]
        self.outputs = [o.name for o in m.graph.output]

    @torch.no_grad()
    def __call__(self, x):
        env = dict(self.consts)
        env[self.input] = x
        for op, ins, out, a in self.nodes:
            i = [env[n] if n else None for n in ins]
            if op == "Conv":
                t, l, b, r = a.get("pads", [0, 0, 0, 0])
                assert t == b and l == r
                y = F.conv2d(i[0], i[1], i[2] if len(i) > 2 else None, stride=a.get("strides", [1, 1]), padding=(t, l))
            elif op == "MaxPool":
                y = F.max_pool2d(i[0], a["kernel_shape"], a.get("strides", [1, 1]))
            elif op == "BatchNormalization":
                y = F.batch_norm(i[0], i[3], i[4], i[1], i[2], False, 0.0, a.get("epsilon", 1e-5))
            elif op == "Gemm":
                A = i[0].t() if a.get("transA", 0) else i[0]
                B = i[1].t() if a.get("transB", 0) else i[1]
                y = torch.addmm(i[2], A, B) if len(i) > 2 and i[2] is not None else A @ B
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
                y = F.relu(i[0])
            elif op == "Tanh":
                y = torch.tanh(i[0])
            elif op == "Flatten":
                y = torch.flatten(i[0], a.get("axis", 1))
            elif op == "Reshape":
                y = i[0].reshape([int(v) for v in i[1].tolist()])
            elif op == "Identity":
                y = i[0]
            elif op == "Softmax":
                y = F.softmax(i[0], a.get("axis", -1))
            else:
                raise SystemExit("operator %s is not mapped to torch" % op)
            env[out] = y
        return [env[o] for o in self.outputs]


def main():
    path, name, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    model = Model(path)
    route = "/v2/models/%s/infer" % name

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; with Nagle's algorithm on,
        # the client's delayed ACK holds the body back ~40 ms per request,
        # which would measure TCP, not PyTorch.
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def answer(self, status, obj):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            self.answer(200 if self.path == "/v2/health/ready" else 404, {"ready": True})

        def do_POST(self):
            if self.path != route:
                return self.answer(404, {"error": "unknown route"})
            req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            inp = req["inputs"][0]
            x = torch.tensor(inp["data"], dtype=torch.float32).reshape([inp["shape"][0]] + model.shape)
            logits, probs = model(x)
            n = x.shape[0]
            self.answer(200, {"model_name": name, "model_version": "1", "id": req.get("id", ""), "outputs": [
                {"name": "probabilities", "datatype": "FP32", "shape": list(probs.shape), "data": probs.flatten().tolist()},
                {"name": "logits", "datatype": "FP32", "shape": list(logits.shape), "data": logits.flatten().tolist()},
                {"name": "predicted", "datatype": "INT64", "shape": [n], "data": logits.argmax(1).tolist()},
            ]})

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


main()
