#!/usr/bin/env bash
# Times inference, Practica's model.Logits (the call every served request
# ends in: go test ./model -bench Latency) against PyTorch's torch.no_grad()
# forward of the same layers (bench/torch_infer.py), on the digits cnn that
# `train` builds by default and the Fashion-MNIST mlp (784-256-128-10): the
# latency of one example and the throughput of batches of 64. Rounds are
# interleaved, Practica at GOMAXPROCS 1 and 2 and PyTorch at torch threads
# 1 and 2 x OpenBLAS threads 1 and 2 x allocator (glibc's malloc tuned, and
# tcmalloc when installed: see bench/lib.sh); each figure is the median call of a
# run, and the script prints the median over rounds of each setting,
# PyTorch's fastest setting, and the ratio. Usage, from the repository's
# root:
#   bench/infer.sh [ROUNDS]
# ROUNDS defaults to 5. BENCHTIME (default 1s) is each Go sub-benchmark's
# -test.benchtime, TORCH_SECONDS (default 1) the time PyTorch spends on each
# batch size. Every timed run holds /tmp/bench.lock (flock), so that no two
# timings on the machine overlap; the build happens outside it.
# Needs Debian's python3-torch (with libopenblas0-pthread, and
# libtcmalloc-minimal4) for PyTorch's side.
set -euo pipefail
rounds=${1:-5}
benchtime=${BENCHTIME:-1s}
torch_seconds=${TORCH_SECONDS:-1}
lock=/tmp/bench.lock
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/model.test" ./model
. bench/lib.sh

# Each record: side setting model batch us/example examples/s [B/op allocs/op]
practica() {
  local procs=$1
  flock "$lock" "$tmp/model.test" -test.run '^$' -test.bench Latency -test.cpu "$procs" -test.benchtime "$benchtime" |
    awk -v p="$procs" '/^BenchmarkLatency\// {
      split($1, name, "/"); batch = name[3]; sub(/^batch-/, "", batch); sub(/-[0-9]+$/, "", batch)
      for (i = 2; i < NF; i++) { v[$(i + 1)] = $i }
      print "practica", "GOMAXPROCS=" p, name[2], batch, v["us/example"], v["examples/s"], v["B/op"], v["allocs/op"]
    }'
}
pytorch() {
  local threads=$1 blas=$2 alloc=$3 m
  for m in digits-cnn fashion-mlp; do
    # shellcheck disable=SC2046 # torch_env's words are env's arguments
    flock "$lock" env $(torch_env "blas$blas-threads$threads-foreach0-$alloc") /usr/bin/python3 bench/torch_infer.py "$m" "$threads" "$torch_seconds" |
      awk -v s="torch=$threads,openblas=$blas,$alloc" -v m="$m" '{print "pytorch", s, m, $2, $4, $6}'
  done
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
: >"$tmp/r"
for r in $(seq "$rounds"); do
  for procs in 1 2; do practica "$procs" >>"$tmp/r"; done
  if [ $have_torch = 1 ]; then
    allocs=(glibc)
    if [ -e "$tcmalloc" ]; then allocs+=(tcmalloc); fi
    for threads in 1 2; do
      for blas in 1 2; do
        for alloc in "${allocs[@]}"; do pytorch "$threads" "$blas" "$alloc" >>"$tmp/r"; done
      done
    done
  fi
  echo "round $r/$rounds done (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
done
[ $have_torch = 1 ] || echo "no torch under /usr/bin/python3: install python3-torch for the comparison"

/usr/bin/python3 - "$tmp/r" "$rounds" <<'EOF'
import statistics, sys
from collections import defaultdict

recs = defaultdict(list)  # (side, setting, model, batch) -> [(us/example, examples/s, B/op, allocs/op)]
for line in open(sys.argv[1]):
    f = line.split()
    recs[(f[0], f[1], f[2], int(f[3]))].append(tuple(float(v) for v in f[4:]))
med = lambda rows, i: statistics.median(r[i] for r in rows)

for model in ("digits-cnn", "fashion-mlp"):
    for batch, col, unit, fmt in ((1, 0, "us/example", "%.1f"), (64, 1, "examples/s", "%.0f")):
        what = "latency, median us per example" if batch == 1 else "throughput, median examples/s"
        print(f"{model} batch {batch} ({what} over {sys.argv[2]} rounds):")
        sides = {}
        for side in ("practica", "pytorch"):
            settings = sorted(s for (sd, s, m, b) in recs if (sd, m, b) == (side, model, batch))
            if not settings:
                continue
            vals = {s: med(recs[(side, s, model, batch)], col) for s in settings}
            parts = []
            for s in settings:
                rows = recs[(side, s, model, batch)]
                lo, hi = min(r[col] for r in rows), max(r[col] for r in rows)
                extra = ""
                if side == "practica":
                    extra = ", %.0f B and %.0f allocations per call" % (med(rows, 2), med(rows, 3))
                parts.append(f"  {side:8s} {s:20s} {fmt % vals[s]:>9s} {unit} (rounds {fmt % lo}-{fmt % hi}{extra})")
            print("\n".join(parts))
            best = (min if batch == 1 else max)(vals, key=vals.get)
            sides[side] = (best, vals[best], vals)
            print(f"  {side:8s} fastest: {best} {fmt % vals[best]} {unit}")
        if len(sides) == 2:
            (pb, pv, pvals), (tb, tv, tvals) = sides["practica"], sides["pytorch"]
            # > 1 means Practica is slower (more time, or fewer examples/s)
            slower = lambda p, t: p / t if batch == 1 else t / p
            one = min((v for s, v in tvals.items() if s.startswith("torch=1,openblas=1,")), key=lambda v: v if batch == 1 else -v)
            print("  ratio practica/pytorch time, fastest settings: %.2f; one thread each (GOMAXPROCS=1 against torch=1,openblas=1): %.2f"
                  % (slower(pv, tv), slower(pvals["GOMAXPROCS=1"], one)))
        print()
EOF
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
