#!/usr/bin/env bash
# Times Practica and PyTorch (when /usr/bin/python3 has torch) training the
# same model on Fashion-MNIST, interleaved, and prints each median epoch time
# and the ratio, and each one's peak resident memory. Usage, from the
# repository's root:
#   bench/compare.sh [mlp|cnn] [EPOCHS] [ROUNDS]
# BATCH sets the batch size of both (default 128); TORCH_THREADS and
# OPENBLAS_NUM_THREADS PyTorch's threads (default 2 and 1, its fastest here).
# Needs Debian's dataset-fashion-mnist (and python3-torch for the comparison).
set -euo pipefail
arch=${1:-mlp}
epochs=${2:-2}
rounds=${3:-3}
batch=${BATCH:-128}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/train" ./cmd/train
have_torch=0
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  have_torch=1
  # Debian's torch multiplies through whatever libblas.so.3 points to; the
  # reference BLAS is ~25x slower than OpenBLAS and makes the comparison moot.
  if ! update-alternatives --query libblas.so.3-x86_64-linux-gnu 2>/dev/null | grep -q '^Value: .*openblas'; then
    echo "warning: libblas.so.3 is not OpenBLAS; install libopenblas0-pthread for a fair PyTorch baseline" >&2
  fi
fi

# peak RSS in kB of a command, appended to the file $1 (when /usr/bin/time exists)
timed() {
  local out=$1; shift
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f %M -a -o "$out" "$@"
  else
    "$@"
  fi
}
practica_epoch() {
  timed "$tmp/p.rss" "$tmp/train" --data fashion-mnist --model "$arch" --epochs "$epochs" --batch-size "$batch" --out "$tmp/runs" -q --json >"$tmp/s.json"
  local dir; dir=$(/usr/bin/python3 -c "import json;print(json.load(open('$tmp/s.json'))['run_dir'])")
  # epoch times from metrics.csv, skipping the first epoch (warm-up)
  tail -n +3 "$dir/metrics.csv" | cut -d, -f8
}
torch_epoch() {
  OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} timed "$tmp/t.rss" /usr/bin/python3 bench/torch_fashion.py "$arch" "$epochs" "${TORCH_THREADS:-2}" "$batch" | tail -n +2 | awk '{print $4}'
}
peak() { [ -s "$1" ] && echo "peak RSS $(sort -n "$1" | tail -1 | awk '{printf "%.0f", $1/1024}') MB" || echo "peak RSS not measured (no /usr/bin/time)"; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

: >"$tmp/p"; : >"$tmp/t"
for r in $(seq "$rounds"); do
  practica_epoch >>"$tmp/p"
  [ $have_torch = 1 ] && torch_epoch >>"$tmp/t"
  echo "round $r/$rounds done" >&2
done
p=$(median <"$tmp/p")
echo "practica $arch: median epoch ${p}s ($(wc -l <"$tmp/p") epochs, batch $batch; $(peak "$tmp/p.rss"); kernel: $(grep -h -o '"kernel": "[^"]*"' "$tmp"/runs/*/meta.json | head -1))"
if [ $have_torch = 1 ]; then
  t=$(median <"$tmp/t")
  echo "pytorch  $arch: median epoch ${t}s (batch $batch; $(peak "$tmp/t.rss"); torch threads ${TORCH_THREADS:-2}, OpenBLAS threads ${OPENBLAS_NUM_THREADS:-1})"
  /usr/bin/python3 -c "print('ratio practica/pytorch: %.2f' % ($p / $t))"
else
  echo "no torch under /usr/bin/python3: install python3-torch for the comparison"
fi
