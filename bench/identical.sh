#!/usr/bin/env bash
# Checks that a change left training's results alone: builds cmd/train at
# two git revisions, runs with each the default digits run (no flags), a
# Fashion-MNIST MLP run (--data fashion-mnist --model mlp --epochs EPOCHS)
# and a Fashion-MNIST CNN run of one epoch (28x28 images through the
# convolutions and pools, where the digits' are 8x8), and compares what they wrote: the checkpoints byte for byte, metrics.csv
# in every column but the timing ones, the printed summary, and model.json
# but for the run's name, time and directory. Exits 1 on any difference.
# Usage, from the repository's root:
#   bench/identical.sh OLD_REV [NEW_REV] [EPOCHS]
# NEW_REV defaults to the working tree (uncommitted changes included),
# EPOCHS to 2. Needs Debian's dataset-fashion-mnist for the second and
# third runs.
set -euo pipefail
old=${1:?usage: bench/identical.sh OLD_REV [NEW_REV] [EPOCHS]}
new=${2:-}
epochs=${3:-2}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
build() { # rev dest
  if [ -z "$1" ]; then
    go build -o "$2" ./cmd/train
    return
  fi
  mkdir -p "$tmp/src-$1"
  git archive "$1" | tar -x -C "$tmp/src-$1"
  (cd "$tmp/src-$1" && go build -o "$2" ./cmd/train)
}
build "$old" "$tmp/old"
build "$new" "$tmp/new"
for side in old new; do
  "$tmp/$side" --out "$tmp/$side-digits" -q --json >"$tmp/$side-digits.json"
  "$tmp/$side" --data fashion-mnist --model mlp --epochs "$epochs" --out "$tmp/$side-fmlp" -q --json >"$tmp/$side-fmlp.json"
  "$tmp/$side" --data fashion-mnist --model cnn --epochs 1 --out "$tmp/$side-fcnn" -q --json >"$tmp/$side-fcnn.json"
done
status=0
for run in digits fmlp fcnn; do
  a=$(ls -d "$tmp"/old-$run/*/ | head -1)
  b=$(ls -d "$tmp"/new-$run/*/ | head -1)
  echo "$run:"
  for f in $(cd "$a" && find checkpoints -type f | sort); do
    if cmp -s "$a/$f" "$b/$f"; then echo "  identical $f"; else echo "  DIFFERENT $f"; status=1; fi
  done
  /usr/bin/python3 - "$a" "$b" "$tmp/old-$run.json" "$tmp/new-$run.json" <<'PY' || status=1
import csv, json, sys
a, b, sa, sb = sys.argv[1:]
timing = {"seconds", "step_seconds"}
def metrics(d):
    rows = list(csv.reader(open(d + "/metrics.csv")))
    keep = [i for i, c in enumerate(rows[0]) if c not in timing]
    return [[r[i] for i in keep] for r in rows]
def card(d):
    m = json.load(open(d + "/model.json"))
    m.pop("name", None); m.pop("created", None); m.pop("run", None)
    return json.dumps(m, sort_keys=True).replace(a.rstrip("/").rsplit("/", 1)[0], "ROOT").replace(b.rstrip("/").rsplit("/", 1)[0], "ROOT")
def summary(p):
    s = json.load(open(p))
    return {k: v for k, v in s.items() if "loss" in k or "accuracy" in k}
ok = True
for name, x, y in [("metrics.csv (timing columns left out)", metrics(a), metrics(b)),
                   ("model.json (name, time and paths left out)", card(a), card(b)),
                   ("summary metrics " + json.dumps(summary(sa)), summary(sa), summary(sb))]:
    print("  " + ("identical " if x == y else "DIFFERENT ") + name)
    ok = ok and x == y
sys.exit(0 if ok else 1)
PY
done
[ $status = 0 ] && echo "results identical" || echo "results DIFFER"
exit $status
