"""Fréchet-distance time and agreement: scipy.linalg.sqrtm vs the eigenvalue methods, at d = 2048.

Statistics come from synthetic non-negative features with a decaying spectrum (like pool3), for a
rank-deficient case (N < d) and a full-rank one. Each method is timed `--repeats` times (median).

    python benchmarks/bench_frechet.py
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import scipy

from ganmetrics.metrics.frechet import METHODS, frechet_distance


def stats(n, d, seed, shift, mix):
    f = np.abs(np.random.default_rng(seed).normal(size=(n, d)) @ mix.T + shift)
    return f.mean(0), np.cov(f, rowvar=False)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dim", type=int, default=2048)
    p.add_argument("--n", type=int, nargs="+", default=[1000, 10000])
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    d = args.dim
    mix = np.random.default_rng(99).normal(size=(d, d)) * (np.arange(1, d + 1) ** -0.7)[None, :]
    print(f"machine: {os.cpu_count()} CPU cores ({platform.machine()}), numpy {np.__version__}, "
          f"scipy {scipy.__version__}; d = {d}, median of {args.repeats}")
    print("| N | method | seconds | vs scipy time | FID | relative difference to scipy |")
    print("|---:|---|---:|---:|---:|---:|")
    for n in args.n:
        m1, s1 = stats(n, d, 1, 0.0, mix)
        m2, s2 = stats(n, d, 2, 0.05, mix)
        rows = {}
        for method in ("scipy",) + tuple(m for m in METHODS if m != "scipy"):
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                value = frechet_distance(m1, s1, m2, s2, method=method)
                times.append(time.perf_counter() - start)
            rows[method] = (float(np.median(times)), value)
        t_ref, v_ref = rows["scipy"]
        for method, (t, v) in rows.items():
            print(f"| {n} | {method} | {t:.2f} | {t / t_ref:.2f}x | {v:.6f} | {abs(v - v_ref) / abs(v_ref):.1e} |")


if __name__ == "__main__":
    main()
