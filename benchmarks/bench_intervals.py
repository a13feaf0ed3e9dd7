"""Cost of the P/R/D/C intervals: the k-NN manifolds recomputed on every half-sample, from the
three distance matrices computed once and sliced (``prdc_resampler``, the library's path) vs
recomputing the distances of every half-sample (``max_bytes=0``, the path before, and the one
beyond the memory budget), side by side in one process on the same half-samples.

Features are Gaussian (real N(0, I), fake N(0.1, 1.1² I)); time is wall time on this machine's
threads (``--threads``). Columns: the metric itself (``prdc_indicators`` on the whole samples),
the one-off matrices, seconds per replicate each way, and the projected cost of an interval
with ``--n-boot`` replicates (the library's default 100). The indicators of the two paths are
checked equal on every replicate.

    python benchmarks/bench_intervals.py --sizes 2000:64 2000:2048 10000:64 --replicates 5
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import torch

from ganmetrics.config import DEFAULTS
from ganmetrics.metrics.prdc import prdc_indicators, prdc_resampler


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", nargs="+", default=["2000:64", "2000:2048"], help="N:d per row (N real and N fake)")
    p.add_argument("--replicates", type=int, default=5, help="timed half-samples per path")
    p.add_argument("--n-boot", type=int, default=DEFAULTS.n_boot)
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(f"machine: {os.cpu_count()} CPU cores ({platform.machine()}), torch {torch.__version__}, "
          f"{args.threads} threads; {args.replicates} half-samples per path")
    print(f"| N | d | metric s | matrices s | per replicate, sliced s | per replicate, recomputed s | "
          f"interval ({args.n_boot} replicates), sliced s | same, recomputed s | speed-up |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for spec in args.sizes:
        n, d = (int(v) for v in spec.split(":"))
        rng = np.random.default_rng(0)
        real, fake = rng.normal(size=(n, d)), 0.1 + 1.1 * rng.normal(size=(n, d))
        t = time.perf_counter()
        prdc_indicators(real, fake)
        t_metric = time.perf_counter() - t
        t = time.perf_counter()
        sliced = prdc_resampler(real, fake)
        t_matrices = time.perf_counter() - t
        recomputed = prdc_resampler(real, fake, max_bytes=0)
        times = {"sliced": 0.0, "recomputed": 0.0}
        for _ in range(args.replicates):
            ia, ib = (np.sort(rng.permutation(n)[: n // 2]) for _ in range(2))
            out = {}
            for name, f in (("sliced", sliced), ("recomputed", recomputed)):
                t = time.perf_counter()
                out[name] = f(ia, ib)
                times[name] += time.perf_counter() - t
            for m in out["sliced"]:
                if not np.array_equal(out["sliced"][m], out["recomputed"][m]):
                    raise SystemExit(f"N={n} d={d}: the two paths disagree on {m}")
        s, r = times["sliced"] / args.replicates, times["recomputed"] / args.replicates
        total_s, total_r = t_matrices + args.n_boot * s, args.n_boot * r
        print(f"| {n:,} | {d} | {t_metric:.2f} | {t_matrices:.2f} | {s:.3f} | {r:.3f} | {total_s:.0f} | "
              f"{total_r:.0f} | {total_r / total_s:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
