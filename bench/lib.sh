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

# PyTorch's memory allocator. With glibc's malloc as it comes, PyTorch
# hands its large activation and gradient buffers back to the kernel after
# a step and takes them again, zeroed page by page, in the next: its CNN
# step took 143 ms here against 40 ms with the settings below (3.1 against
# 0.7 s of system time in 28 steps), and a process got one or the other
# from run to run. The settings keep the buffers (no mmap below 32 MiB, no
# trimming of the heap), as a practitioner tuning PyTorch on a CPU would;
# tcmalloc, when Debian's libtcmalloc-minimal4 is installed, is the other
# allocator tried. (jemalloc as it comes, libjemalloc2, took 346-618 ms a
# step: it is not among them.)
glibc_tuned=(MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=268435456)
tcmalloc=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4

# torch_settings: PyTorch's settings to try, one name a line:
# blasB-threadsT-foreachF-ALLOC for OpenBLAS threads 1 and 2, torch
# threads 1 and 2, Adam's foreach implementation off and on, and the
# allocators above.
torch_settings() {
  local allocs=(glibc) blas th fe a
  if [ -e "$tcmalloc" ]; then allocs+=(tcmalloc); fi
  for blas in 1 2; do for th in 1 2; do for fe in 0 1; do for a in "${allocs[@]}"; do
    echo "blas$blas-threads$th-foreach$fe-$a"
  done; done; done; done
}

# torch_env SETTING: the environment of that setting's PyTorch run, as
# arguments to env; torch_threads SETTING: its torch thread count.
torch_env() {
  local s=$1 blas fe
  blas=${s#blas}; blas=${blas%%-*}
  fe=${s#*foreach}; fe=${fe%%-*}
  echo OPENBLAS_NUM_THREADS="$blas" TORCH_ADAM_FOREACH="$fe"
  case $s in
  *-tcmalloc) echo LD_PRELOAD="$tcmalloc" ;;
  *) echo "${glibc_tuned[@]}" ;;
  esac
}
torch_threads() { local th=${1#*threads}; echo "${th%%-*}"; }
