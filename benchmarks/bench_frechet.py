"""Fréchet-distance time and agreement at d = 2048: scipy.linalg.sqrtm(Σ1 Σ2) (TTUR /
pytorch-fid) vs ganmetrics' routes, side by side in one process.

Statistics come from synthetic non-negative features with a decaying spectrum (like pool3), for
a rank-deficient case (N < d) and a full-rank one. Rows:

* ``scipy``: ``scipy.linalg.sqrtm`` of the product, the reference implementations' computation;
* ``eigvals``: Σ sqrt λ(Σ1 Σ2), the default before the symmetric routes;
* ``auto``: the default (``cholesky`` when both covariances are positive definite, ``lowrank``
  when one is singular), with the sample counts passed as ``fid``/``evaluate`` do;
* ``features``: the exact feature-matrix form (N1 x N2 nuclear norm), for N < d only: the
  exact value that the d x d routes approximate.

Each row is timed ``--repeats`` times (median); "rel. diff" is against scipy, "vs exact"
against the feature-matrix form (N < d).

    python benchmarks/bench_frechet.py
    python benchmarks/bench_frechet.py --device cuda   # the Cholesky route on the GPU (float64)
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import scipy
import torch

from ganmetrics.metrics.frechet import frechet_distance_features, frechet_distance_info


def features(n, d, seed, shift, mix):
    return np.abs(np.random.default_rng(seed).normal(size=(n, d)) @ mix.T + shift)


def timed(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dim", type=int, default=2048)
    p.add_argument("--n", type=int, nargs="+", default=[1000, 10000])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--device", default=None, help="torch device for the Cholesky route (default: CPU)")
    args = p.parse_args()
    d = args.dim
    mix = np.random.default_rng(99).normal(size=(d, d)) * (np.arange(1, d + 1) ** -0.7)[None, :]
    print(f"machine: {os.cpu_count()} CPU cores ({platform.machine()}), numpy {np.__version__}, "
          f"scipy {scipy.__version__}, torch {torch.__version__}; d = {d}, median of {args.repeats}; "
          f"device {args.device or 'cpu'}")
    print("| N | method | route | seconds | speed-up vs scipy | FID | rel. diff to scipy | rel. diff to exact |")
    print("|---:|---|---|---:|---:|---:|---:|---:|")
    for n in args.n:
        f1, f2 = features(n, d, 1, 0.0, mix), features(n, d, 2, 0.05, mix)
        m1, s1, m2, s2 = f1.mean(0), np.cov(f1, rowvar=False), f2.mean(0), np.cov(f2, rowvar=False)
        rows = {}
        for label, kw in (("scipy", {"method": "scipy"}), ("eigvals", {"method": "eigvals"}),
                          ("auto", {"n1": n, "n2": n, "device": args.device})):
            t, (v, info) = timed(lambda: frechet_distance_info(m1, s1, m2, s2, **kw), args.repeats)
            rows[label] = (t, v, info["sqrtm_route"])
        if n <= d:
            t, v = timed(lambda: frechet_distance_features(f1, f2), args.repeats)
            rows["features"] = (t, v, "features")
        exact = rows["features"][1] if "features" in rows else None
        t_ref, v_ref, _ = rows["scipy"]
        for label, (t, v, route) in rows.items():
            vs_exact = f"{abs(v - exact) / abs(exact):.1e}" if exact is not None else ""
            print(f"| {n} | {label} | {route} | {t:.2f} | {t_ref / t:.1f}x | {v:.6f} | "
                  f"{abs(v - v_ref) / abs(v_ref):.1e} | {vs_exact} |", flush=True)


if __name__ == "__main__":
    main()
