"""Cost of the P/R/D/C intervals: the k-NN manifolds recomputed on every half-sample, with the
whole samples' distances kept as neighbour lists (``prdc_resampler``'s default storage), as the
three distance matrices sliced (its storage when most pairs matter), or recomputed for every
half-sample (beyond the memory budget), side by side in one process on the same half-samples.

Features are Gaussian (real N(0, I), fake N(s, (1 + s)² I), s = 0.1 unless a size says
``N:d:s``; at d = 2048 s = 0.1 puts every real point inside nearly every fake ball, and 0.0177
gives values like those at d = 64, as in bench_coverage.py); time is wall time on this machine's
threads (``--threads``). Columns: the metric itself (``prdc_indicators`` on the whole samples),
each storage's one-off build, seconds per replicate each way, and the cost of an interval with
``--n-boot`` half-sample replicates (the library's default 100: build + replicates; the split
intervals since 2026-12-01 also draw 2 x ``--n-boot`` quarter-samples, about as much work again,
not timed here). The indicators of the three are checked equal on every replicate.

    python benchmarks/bench_intervals.py --sizes 2000:64 2000:2048 2000:2048:0.0177 --replicates 5
"""
from __future__ import annotations

import argparse
import gc
import os
import platform
import time

import numpy as np
import torch

from ganmetrics.config import DEFAULTS
from ganmetrics.metrics.prdc import prdc_indicators, prdc_resampler


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", nargs="+", default=["2000:64", "2000:2048"], help="N:d or N:d:shift per row (N real and N fake)")
    p.add_argument("--replicates", type=int, default=5, help="timed half-samples per path")
    p.add_argument("--n-boot", type=int, default=DEFAULTS.n_boot)
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(f"machine: {os.cpu_count()} CPU cores ({platform.machine()}), torch {torch.__version__}, "
          f"{args.threads} threads; {args.replicates} half-samples per path")
    kinds = ("neighbours", "matrices", "recompute")
    print("| N | d | shift | default takes | metric s | build s: lists / matrices | per replicate s: lists / matrices / recomputed | "
          f"interval ({args.n_boot} replicates) s: lists / matrices / recomputed | lists vs matrices | "
          "kept MiB: lists / matrices |")
    print("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for spec in args.sizes:
        n, d, shift = (float(v) for v in (spec + ":0.1").split(":")[:3])
        n, d = int(n), int(d)
        rng = np.random.default_rng(0)
        real, fake = rng.normal(size=(n, d)), shift + (1 + shift) * rng.normal(size=(n, d))
        t = time.perf_counter()
        prdc_indicators(real, fake)
        t_metric = time.perf_counter() - t
        auto = prdc_resampler(real, fake).storage
        resamplers, build = {}, {}
        for kind in kinds:
            t = time.perf_counter()
            resamplers[kind] = prdc_resampler(real, fake, storage=kind, max_bytes=1 << 40)
            build[kind] = time.perf_counter() - t
            assert resamplers[kind].storage == kind
        times = dict.fromkeys(kinds, 0.0)
        for _ in range(args.replicates):
            ia, ib = (np.sort(rng.permutation(n)[: n // 2]) for _ in range(2))
            out = {}
            for kind, f in resamplers.items():
                t = time.perf_counter()
                out[kind] = f(ia, ib)
                times[kind] += time.perf_counter() - t
            for kind in kinds[1:]:
                for m in out[kind]:
                    if not np.array_equal(out[kind][m], out["neighbours"][m]):
                        raise SystemExit(f"N={n} d={d}: {kind} and the lists disagree on {m}")
        per = {k: v / args.replicates for k, v in times.items()}
        total = {k: build[k] + args.n_boot * per[k] for k in kinds}
        total["recompute"] = args.n_boot * per["recompute"]
        mib = {k: resamplers[k].nbytes / 2 ** 20 for k in kinds}
        print(f"| {n:,} | {d} | {shift:g} | {auto} | {t_metric:.2f} | {build['neighbours']:.2f} / {build['matrices']:.2f} | "
              f"{per['neighbours']:.4f} / {per['matrices']:.3f} / {per['recompute']:.3f} | "
              f"{total['neighbours']:.0f} / {total['matrices']:.0f} / {total['recompute']:.0f} | "
              f"{total['matrices'] / total['neighbours']:.1f}x | {mib['neighbours']:.1f} / {mib['matrices']:.0f} |", flush=True)
        del resamplers, out     # their memory counts against the next row's budget until released
        gc.collect()


if __name__ == "__main__":
    main()
