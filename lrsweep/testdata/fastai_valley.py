#!/usr/bin/python3
"""The valley suggestions fastai would read off our recorded range tests.

TestValleyMatchesFastai (lrsweep/suggest_test.go) holds this script's output.
To regenerate it, from the repository's root:

    /usr/bin/python3 lrsweep/testdata/fastai_valley.py

and paste the printed rows into fastaiValleyCases. Pure Python (no numpy,
no torch): fastai's tensors only index and compare here.

The curves are lr_sweep.csv files written by the range test on the embedded
digits:

    digits_cnn_100.csv   go run ./cmd/practica train --lr-sweep
                         (seed 1 diverges after 81 of its 100 steps)
    digits_mlp_60.csv    go run ./cmd/practica train --lr-sweep --model mlp --lr-steps 60 --lr-sweep-seeds 2
                         (both seeds diverge, after 55 and 58 steps)

plus curves cut from them that end on a non-finite loss, as our range test
records one: the point holds the raw loss and a NaN smoothed loss.

fastai's code, transcribed from fastai/callback/schedule.py at commit
0a049e8a90b86d70860f68072698245a1ee787ca (generated from
nbs/14_callback.schedule.ipynb):

  - valley (lines 205-223) verbatim; it gets Python lists instead of tensors.
  - lr_find's window (lines 287-292): the recorder's smoothed losses and lrs
    sliced [num_it//10:-5], then cut at the first NaN.
  - what the recorder would hold: every step's lr and smoothed loss
    (Recorder.after_batch) until LRFinder.after_batch (lines 183-187) stops
    the fit, at the step whose smoothed loss passes 4x the best or at
    num_it. A NaN loss stops neither (NaN compares false), so after one the
    recorder holds NaN up to num_it; an infinite loss makes the smoothed loss
    +inf, which the 4x check stops at, with that point recorded.

fastai's recorder holds float32 tensors; the script also runs valley on the
losses rounded to float32 and checks that it picks the same point.
"""

import csv
import math
import os
import struct


# fastai/callback/schedule.py, lines 205-223.
def valley(lrs: list, losses: list, num_it: int):
    "Suggests a learning rate from the longest valley and returns its index"
    n = len(losses)
    max_start, max_end = 0, 0

    # find the longest valley
    lds = [1] * n
    for i in range(1, n):
        for j in range(0, i):
            if (losses[i] < losses[j]) and (lds[i] < lds[j] + 1):
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]

    sections = (max_end - max_start) / 3
    idx = max_start + int(sections) + int(sections / 2)

    return float(lrs[idx]), (float(lrs[idx]), losses[idx])


def lr_find_window(rec_lrs, rec_losses, num_it):
    """lr_find's lines 287-292, returning the window's bounds as well."""
    lo = len(rec_losses[: num_it // 10])
    lrs, losses = rec_lrs[num_it // 10 : -5], rec_losses[num_it // 10 : -5]
    nan_idxs = [i for i, v in enumerate(losses) if math.isnan(v)]
    if len(nan_idxs) > 0:
        drop_idx = min(nan_idxs)
        lrs = lrs[:drop_idx]
        losses = losses[:drop_idx]
    return lo, lo + len(losses), lrs, losses


def recorder(points, num_it):
    """The lrs and smoothed losses fastai's recorder would hold."""
    lrs = [p["lr"] for p in points]
    losses = [p["smoothed"] for p in points]
    last = points[-1]["loss"]
    if math.isnan(last):
        pad = num_it - len(points)
        lrs += [math.nan] * pad
        losses += [math.nan] * pad
    elif math.isinf(last):
        losses[-1] = math.inf
    return lrs, losses


def f32(v):
    return struct.unpack("f", struct.pack("f", v))[0]


def read(name):
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    curves = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            p = {k: float(row[k]) for k in ("lr", "loss", "smoothed")}
            p["step"] = int(row["step"])
            curves.setdefault(int(row["seed"]), []).append(p)
    return curves


def cut(points, keep, loss):
    """The first keep points, then one with this raw loss and a NaN smoothed
    loss at the next step's lr (our recorder's record of a non-finite step)."""
    nxt = dict(points[keep])
    nxt["loss"], nxt["smoothed"] = loss, math.nan
    return points[:keep] + [nxt]


def cases():
    cnn, mlp = read("digits_cnn_100.csv"), read("digits_mlp_60.csv")
    return [
        ("cnn seed 1: diverged at 81", "digits_cnn_100.csv", 1, 100, 0, 0.0, cnn[1]),
        ("cnn seed 2: completed", "digits_cnn_100.csv", 2, 100, 0, 0.0, cnn[2]),
        ("cnn seed 3: completed", "digits_cnn_100.csv", 3, 100, 0, 0.0, cnn[3]),
        ("mlp seed 1: diverged at 55 of 60", "digits_mlp_60.csv", 1, 60, 0, 0.0, mlp[1]),
        ("mlp seed 2: diverged at 58 of 60", "digits_mlp_60.csv", 2, 60, 0, 0.0, mlp[2]),
        ("cnn seed 1 cut: NaN loss at 61", "digits_cnn_100.csv", 1, 100, 60, math.nan, cut(cnn[1], 60, math.nan)),
        ("cnn seed 1 cut: +Inf loss at 61", "digits_cnn_100.csv", 1, 100, 60, math.inf, cut(cnn[1], 60, math.inf)),
        ("cnn seed 2 cut: NaN loss at 98", "digits_cnn_100.csv", 2, 100, 97, math.nan, cut(cnn[2], 97, math.nan)),
    ]


def go_float(v):
    if math.isnan(v):
        return "math.NaN()"
    if math.isinf(v):
        return "math.Inf(1)"
    return repr(v)


def main():
    print("// name, file, seed, steps, cut (0: none; else the points kept), the cut's raw loss,")
    print("// fastai's window [lo, hi), the valley's step and lr.")
    for name, file, seed, steps, keep, loss, points in cases():
        rec_lrs, rec_losses = recorder(points, steps)
        lo, hi, lrs, losses = lr_find_window(rec_lrs, rec_losses, steps)
        lr, _ = valley(lrs, losses, steps)
        lr32, _ = valley(lrs, [f32(v) for v in losses], steps)
        assert lr32 == lr, f"{name}: float32 losses pick lr {lr32}, float64 {lr}"
        i = lo + lrs.index(lr)
        print(
            f'{{"{name}", "{file}", {seed}, {steps}, {keep}, {go_float(loss)}, '
            f"{lo}, {hi}, {points[i]['step']}, {lr!r}}},"
        )


if __name__ == "__main__":
    main()
