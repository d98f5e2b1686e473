"""PyTorch side of bench/infer.sh: the forward pass of the models
model.BenchmarkLatency times (go test ./model -bench Latency), under
torch.no_grad() in eval mode, on random normal inputs as the Go benchmark
draws them.

  digits-cnn   what `practica train` builds on the 8x8 digits (the cnn
               preset: conv 32 3x3 same, relu, 2x2 max-pool, conv 64,
               relu, max-pool, flatten to 64x2x2 = 256, dense 128, relu,
               dense 10)
  fashion-mlp  `--data fashion-mnist --model mlp`: 784-256-128-10, relu

Prints, for batches of 1 and 64, the median of many single calls timed
one by one after a warm-up, as the Go benchmark's figures are:
  batch 1 us/example U examples/s E
  batch 64 us/example U examples/s E

Usage: python3 torch_infer.py digits-cnn|fashion-mlp THREADS [SECONDS]
THREADS is torch.set_num_threads; the OpenBLAS thread count comes from
OPENBLAS_NUM_THREADS, set by the caller. SECONDS (default 2) is the time
spent timing each batch size.
"""
import statistics
import sys
import time

import torch
import torch.nn as nn


def build(name):
    if name == "fashion-mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                             nn.Linear(128, 10)), (1, 28, 28)
    if name == "digits-cnn":
        return nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 2 * 2, 128), nn.ReLU(), nn.Linear(128, 10)), (1, 8, 8)
    sys.exit(f"unknown model {name!r}: digits-cnn or fashion-mlp")


def median_call(model, x, seconds):
    """The median time of one call, in seconds, over the calls of `seconds`."""
    for _ in range(50):  # warm-up: allocator, OpenBLAS's threads
        model(x)
    times = []
    end = time.perf_counter() + seconds
    while True:
        t0 = time.perf_counter()
        model(x)
        t1 = time.perf_counter()
        times.append(t1 - t0)
        if t1 >= end and len(times) >= 100:
            return statistics.median(times)


def main():
    name, threads = sys.argv[1], int(sys.argv[2])
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 2.0
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model, shape = build(name)
    model.eval()
    with torch.no_grad():
        for batch in (1, 64):
            x = torch.randn(batch, *shape)
            t = median_call(model, x, seconds)
            print(f"batch {batch} us/example {t * 1e6 / batch:.3f} examples/s {batch / t:.1f}", flush=True)


if __name__ == "__main__":
    main()
