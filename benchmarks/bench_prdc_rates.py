"""How fast the spread of precision/recall/density/coverage falls with N, and what that does to
their intervals, and which rule turns split replicates into an interval (docs/coverage.md).

Each draw takes real ~ N(0, I_d), fake ~ N(shift·1, (1 + shift)² I_d) (bench_coverage.py's pair),
computes the four metrics at N, and cuts both samples ``--cuts`` times at random into 2, 4 and 8
disjoint parts (the library's resampler, k-NN manifolds recomputed on each part). Parts of one cut
are independent draws at N/2, N/4, N/8, so their sample variance, averaged over cuts, is unbiased
for Var(metric at N/2, N/4, N/8); Var(metric at N) is the spread of the draws' estimates.

Printed per metric: the ratios V(N/8)/V(N/4), V(N/4)/V(N/2), V(N/2)/V(N) (2 for a mean; smaller
when the spread falls more slowly than 1/sqrt(N)), and the 90%/95% coverage of E[metric at N] (the
leave-one-out mean of the draws) and mean width / true width of these intervals:

* ``half``: half-sampling, the pivotal interval of the half-samples (the method before split);
* ``split (library)``: ``bootstrap.split_interval`` on each cut's halves and quarters (the layout
  of scheme "split"): V(N) = V(N/2) / r, r = V(N/4) / V(N/2) clipped to [1, 2], Student's t with
  the jackknife degrees of freedom (``split_variance_at_n``);
* ``split at N/2 (before)``: estimate ± t·sqrt(V(N/2)), t with one degree of freedom per cut (the
  library's until 2026-12-01: never short, 1.2-1.6x too wide);
* ``split, 1/N``: estimate ± t·sqrt(V(N/2) / 2), the rate of a mean (what half-sampling assumes);
* ``split, rate from N/4 in [1, 4], z (tried)``: estimate ± z·sqrt(V(N/2)² / V(N/4)), the rate
  clipped to [1, 4], the normal z: tried first and not adopted (1-4 points short: a faster fall
  than 1/N allowed, the noise of the rate not in the quantile).

Draws saved without the eighths (``"8"``) pool too (their V(N/8) column shows "-").

    python benchmarks/bench_prdc_rates.py --dim 2048 --n 2000 --shift 0.0177 --draws 150 --cuts 50
    python benchmarks/bench_prdc_rates.py --dim 64 --n 2000 --draws 120 --cuts 50
    python benchmarks/bench_prdc_rates.py --pool rates.jsonl          # after --save rates.jsonl

``--cuts 50`` is the library's default (``--n-boot 100`` = 50 cuts into halves and quarters).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import norm
from scipy.stats import t as student

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_coverage import draw  # noqa: E402

from ganmetrics.metrics import bootstrap as B  # noqa: E402
from ganmetrics.metrics.prdc import prdc_resampler  # noqa: E402

PARTS = (2, 4, 8)


def one_draw(rng, d, n, shift, cuts, seed, parts_cut=PARTS):
    """{"est": {metric: value}, "2"/"4"/"8": cuts x parts x 4 metric values} (the ``parts_cut`` only)"""
    x, y = draw(rng, n, d, shift, False), draw(rng, n, d, shift)
    f = prdc_resampler(x, y)
    rec = {"est": {m: float(v.mean()) for m, v in f(np.arange(n), np.arange(n)).items()}}
    crng = np.random.default_rng(seed)
    for parts in parts_cut:
        rec[str(parts)] = []
    for _ in range(cuts):
        pa, pb = crng.permutation(n), crng.permutation(n)
        for parts in parts_cut:
            k = n // parts
            values = []
            for j in range(parts):
                ind = f(np.sort(pa[j * k:(j + 1) * k]), np.sort(pb[j * k:(j + 1) * k]))
                values.append([float(ind[m].mean()) for m in B.PRDC])
            rec[str(parts)].append(values)
    return rec


def _split_layout(halves: np.ndarray, quarters: np.ndarray) -> np.ndarray:
    """One draw's halves (cuts x 2) and quarters (cuts x 4) as scheme "split" lays its replicates out."""
    return np.concatenate([halves, quarters], axis=1).ravel()


