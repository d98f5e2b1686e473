#!/usr/bin/env bash
# Load test of predict --serve on loopback, against the same model served
# the way a PyTorch user would without a serving framework
# (bench/serve_torch.py: http.server + torch.no_grad()). Trains a model
# (default: the embedded digits' default CNN), exports it to ONNX for the
# PyTorch server, then sends each server the same N requests from C
# concurrent clients (bench/serveload), with 1 and with 32 examples per
# request, one server at a time. Prints one JSON line per measurement and
# a table. Usage, from the repository's root:
#   bench/serve.sh [DATA] [MODEL]
# N (default 10000), C (8) and TORCH_THREADS (1) tune it. Needs
# python3-onnx; python3-torch for the baseline.
set -euo pipefail
source=${1:-digits}
arch=${2:-}
n=${N:-10000}
c=${C:-8}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
go build -o "$tmp/practica" ./cmd/practica
go build -o "$tmp/serveload" ./bench/serveload
modelflag=()
[ -n "$arch" ] && modelflag=(--model "$arch")
"$tmp/practica" train --data "$source" "${modelflag[@]}" --epochs 3 --out "$tmp/runs" -q --json >"$tmp/s.json"
run=$(/usr/bin/python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['run_dir'])" "$tmp/s.json")
"$tmp/practica" predict --run "$run" --export onnx -o "$tmp/model.onnx"

port=$((20000 + RANDOM % 20000))
ready() { for _ in $(seq 200); do curl -fs "http://127.0.0.1:$1/v2/health/ready" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "server on $1 not ready" >&2; return 1; }
stop() { kill "$1"; wait "$1" 2>/dev/null || true; }

results="$tmp/results.jsonl"
measure() { # LABEL PORT
  for b in 1 32; do
    "$tmp/serveload" -url "http://127.0.0.1:$2/v2/models/m/infer" -data "$source" -n "$n" -c "$c" -batch "$b" -label "$1" | tee -a "$results"
  done
}

for window in 2ms 0; do
  "$tmp/practica" predict --serve "127.0.0.1:$port" --run "$run" --name m --batch-window "$window" 2>"$tmp/serve.log" &
  pid=$!; pids+=("$pid")
  ready "$port"
  label="practica batch-window $window"
  measure "$label" "$port"
  stop "$pid"
  port=$((port + 1))
done

if /usr/bin/python3 -c 'import torch, onnx' 2>/dev/null; then
  /usr/bin/python3 bench/serve_torch.py "$tmp/model.onnx" m "$port" "${TORCH_THREADS:-1}" &
  pid=$!; pids+=("$pid")
  ready "$port"
  # The same model in both servers: their probabilities agree to float32 rounding.
  "$tmp/practica" predict --serve "127.0.0.1:$((port + 1))" --run "$run" --name m 2>>"$tmp/serve.log" &
  p2=$!; pids+=("$p2")
  ready $((port + 1))
  "$tmp/serveload" -url "http://127.0.0.1:$port/v2/models/m/infer" -compare "http://127.0.0.1:$((port + 1))/v2/models/m/infer" -data "$source" -n 1 -c 1 -label agreement
  stop "$p2"
  measure "pytorch http.server, ${TORCH_THREADS:-1} thread(s)" "$port"
  stop "$pid"
else
  echo "no torch for /usr/bin/python3: PyTorch baseline skipped" >&2
fi

/usr/bin/python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("%-40s %5s %9s %11s %8s %8s %6s" % ("server", "batch", "req/s", "examples/s", "p50 ms", "p99 ms", "not ok"))
for r in rows:
    print("%-40s %5d %9.0f %11.0f %8.2f %8.2f %6d" % (r["label"], r["batch"], r["requests_per_s"], r["examples_per_s"], r["p50_ms"], r["p99_ms"], r["not_ok"]))
PY
