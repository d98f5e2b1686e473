#!/usr/bin/env bash
# A/B of a series of changes: builds the train package's test binary at
# each git revision given, then times one training step of each
# (go test ./train -bench Step: the MLP 784-256-128-10 and the CNN
# 32c-64c-128 at batch 128, random inputs, Adam) in interleaved rounds, and
# prints each revision's median ms/step and its ratio to the first
# revision's. Usage, from the repository's root:
#   bench/ab.sh [-r ROUNDS] REV...        (REV "." is the working tree)
# BENCHTIME sets each run's -test.benchtime (default 1s), BENCH the
# benchmarks run (default Step; Step/cnn for the CNN alone). Each round holds
# the shared lock $BENCH_LOCK (/tmp/bench.lock), as the other scripts do.
set -euo pipefail
rounds=3
if [ "${1:-}" = -r ]; then rounds=$2; shift 2; fi
[ $# -ge 1 ] || { echo "usage: bench/ab.sh [-r ROUNDS] REV..." >&2; exit 2; }
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
lock=${BENCH_LOCK:-/tmp/bench.lock}
i=0
for rev in "$@"; do
  if [ "$rev" = . ]; then
    go test -c -o "$tmp/$i.test" ./train
  else
    mkdir -p "$tmp/src$i"
    git archive "$rev" | tar -x -C "$tmp/src$i"
    (cd "$tmp/src$i" && go test -c -o "$tmp/$i.test" ./train)
  fi
  i=$((i + 1))
done
for r in $(seq "$rounds"); do
  flock "$lock" bash -c '
    for ((j = 0; j < '"$#"'; j++)); do
      "'"$tmp"'/$j.test" -test.run "^\$" -test.bench "'"${BENCH:-Step}"'" -test.benchtime "'"${BENCHTIME:-1s}"'" |
        awk -v j=$j "/^BenchmarkStep/ {split(\$1, a, \"/\"); sub(/-[0-9]+\$/, \"\", a[2]); print j, a[2], \$3 / 1e6}"
    done' >>"$tmp/times"
  echo "round $r/$rounds done" >&2
done
/usr/bin/python3 - "$tmp/times" "$@" <<'PY'
import statistics, sys
revs = sys.argv[2:]
t = {}
for line in open(sys.argv[1]):
    j, name, ms = line.split()
    t.setdefault(name, {}).setdefault(int(j), []).append(float(ms))
for name, byrev in sorted(t.items()):
    base = statistics.median(byrev[0])
    print(name)
    for j, rev in enumerate(revs):
        m = statistics.median(byrev[j])
        print(f"  {rev:>12}  {m:9.3f} ms/step  x{m / base:.3f}  ({min(byrev[j]):.3f}-{max(byrev[j]):.3f})")
PY
