#!/usr/bin/env bash
# Times Practica and PyTorch (when /usr/bin/python3 has torch) training the
# same model on Fashion-MNIST, interleaved round by round, and prints each
# median epoch time, the ratio, each one's peak resident memory, and
# Practica's epoch time against the time of its optimizer steps (the epoch
# may cost at most 10% more than its steps). Usage, from anywhere in the
# repository:
#   bench/compare.sh [mlp|cnn] [EPOCHS] [ROUNDS]     (defaults: mlp, 2, 3)
# The first epoch of every run is left out (warm-up). BATCH sets the batch
# size of both (default 128).
#
# PyTorch's figure is its FASTEST setting: every round runs all of
# OpenBLAS threads 1 and 2 x torch threads 1 and 2 x Adam foreach 0 and 1 x
# allocator (glibc's malloc tuned, and tcmalloc when installed: see
# bench/lib.sh), and the setting with the lowest median epoch is the one
# compared against (PyTorch 1.13's default single-tensor Adam spends most
# of an MLP step in aten::div on this CPU; its foreach Adam does not; and
# glibc's malloc as it comes makes its CNN steps 3x slower). A round of the
# MLP takes a few minutes; of the CNN far longer:
# TORCH_SETTINGS="blas1-threads2-foreach1-glibc ..." runs only the
# settings it lists, e.g. the fastest of bench/step.sh.
#
# The shared lock $BENCH_LOCK (/tmp/bench.lock) is held for each MLP round
# (about two minutes) and for each CNN run, so that no two timings on the
# machine overlap and others can take turns. Needs Debian's
# dataset-fashion-mnist (and python3-torch with libopenblas0-pthread and
# libtcmalloc-minimal4 for the comparison); /usr/bin/time (GNU) for the memory figures.
set -euo pipefail
arch=${1:-mlp}
epochs=${2:-2}
rounds=${3:-3}
batch=${BATCH:-128}
lock=${BENCH_LOCK:-/tmp/bench.lock}
if [ "$epochs" -lt 2 ]; then
  echo "EPOCHS must be at least 2: the first epoch of each run is warm-up" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/train" ./cmd/train
. bench/lib.sh

# practica R: one run; appends "R seconds step_seconds" per epoch after the
# first, from its metrics.csv, to $tmp/practica.ep.
practica() {
  run practica "$tmp/train" --data fashion-mnist --model "$arch" --epochs "$epochs" --batch-size "$batch" --out "$tmp/runs" -q --json
  local dir; dir=$(/usr/bin/python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['run_dir'])" "$tmp/practica.out")
  awk -F, -v r="$1" 'NR == 1 {for (i = 1; i <= NF; i++) col[$i] = i; next}
    $1 > 1 {print r, $col["seconds"], $col["step_seconds"]}' "$dir/metrics.csv" >>"$tmp/practica.ep"
}

# torch R SETTING: one run; appends "R seconds" per epoch after the first.
torch() {
  local s=$2
  # shellcheck disable=SC2046 # torch_env's words are env's arguments
  run "$s" env $(torch_env "$s") /usr/bin/python3 bench/torch_fashion.py "$arch" "$epochs" "$(torch_threads "$s")" "$batch"
  awk -v r="$1" '$1 == "epoch" && $2 > 1 {print r, $4}' "$tmp/$s.out" >>"$tmp/$s.ep"
}

settings=()
if [ $have_torch = 1 ]; then
  if [ -n "${TORCH_SETTINGS:-}" ]; then
    read -r -a settings <<<"$TORCH_SETTINGS"
  else
    mapfile -t settings < <(torch_settings)
  fi
fi
order=(practica "${settings[@]}")
for r in $(seq "$rounds"); do
  # the order rotated by the round: no side always runs first or last
  [ "$arch" = cnn ] || lock
  for ((i = 0; i < ${#order[@]}; i++)); do
    job=${order[$(((i + r) % ${#order[@]}))]}
    [ "$arch" != cnn ] || lock
    if [ "$job" = practica ]; then practica "$r"; else torch "$r" "$job"; fi
    [ "$arch" != cnn ] || unlock
  done
  unlock
  echo "round $r/$rounds done" >&2
done
kernel=$(grep -h -o '"kernel": "[^"]*"' "$tmp"/runs/*/meta.json | head -1)

/usr/bin/python3 - "$tmp" "$arch" "$batch" "$kernel" "${settings[@]}" <<'EOF'
import collections, os, statistics, sys
tmp, arch, batch, kernel, settings = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]

def epochs(name):
    """Per round, the list of that run's timed epochs (rows after the round)."""
    out = collections.defaultdict(list)
    with open(f"{tmp}/{name}.ep") as f:
        for line in f:
            r, *v = line.split()
            out[int(r)].append([float(x) for x in v])
    return out

def rss(name):
    p = f"{tmp}/{name}.rss"
    if not os.path.exists(p):
        return "peak RSS not measured (no /usr/bin/time)"
    with open(p) as f:
        kb = [int(l) for l in f if l.strip().isdigit()]
    return f"peak RSS {max(kb) / 1024:.0f} MB"

p = epochs("practica")
p_epoch = {r: statistics.median(e[0] for e in v) for r, v in p.items()}
all_p = [e for v in p.values() for e in v]
print(f"Fashion-MNIST {arch}, batch {batch}: median epoch time ({len(all_p)} epochs in {len(p)} rounds, first epoch of each run left out)")
print(f"  practica                               {statistics.median(e[0] for e in all_p):7.3f} s  {rss('practica')}; {kernel}")
over = [e[0] / e[1] for e in all_p]
# metrics.csv's seconds (batch assembly, steps, evaluation) over its
# step_seconds; the checkpoints and metrics.csv written after each epoch
# come after its row is timed.
print(f"  practica epoch/steps: {statistics.median(over):.3f} (median over epochs, range {min(over):.3f}-{max(over):.3f}; "
      f"steps {statistics.median(e[1] for e in all_p):.3f} s an epoch; goal <= 1.10: {'met' if statistics.median(over) <= 1.10 else 'NOT met'}; "
      "checkpoint writing not included)")
if not settings:
    print("  no torch under /usr/bin/python3: install python3-torch for the comparison")
    sys.exit(0)
t = {s: epochs(s) for s in settings}
med = {s: statistics.median(e[0] for v in t[s].values() for e in v) for s in settings}
for s in settings:
    print(f"  pytorch {s:30s} {med[s]:7.3f} s  {rss(s)}")
best = min(settings, key=med.get)
tb = {r: statistics.median(e[0] for e in v) for r, v in t[best].items()}
ratios = [p_epoch[r] / tb[r] for r in p_epoch if r in tb]
print(f"  pytorch's fastest: {best} ({med[best]:.3f} s)")
print(f"  ratio practica/pytorch-fastest: {statistics.median(ratios):.2f} (median of per-round ratios, {min(ratios):.2f}-{max(ratios):.2f})")
EOF