def summary(records) -> list[str]:
    r = len(records)
    parts_in = [p for p in PARTS if all(str(p) in rec for rec in records)]
    lines = [f"{r} draws", "| metric | V(N/8)/V(N/4) | V(N/4)/V(N/2) | V(N/2)/V(N) | interval | coverage 90% | "
             "coverage 95% | width |", "|---|---:|---:|---:|---|---:|---:|---:|"]
    for i, m in enumerate(B.PRDC):
        est = np.array([rec["est"][m] for rec in records])
        parts = {p: np.array([rec[str(p)] for rec in records])[..., i] for p in parts_in}   # draws x cuts x parts
        var = {p: parts[p].var(axis=2, ddof=1).mean(axis=1) for p in parts_in}             # per draw
        v_n = est.var(ddof=1)
        target = (est.sum() - est) / (r - 1)
        cuts = parts[2].shape[1]
        halves = parts[2].reshape(r, -1)

        def around(lv, variances, q):
            return [(e - q * np.sqrt(v), e + q * np.sqrt(v)) for e, v in zip(est, variances)]
        methods = {
            "half": lambda lv: [B.centered_interval(e, h, lv) for e, h in zip(est, halves)],
            "split (library)": lambda lv: [B.split_interval(e, _split_layout(parts[2][k], parts[4][k]), lv)
                                           for k, e in enumerate(est)],
            "split at N/2 (before)": lambda lv: around(lv, var[2], student.ppf(.5 + lv / 2, cuts)),
            "split, 1/N": lambda lv: around(lv, var[2] / 2, student.ppf(.5 + lv / 2, cuts)),
            "split, rate from N/4 in [1, 4], z (tried)": lambda lv: around(
                lv, np.clip(var[2] ** 2 / var[4], var[2] / 4, var[2]), norm.ppf(.5 + lv / 2)),
        }
        eighths = f"{var[8].mean() / var[4].mean():.2f}" if 8 in var else "-"
        ratios = f"{eighths} | {var[4].mean() / var[2].mean():.2f} | {var[2].mean() / v_n:.2f}"
        for name, intervals in methods.items():
            cover = [np.mean([lo <= t <= hi for (lo, hi), t in zip(intervals(lv), target)]) for lv in (0.9, 0.95)]
            width = np.mean([hi - lo for lo, hi in intervals(0.95)]) / (2 * norm.ppf(0.975) * np.sqrt(v_n))
            lines.append(f"| {m} | {ratios} | {name} | {cover[0]:.1%} | {cover[1]:.1%} | {width:.2f} |")
            ratios = " | | "
    return lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dim", type=int, default=2048)
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--shift", type=float, default=0.0177)
    p.add_argument("--draws", type=int, default=150)
    p.add_argument("--cuts", type=int, default=50)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--parts", type=int, nargs="+", choices=PARTS, default=list(PARTS),
                   help="cut into these numbers of parts (2 and 4 are needed; 8 only for the V(N/8) column, "
                        "about 40%% of the cost)")
    p.add_argument("--save", metavar="FILE", help="append each draw as a JSON line")
    p.add_argument("--pool", nargs="+", metavar="FILE", help="only print the summary of saved draws")
    args = p.parse_args()
    if args.pool:
        from bench_coverage import read_records
        records = read_records(args.pool, ("est", "2", "4"))     # "8" optional
    else:
        rng, records, t0 = np.random.default_rng(args.seed), [], time.time()
        for r in range(args.draws):
            records.append(one_draw(rng, args.dim, args.n, args.shift, args.cuts, args.seed * 100003 + r,
                                    tuple(sorted(set(args.parts) | {2, 4}))))
            if args.save:
                with open(args.save, "a") as f:
                    f.write(json.dumps(records[-1]) + "\n")
        print(f"d = {args.dim}, N = {args.n}, shift {args.shift}, {args.cuts} cuts per draw, "
              f"{time.time() - t0:.0f} s")
    if len(records) < 3:
        sys.exit("need at least 3 draws")
    print("\n".join(summary(records)))


if __name__ == "__main__":
    main()
