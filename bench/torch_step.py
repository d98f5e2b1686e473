"""PyTorch side of bench/step.sh: one training step (forward, backward,
Adam) of the models BenchmarkStep times (go test ./train -bench Step), on a
random batch of 128 28x28 images, as BenchmarkStep draws it (normal inputs,
uniform labels, mean cross-entropy). Prints `ms/step M` for the model.

Usage: python3 torch_step.py mlp|cnn STEPS [THREADS [BATCH]]
The OpenBLAS thread count comes from OPENBLAS_NUM_THREADS, set by the caller.
"""
import os
import sys
import time

import torch
import torch.nn as nn


def build(arch):
    if arch == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def main():
    arch, steps = sys.argv[1], int(sys.argv[2])
    if len(sys.argv) > 3:
        torch.set_num_threads(int(sys.argv[3]))
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 128
    torch.manual_seed(1)
    model = build(arch)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=os.environ.get("TORCH_ADAM_FOREACH") == "1")
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(max(3, steps // 10)):  # warm-up, as the Go benchmark's first step
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    print(f"ms/step {(time.perf_counter() - start) * 1000 / steps:.4f}", flush=True)


if __name__ == "__main__":
    main()
