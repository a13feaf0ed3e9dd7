"""How fast the spread of precision/recall/density/coverage falls with N, and what that does to
their intervals (docs/coverage.md: why P/R/D/C use complementary halves).

Each draw takes real ~ N(0, I_d), fake ~ N(shift·1, (1 + shift)² I_d) (bench_coverage.py's pair),
computes the four metrics at N, and cuts both samples ``--cuts`` times at random into 2, 4 and 8
disjoint parts (the library's resampler, k-NN manifolds recomputed on each part). Parts of one cut
are independent draws at N/2, N/4, N/8, so their sample variance, averaged over cuts, is unbiased
for Var(metric at N/2, N/4, N/8); Var(metric at N) is the spread of the draws' estimates.

Printed per metric: the ratios V(N/8)/V(N/4), V(N/4)/V(N/2), V(N/2)/V(N) (2 for a mean; smaller
when the spread falls more slowly than 1/sqrt(N)), and the 90%/95% coverage of E[metric at N] (the
leave-one-out mean of the draws) and mean width / true width of three intervals:

* ``half``: half-sampling, the pivotal interval of the half-samples (the method before);
* ``split``: estimate ± z·sqrt(V(N/2)) (the library's, ``bootstrap.split_interval``);
* ``split, rate from N/4``: estimate ± z·sqrt(V(N/2)² / V(N/4)), the power law through N/4 and
  N/2 extrapolated to N (clipped to [V(N/2)/4, V(N/2)]); tried and not adopted.

    python benchmarks/bench_prdc_rates.py --dim 2048 --n 2000 --shift 0.0177 --draws 150 --cuts 50
    python benchmarks/bench_prdc_rates.py --dim 64 --n 2000 --draws 120 --cuts 50
    python benchmarks/bench_prdc_rates.py --pool rates.jsonl          # after --save rates.jsonl

``--cuts 50`` is the library's default (``--n-boot 100`` = 50 cuts into halves).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import norm

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_coverage import draw  # noqa: E402

from ganmetrics.metrics import bootstrap as B  # noqa: E402
from ganmetrics.metrics.prdc import prdc_resampler  # noqa: E402

PARTS = (2, 4, 8)


def one_draw(rng, d, n, shift, cuts, seed):
    """{"est": {metric: value}, "2"/"4"/"8": cuts x parts x 4 metric values}"""
    x, y = draw(rng, n, d, shift, False), draw(rng, n, d, shift)
    f = prdc_resampler(x, y)
    rec = {"est": {m: float(v.mean()) for m, v in f(np.arange(n), np.arange(n)).items()}}
    crng = np.random.default_rng(seed)
    for parts in PARTS:
        rec[str(parts)] = []
    for _ in range(cuts):
        pa, pb = crng.permutation(n), crng.permutation(n)
        for parts in PARTS:
            k = n // parts
            values = []
            for j in range(parts):
                ind = f(np.sort(pa[j * k:(j + 1) * k]), np.sort(pb[j * k:(j + 1) * k]))
                values.append([float(ind[m].mean()) for m in B.PRDC])
            rec[str(parts)].append(values)
    return rec


def summary(records) -> list[str]:
    r = len(records)
    lines = [f"{r} draws", "| metric | V(N/8)/V(N/4) | V(N/4)/V(N/2) | V(N/2)/V(N) | interval | coverage 90% | "
             "coverage 95% | width |", "|---|---:|---:|---:|---|---:|---:|---:|"]
    for i, m in enumerate(B.PRDC):
        est = np.array([rec["est"][m] for rec in records])
        parts = {p: np.array([rec[str(p)] for rec in records])[..., i] for p in PARTS}   # draws x cuts x parts
        var = {p: parts[p].var(axis=2, ddof=1).mean(axis=1) for p in PARTS}             # per draw
        v_n = est.var(ddof=1)
        target = (est.sum() - est) / (r - 1)
        halves = parts[2].reshape(r, -1)
        methods = {
            "half": lambda lv: [B.centered_interval(e, h, lv) for e, h in zip(est, halves)],
            "split": lambda lv: [(e - norm.ppf(.5 + lv / 2) * np.sqrt(v), e + norm.ppf(.5 + lv / 2) * np.sqrt(v))
                                 for e, v in zip(est, var[2])],
            "split, rate from N/4": lambda lv: [
                (e - norm.ppf(.5 + lv / 2) * np.sqrt(v), e + norm.ppf(.5 + lv / 2) * np.sqrt(v))
                for e, v in zip(est, np.clip(var[2] ** 2 / var[4], var[2] / 4, var[2]))],
        }
        ratios = (f"{var[8].mean() / var[4].mean():.2f} | {var[4].mean() / var[2].mean():.2f} | "
                  f"{var[2].mean() / v_n:.2f}")
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
    p.add_argument("--save", metavar="FILE", help="append each draw as a JSON line")
    p.add_argument("--pool", nargs="+", metavar="FILE", help="only print the summary of saved draws")
    args = p.parse_args()
    if args.pool:
        from bench_coverage import read_records
        records = read_records(args.pool, ("est",) + tuple(str(p) for p in PARTS))
    else:
        rng, records, t0 = np.random.default_rng(args.seed), [], time.time()
        for r in range(args.draws):
            records.append(one_draw(rng, args.dim, args.n, args.shift, args.cuts, args.seed * 100003 + r))
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
