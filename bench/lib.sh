# Sourced by bench/step.sh and bench/compare.sh (after they set $tmp and
# $lock): whether PyTorch is there, the shared lock, and one timed run.

# have_torch: 1 when /usr/bin/python3 has torch. Debian's torch multiplies
# through whatever libblas.so.3 points to; the reference BLAS is ~25x
# slower than OpenBLAS and makes the comparison moot, hence the warning.
have_torch=0
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  have_torch=1
  if ! update-alternatives --query libblas.so.3-x86_64-linux-gnu 2>/dev/null | grep -q '^Value: .*openblas'; then
    echo "warning: libblas.so.3 is not OpenBLAS; install libopenblas0-pthread for a fair PyTorch baseline" >&2
  fi
fi

# lock/unlock: hold the shared lock for one round (a minute or two), so
# that other timings take turns between rounds but never overlap ours.
exec 9>>"$lock"
lock() { if command -v flock >/dev/null; then flock 9; fi; }
unlock() { if command -v flock >/dev/null; then flock -u 9; fi; }

# run NAME CMD...: one timed run (the caller holds the lock); its output
# in $tmp/NAME.out and, with GNU time, its peak RSS (kB) appended to
# $tmp/NAME.rss. With -o and a failing command GNU time writes "Command
# exited with non-zero status" first, so the figure is the file's last line.
run() {
  local name=$1; shift
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f %M -o "$tmp/rss" "$@" >"$tmp/$name.out" || { cat "$tmp/$name.out" >&2; echo "$name failed" >&2; exit 1; }
    tail -n 1 "$tmp/rss" >>"$tmp/$name.rss"
  else
    "$@" >"$tmp/$name.out" || { cat "$tmp/$name.out" >&2; echo "$name failed" >&2; exit 1; }
  fi
}
