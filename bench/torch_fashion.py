"""PyTorch side of bench/compare.sh: the same model, data, batch size,
optimizer and per-epoch work as `train --data fashion-mnist` (train on
54,000 images, then evaluate 6,000 validation and 1,000 training images),
printing one line per epoch: `epoch N seconds S val_acc A`.

Usage: python3 torch_fashion.py mlp|cnn EPOCHS [THREADS [BATCH]]
(TEST_ACC=1 also prints the accuracy on the 10,000 test images at the end.)
The OpenBLAS thread count comes from OPENBLAS_NUM_THREADS, set by the
caller; TORCH_ADAM_FOREACH=1 selects Adam's foreach implementation (as in
torch_step.py).
"""
import gzip
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

DIR = os.environ.get("FASHION_DIR", "/usr/share/datasets/fashion-mnist")


def idx(path):
    with gzip.open(path) as f:
        data = f.read()
    magic = int.from_bytes(data[:4], "big")
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(magic & 0xFF)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


def main():
    arch, epochs = sys.argv[1], int(sys.argv[2])
    if len(sys.argv) > 3:
        torch.set_num_threads(int(sys.argv[3]))
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 128
    torch.manual_seed(1)
    x = idx(f"{DIR}/train-images-idx3-ubyte.gz").astype(np.float32)
    y = idx(f"{DIR}/train-labels-idx1-ubyte.gz").astype(np.int64)
    rng = np.random.default_rng(1)
    perm = rng.permutation(len(y))
    val, tr = perm[:6000], perm[6000:]
    mean, std = x[tr].mean(), x[tr].std()
    x = (x - mean) / std
    xt, yt = torch.from_numpy(x[tr]).unsqueeze(1), torch.from_numpy(y[tr])
    xv, yv = torch.from_numpy(x[val]).unsqueeze(1), torch.from_numpy(y[val])
    sub = torch.from_numpy(rng.permutation(len(tr))[:1000])
    if arch == "mlp":
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    else:
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=os.environ.get("TORCH_ADAM_FOREACH") == "1")
    loss_fn = nn.CrossEntropyLoss()
    n = len(yt)
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(n)
        for i in range(0, n, batch):
            b = order[i:i + batch]
            opt.zero_grad()
            loss = loss_fn(model(xt[b]), yt[b])
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            acc = 0
            for i in range(0, len(yv), 256):
                acc += (model(xv[i:i + 256]).argmax(1) == yv[i:i + 256]).sum().item()
            for i in range(0, 1000, 256):
                model(xt[sub[i:i + 256]])
        print(f"epoch {epoch} seconds {time.perf_counter() - start:.3f} val_acc {acc / len(yv):.4f}", flush=True)
    if os.environ.get("TEST_ACC"):
        xs = torch.from_numpy((idx(f"{DIR}/t10k-images-idx3-ubyte.gz").astype(np.float32) - mean) / std).unsqueeze(1)
        ys = torch.from_numpy(idx(f"{DIR}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
        with torch.no_grad():
            acc = sum((model(xs[i:i + 256]).argmax(1) == ys[i:i + 256]).sum().item() for i in range(0, len(ys), 256))
        print(f"test_acc {acc / len(ys):.4f}", flush=True)


if __name__ == "__main__":
    main()
