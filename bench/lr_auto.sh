#!/usr/bin/env bash
# Does --lr auto train at least as well as the default rate? On each
# dataset, for seeds 1..SEEDS, trains to the same epoch budget with the
# default rate (1e-3), with the range test's valley recommendation (the
# rate --lr auto's own range test recommends, so both see the same
# curve), and with --lr auto, and prints the final validation losses (the
# best epoch's, as summary.json reports them) side by side: mean and
# standard deviation over the seeds, which differ in split, initial
# weights and batch order. Usage, from the repository's root:
#   bench/lr_auto.sh [SEEDS]            (default 3; about 17 minutes on 2 cores)
# DATASETS picks rows by name (default: digits breast_cancer iris fmnist-mlp fmnist-cnn);
# the Fashion-MNIST rows need Debian's dataset-fashion-mnist.
set -euo pipefail
seeds=${1:-3}
datasets=${DATASETS:-"digits breast_cancer iris fmnist-mlp fmnist-cnn"}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/practica" ./cmd/practica

# args NAME: the data, model and epoch budget of a row. The CNN row's
# short trainings last one epoch each, to keep the row under 20 minutes.
args() {
  case $1 in
  digits) echo "--epochs 6" ;;
  breast_cancer) echo "--data data/testdata/breast_cancer.csv --label-column diagnosis --epochs 10" ;;
  iris) echo "--data data/testdata/iris.csv --epochs 20" ;;
  fmnist-mlp) echo "--data fashion-mnist --model mlp --epochs 3" ;;
  fmnist-cnn) echo "--data fashion-mnist --model cnn --epochs 2 --sweep-epochs 1" ;;
  *) echo "unknown dataset $1" >&2; exit 2 ;;
  esac
}

# field FILE KEY: a top-level number from a JSON file.
field() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

rows="$tmp/rows.tsv"
for d in $datasets; do
  a=$(args "$d")
  for s in $(seq 1 "$seeds"); do
    echo "$d seed $s" >&2
    out="$tmp/$d-$s"
    # shellcheck disable=SC2086 # $a is a list of flags
    "$tmp/practica" train $a --seed "$s" --lr auto --out "$out/auto" --json -q --no-calibrate >"$out.auto.json" 2>/dev/null
    sweep=$(ls "$out"/auto/*/lr_sweep.json)
    valley=$(field "$sweep" recommended)
    auto_lr=$(field "$sweep" trained_with)
    # shellcheck disable=SC2086
    "$tmp/practica" train ${a/--sweep-epochs 1/} --seed "$s" --out "$out/default" --json -q --no-calibrate >"$out.default.json" 2>/dev/null
    # shellcheck disable=SC2086
    "$tmp/practica" train ${a/--sweep-epochs 1/} --seed "$s" --lr "$valley" --out "$out/valley" --json -q --no-calibrate >"$out.valley.json" 2>/dev/null
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$d" "$s" "$(field "$out.default.json" val_loss)" \
      "$(field "$out.valley.json" val_loss)" "$(field "$out.auto.json" val_loss)" "$valley" "$auto_lr" >>"$rows"
  done
done

/usr/bin/python3 - "$rows" <<'PY'
import statistics as st, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
by = {}
for d, s, dv, vv, av, vlr, alr in rows:
    by.setdefault(d, []).append((float(dv), float(vv), float(av), float(vlr), float(alr)))
def ms(xs):
    return "%.4f ± %.4f" % (st.mean(xs), st.stdev(xs) if len(xs) > 1 else 0.0)
print("| data | default 1e-3 | valley | --lr auto | valley rates | --lr auto rates | auto vs default |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for d, v in by.items():
    dv, vv, av = [x[0] for x in v], [x[1] for x in v], [x[2] for x in v]
    noise = st.stdev(dv) if len(dv) > 1 else 0.0
    diff = st.mean(av) - st.mean(dv)
    verdict = "better" if diff < -noise else ("no worse (within 1 sd)" if diff <= noise else "WORSE")
    print("| %s | %s | %s | %s | %s | %s | %s |" % (d, ms(dv), ms(vv), ms(av),
          ", ".join("%.2g" % x[3] for x in v), ", ".join("%.2g" % x[4] for x in v), verdict))
PY
