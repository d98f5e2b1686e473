#!/usr/bin/env bash
# Times one training step (forward, backward, Adam; batch 128, random
# inputs) of Practica (go test ./train -bench Step) against PyTorch
# (bench/torch_step.py), interleaved round by round, and prints the median
# ms/step of each side, the ratio practica/pytorch and the project's goal
# (a step in at most 0.5x PyTorch's time for the MLP 784-256-128-10, 0.6x
# for the CNN 32c-64c-128). Usage, from anywhere in the repository:
#   bench/step.sh [mlp|cnn|both] [ROUNDS]        (defaults: both, 5)
#
# PyTorch's figure is its FASTEST setting, not its default: every round
# runs all of OpenBLAS threads 1 and 2 x torch threads 1 and 2 x Adam
# foreach 0 and 1 x allocator (glibc's malloc tuned, and tcmalloc when
# installed: see bench/lib.sh), and the setting with the lowest median is
# the one compared against. Adam's foreach implementation is among them
# because PyTorch 1.13's default (single-tensor) Adam spends most of an MLP
# step in aten::div on this CPU (about 8 ms/step against 2 ms with
# foreach), and the allocators because with glibc's malloc as it comes a
# PyTorch CNN step takes 100-230 ms here instead of 33-45: a comparison with
# the defaults would flatter Practica. The script also prints each side's
# single best run, and Practica's median against PyTorch's best run.
#
# STEPS_MLP and STEPS_CNN set the steps timed per run (300, 25). Each
# round of a model (seventeen runs, one to two minutes) holds the shared
# lock $BENCH_LOCK (/tmp/bench.lock), so that no two timings on the machine
# overlap and others can take turns between rounds. Needs python3-torch
# with libopenblas0-pthread (and libtcmalloc-minimal4) for the PyTorch
# side; /usr/bin/time (GNU) for the peak RSS figures.
set -euo pipefail
which=${1:-both}
rounds=${2:-5}
steps_mlp=${STEPS_MLP:-300}
steps_cnn=${STEPS_CNN:-25}
lock=${BENCH_LOCK:-/tmp/bench.lock}
case $which in
mlp) archs=(mlp) ;;
cnn) archs=(cnn) ;;
both) archs=(mlp cnn) ;;
*) echo "usage: bench/step.sh [mlp|cnn|both] [ROUNDS]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/train.test" ./train

. bench/lib.sh

settings=()
if [ $have_torch = 1 ]; then
  mapfile -t settings < <(torch_settings)
fi

# one_round ARCH R: Practica and every PyTorch setting once, the order
# rotated by the round so that no side always runs first or last.
one_round() {
  local arch=$1 r=$2 steps bench
  if [ "$arch" = mlp ]; then steps=$steps_mlp bench='Step/mlp'; else steps=$steps_cnn bench='Step/cnn'; fi
  local jobs=(practica "${settings[@]}") n i job
  n=${#jobs[@]}
  for ((i = 0; i < n; i++)); do
    job=${jobs[$(((i + r) % n))]}
    if [ "$job" = practica ]; then
      run "$arch-practica" "$tmp/train.test" -test.run '^$' -test.bench "$bench" -test.benchtime "${steps}x"
      awk -v r="$r" '{for (i = 2; i <= NF; i++) if ($i == "ms/step") print r, $(i-1)}' "$tmp/$arch-practica.out" >>"$tmp/$arch-practica.ms"
    else
      # shellcheck disable=SC2046 # torch_env's words are env's arguments
      run "$arch-$job" env $(torch_env "$job") /usr/bin/python3 bench/torch_step.py "$arch" "$steps" "$(torch_threads "$job")"
      awk -v r="$r" '$1 == "ms/step" {print r, $2}' "$tmp/$arch-$job.out" >>"$tmp/$arch-$job.ms"
    fi
  done
}

for r in $(seq "$rounds"); do
  for arch in "${archs[@]}"; do
    lock
    one_round "$arch" "$r"
    unlock
  done
  echo "round $r/$rounds done" >&2
done

# The summary: per setting the median ms/step (and peak RSS), PyTorch's
# fastest setting, and the median over rounds of practica/that setting.
for arch in "${archs[@]}"; do
  /usr/bin/python3 - "$tmp" "$arch" "$rounds" "${settings[@]}" <<'EOF'
import os, statistics, sys
tmp, arch, rounds, settings = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
goal = {"mlp": 0.5, "cnn": 0.6}[arch]
model = {"mlp": "MLP 784-256-128-10", "cnn": "CNN 32c-64c-128"}[arch]

def rounds_of(name):
    out = {}
    with open(f"{tmp}/{arch}-{name}.ms") as f:
        for line in f:
            r, ms = line.split()
            out[int(r)] = float(ms)
    return out

def rss(name):
    p = f"{tmp}/{arch}-{name}.rss"
    if not os.path.exists(p):
        return ""
    with open(p) as f:
        kb = [int(l) for l in f if l.strip().isdigit()]
    return f", peak RSS {max(kb) / 1024:.0f} MB" if kb else ""

p = rounds_of("practica")
print(f"{model}, batch 128, Adam: ms/step, median of {rounds} rounds")
print(f"  practica                               {statistics.median(p.values()):8.3f}{rss('practica')}")
if not settings:
    print("  no torch under /usr/bin/python3: install python3-torch for the comparison")
    sys.exit(0)
t = {s: rounds_of(s) for s in settings}
med = {s: statistics.median(t[s].values()) for s in settings}
for s in settings:
    print(f"  pytorch {s:30s} {med[s]:8.3f}{rss(s)}")
best = min(settings, key=med.get)
ratios = [p[r] / t[best][r] for r in p if r in t[best]]
ratio = statistics.median(ratios)
print(f"  pytorch's fastest: {best} ({med[best]:.3f} ms/step)")
print(f"  ratio practica/pytorch-fastest: {ratio:.2f} (median of per-round ratios {min(ratios):.2f}-{max(ratios):.2f})")
# Each side's single best run (PyTorch's over all its settings), and
# Practica's median against PyTorch's best: the strictest reading, the
# fastest of some 80 PyTorch runs against a typical Practica run.
fast = min((ms, s) for s in settings for ms in t[s].values())
strict = statistics.median(p.values()) / fast[0]
print(f"  best single runs: practica {min(p.values()):.3f} ms/step, pytorch {fast[0]:.3f} ({fast[1]}): "
      f"ratio {min(p.values()) / fast[0]:.2f}; practica's median against pytorch's best run: {strict:.2f}")
print(f"  goal <= {goal}: {'met' if ratio <= goal else 'NOT met'} (median of per-round ratios against the fastest setting)")
EOF
done
