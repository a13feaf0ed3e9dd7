"""Coverage of the metric intervals and false-alarm rate of the gate, on synthetic Gaussian features.

Ground truth: real ~ N(0, I_d), fake ~ N(0.1·1, 1.1² I_d) (``--shift 0.1``: a nearby but different
distribution, like a decent generator); IS uses logits = 3 · fake · W with a fixed random W (d x 100).
E[metric at N] is simulated from ``--truth-reps`` independent draws (their standard error is
printed), or, with ``--truth-reps 0``, taken from the repetitions themselves: each repetition's
target is the mean of the *other* repetitions' estimates (leave-one-out), which halves the cost
where the metric dominates it (P/R/D/C at N = 10,000). ``--save FILE`` appends every repetition
(estimates, intervals, alarms) as a JSON line; ``--pool FILE ...`` prints the table of saved runs
together (other seeds, other sessions). Each of ``--reps`` repetitions draws fresh real/fake
sets, computes every metric and its intervals at the nominal 90% and 95% levels, and records
whether E[metric at N] is inside.
Methods compared:

* ``percentile``: the old percentile bootstrap (FID, IS with ``--with-bootstrap``; PRDC:
  per-sample indicators with the k-NN manifolds fixed), shown to document why it was replaced;
* ``half``: half-sampling replicates (delete-N/2 jackknife), pivotal interval around the estimate;
* ``..., linear quantiles (old)``: the same replicates with numpy's default quantile estimator
  (type 7) instead of the library's type 9 (``bootstrap.QUANTILE``); free, so always shown;
* ``two-size``: the same, rescaled to the variance extrapolated from half and quarter samples
  (an option of the library, ``scheme="two-size"``; no metric uses it by default);
* ``jackknife`` (KID): closed-form U-statistic jackknife variance + subset Monte-Carlo variance;
* ``split, extrapolated`` (P/R/D/C, the library's): cuts into two halves and four quarters, the variance
  extrapolated from N/4 and N/2 to N, Student's t (``bootstrap.split_variance_at_n``);
  ``split at N/2 (before)``: the same replicates' halves only, the variance at N/2 taken as the
  variance at N (the library's method until 2026-12-01, never short but 1.2-1.6x too wide; runs
  saved before that date label it plain ``split``, their alarms ``compare paired split`` and
  ``gate``); the
  ``half`` rows beside them are half-sampling, the method before that, on their own half-samples.

The gate rows: a second fake set from the *same* distribution is the baseline (its JSON with its
interval); ``run_checks`` with ``max_increase = 0`` must fail at most 1 - level of the time
("gate"); ``compare``'s paired test at the same level ("compare paired") likewise. ``gate`` checks
FID; ``gate-prdc`` checks precision, recall, density and coverage (worse = lower), with their split
intervals and ``compare``'s paired split test (``prdc_alarms``).

    python benchmarks/bench_coverage.py --dims 64 --ns 500 2000 --reps 200
    python benchmarks/bench_coverage.py --dims 64 --ns 10000 --metrics fid kid is gate --reps 200
    python benchmarks/bench_coverage.py --dims 64 --ns 10000 --metrics prdc --library-only --reps 200 \
        --truth-reps 0 --save prdc.jsonl   # then: --pool prdc.jsonl other-seed.jsonl
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import sys
import time
import warnings

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread each: on a shared machine this is faster, and runs can go side by side

import numpy as np
import torch

from ganmetrics.config import DEFAULTS
from ganmetrics.metrics import bootstrap as B
from ganmetrics.metrics.inception_score import inception_score
from ganmetrics.metrics.kid import kid
from ganmetrics.metrics.mmd import cmmd
from ganmetrics.metrics.prdc import prdc_indicators, prdc_resampler
from ganmetrics.report.gate import run_checks
from ganmetrics.result import Result

LEVELS = (0.90, 0.95)
POPULATION = "fid_inf vs population FID (0.02 d)"
PRDC = B.PRDC
#: the library's split rule since 2026-12-01 (runs saved before that date call the rule before "split")
SPLIT = "split, extrapolated"
BEFORE_SPLIT = "split at N/2 (before)"


def bounds(metric):
    return B.BOUNDS.get(metric, (-np.inf, np.inf))


def draw(rng, n, d, shift, fake=True):
    """real ~ N(0, I_d); fake ~ N(shift·1, (1 + shift)² I_d)."""
    if not fake:
        return rng.normal(size=(n, d))
    return shift + (1 + shift) * rng.normal(size=(n, d))


def infinity_estimates(real, fake, w, args):
    """The library's fid_inf / is_inf Estimates (value + replicate), as evaluate computes them."""
    from ganmetrics.features.runner import FeatureSet
    from ganmetrics.metrics import registry
    a = FeatureSet("real", {"features": real})
    b = FeatureSet("fake", {"features": fake, "logits": 3 * fake @ w})
    return {m: registry.get_metric(m).compute(a, b, {"seed": 0}, registry.Context())
            for m in ("fid_inf", "is_inf") if m in args.metrics}


def estimates(real, fake, w, args):
    out = {}
    for m, est in infinity_estimates(real, fake, w, args).items():
        out[m], out["_" + m] = est.value, est
    if "fid" in args.metrics or "gate" in args.metrics:
        out["fid"] = B._fid_features(real, fake)
    if "gate-prdc" in args.metrics and "prdc" not in args.metrics:
        ind = prdc_resampler(real, fake, 3, 5)(np.arange(len(real)), np.arange(len(fake)))
        out.update({m: float(ind[m].mean()) for m in PRDC})
    if "is" in args.metrics:
        out["is"] = inception_score(3 * fake @ w, 10)[0]
    if "kid" in args.metrics:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out["kid"], out["kid_std"] = kid(real, fake, args.kid_subsets, args.kid_subset_size, seed=0)
    if "cmmd" in args.metrics:
        out["cmmd"] = cmmd(unit(real), unit(fake))
    if "prdc" in args.metrics:
        if args.library_only:   # as evaluate does when intervals follow: the estimate off the resampler
            out["_resample"] = prdc_resampler(real, fake, 3, 5)
            ind = out["_resample"](np.arange(len(real)), np.arange(len(fake)))
        else:
            ind = prdc_indicators(real, fake, 3, 5)
        out.update({m: float(ind[m].mean()) for m in PRDC})
        out["_ind"] = ind
    return out


def unit(x):
    """Rows scaled to unit norm, as CLIP embeddings are (CMMD's sigma = 10 assumes that scale)."""
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def kernel_mean(d, a, sa, b, sb):
    """E[(x·y/d + 1)³] for independent x ~ N(a·1, sa² I_d), y ~ N(b·1, sb² I_d): x·y is a sum of
    d i.i.d. products x_i y_i, whose first three moments give its cumulants (times d) and so the
    raw moments of x·y."""
    m1, m2 = a * b, (a * a + sa * sa) * (b * b + sb * sb)
    m3 = (a ** 3 + 3 * a * sa ** 2) * (b ** 3 + 3 * b * sb ** 2)
    k1, k2, k3 = d * m1, d * (m2 - m1 ** 2), d * (m3 - 3 * m2 * m1 + 2 * m1 ** 3)
    e1, e2, e3 = k1, k2 + k1 ** 2, k3 + 3 * k2 * k1 + k1 ** 3
    return e3 / d ** 3 + 3 * e2 / d ** 2 + 3 * e1 / d + 1


def exact_kid(d, shift):
    """E[KID] at any N: KID averages unbiased MMD² estimates, so it is the population MMD² with
    KID's kernel (x·y/d + 1)³ between real and fake, in closed form for these Gaussians."""
    s = 1 + shift
    return kernel_mean(d, 0, 1, 0, 1) + kernel_mean(d, shift, s, shift, s) - 2 * kernel_mean(d, 0, 1, shift, s)


def truth(d, n, w, args, rng):
    vals = {}
    for _ in range(args.truth_reps):
        e = estimates(draw(rng, n, d, args.shift, False), draw(rng, n, d, args.shift), w, args)
        for k, v in e.items():
            if not k.startswith("_") and k != "kid_std":
                vals.setdefault(k, []).append(v)
    out = {k: (float(np.mean(v)), float(np.std(v, ddof=1) / np.sqrt(len(v))), float(np.std(v, ddof=1)))
           for k, v in vals.items()}
    if args.kid_truth == "exact" and "kid" in args.metrics:
        out["kid"] = (exact_kid(d, args.shift), 0.0, None)   # sd: from the repetitions' own estimates
    return out


def intervals(real, fake, w, est, args, seed):
    """{(metric, method): {level: (lo, hi)}}"""
    out = {}

    def add(metric, half, quarter=None):
        out[(metric, "half")] = {lv: B.centered_interval(est[metric], half, lv, bounds(metric)) for lv in LEVELS}
        out[(metric, "half, linear quantiles (old)")] = {
            lv: B.centered_interval(est[metric], half, lv, bounds(metric), quantile_method="linear")
            for lv in LEVELS}
        if quarter is not None:
            scale = B.two_size_scale(half, quarter)
            out[(metric, "two-size")] = {lv: B.centered_interval(est[metric], half, lv, bounds(metric), scale=scale)
                                         for lv in LEVELS}

    def percentile(metric, reps):
        out[(metric, "percentile")] = {lv: tuple(np.quantile(reps, [(1 - lv) / 2, (1 + lv) / 2])) for lv in LEVELS}

    lib = args.library_only
    if "fid" in args.metrics:
        add("fid", B.fid_replicates(real, fake, args.n_rep, seed, "half"),
            None if lib else B.fid_replicates(real, fake, args.n_rep, seed + 1, "quarter"))
        if args.with_bootstrap:
            percentile("fid", B.fid_replicates(real, fake, args.n_rep, seed, "bootstrap"))
    if "is" in args.metrics:
        logits = 3 * fake @ w
        stat = lambda i: inception_score(logits[i], 10)[0]  # noqa: E731
        boot = B.replicates(stat, [len(logits)], args.n_rep, seed, "bootstrap")  # the library's IS interval
        out[("is", "bootstrap")] = {lv: B.centered_interval(est["is"], boot, lv, B.BOUNDS["is"]) for lv in LEVELS}
        out[("is", "bootstrap, linear quantiles (old)")] = {
            lv: B.centered_interval(est["is"], boot, lv, B.BOUNDS["is"], quantile_method="linear") for lv in LEVELS}
        if not lib:
            add("is", B.replicates(stat, [len(logits)], args.n_rep, seed, "half"),
                B.replicates(stat, [len(logits)], args.n_rep, seed + 1, "quarter"))
        if args.with_bootstrap:
            percentile("is", B.replicates(stat, [len(logits)], args.n_rep, seed, "bootstrap"))
    for m in ("fid_inf", "is_inf"):
        if m in args.metrics:
            e = est["_" + m]
            add(m, B.replicates(e.replicate, [len(real), len(fake)][-len(e.sides):], args.n_rep, seed, "half"))
    if "cmmd" in args.metrics:   # the registry's CMMD interval: half-samples of both sets
        ur, uf = unit(real), unit(fake)
        add("cmmd", B.replicates(lambda ia, ib: cmmd(ur[ia], uf[ib]), [len(real), len(fake)], args.n_rep, seed,
                                 "half"))
    if "kid" in args.metrics:
        var = B.kid_jackknife_variance(real, fake)[1]
        out[("kid", "jackknife")] = {lv: B.kid_interval(real, fake, est["kid"], est["kid_std"], args.kid_subsets, lv,
                                                        jackknife_variance=var) for lv in LEVELS}
    if "prdc" in args.metrics:
        def prdc_reps(scheme, seed):
            if not lib:
                return B.prdc_replicates(real, fake, 3, 5, args.prdc_n_rep, seed, scheme)
            reps = {m: [] for m in PRDC}   # the registry's replicates: the resampler that gave the estimate

            def stat(ia, ib):
                for m, v in est["_resample"](ia, ib).items():
                    reps[m].append(float(v.mean()))
                return 0.0
            B.replicates(stat, [len(real), len(fake)], args.prdc_n_rep, seed, scheme)
            return {m: np.array(v) for m, v in reps.items()}
        split = prdc_reps(B.METHODS["precision"], seed)     # the library's: cuts into halves and quarters
        half = prdc_reps("half", seed)                      # half-sampling, the method before
        quarter = None if lib else prdc_reps("quarter", seed + 1)
        rng = np.random.default_rng(seed)
        for m in PRDC:
            out[(m, SPLIT)] = {lv: B.split_interval(est[m], split[m], lv, bounds(m)) for lv in LEVELS}
            out[(m, BEFORE_SPLIT)] = {lv: split_at_half(est[m], split[m], lv, bounds(m)) for lv in LEVELS}
            add(m, half[m], None if lib else quarter[m])
            if lib:
                continue
            per = est["_ind"][m]
            percentile(m, np.array([per[rng.integers(0, len(per), len(per))].mean() for _ in range(args.prdc_n_rep)]))
    return out


def split_at_half(estimate, reps, level, bounds):
    """The split interval before 2026-12-01: the variance at N/2 used as the variance at N, Student's
    t with one degree of freedom per cut (the halves of the same replicates; the quarters unused)."""
    cuts = len(reps) // B.SPLIT_PIECES
    half = B._t(level, cuts) * np.sqrt(B.split_variance(reps))
    return max(estimate - half, min(bounds[0], estimate)), min(estimate + half, max(bounds[1], estimate))


def gate_alarm(real, fake, w, est, args, seed, rng):
    """Does a regression check (max_increase 0) fail when current and baseline share a distribution?"""
    fake2 = draw(rng, len(fake), fake.shape[1], args.shift)
    base_value = B._fid_features(real, fake2)
    alarms = {}
    ra, rb, rc = (np.random.default_rng(seed + k) for k in range(3))
    # paired replicates as compare draws them: one real resample, one per input
    paired = {2: [], 4: []}
    for part in (2,) if args.library_only else (2, 4):
        for _ in range(args.n_rep):
            ia = np.sort(ra.permutation(len(real))[: len(real) // part])
            ib = np.sort(rb.permutation(len(fake))[: len(fake) // part])
            ic = np.sort(rc.permutation(len(fake2))[: len(fake2) // part])
            paired[part].append(B._fid_features(real[ia], fake[ib]) - B._fid_features(real[ia], fake2[ic]))
    for lv in LEVELS:
        cur = Result("fid", est["fid"], {"a": len(real), "b": len(fake)}, None,
                     B.fid_interval(real, fake, est["fid"], lv, args.n_rep, seed), {"ci": lv})
        base_iv = B.fid_interval(real, fake2, base_value, lv, args.n_rep, seed + 7)
        baseline = {"fid": base_value, "fid_ci_low": base_iv[0], "fid_ci_high": base_iv[1], "ci": lv}
        config = {"inputs": {"ci": lv}, "regression": [{"metric": "fid", "max_increase": 0.0}]}
        alarms[("gate", lv)] = not run_checks(config, [cur], baseline)[0].passed
        if not args.library_only:
            (lo, hi), _ = B.difference_test(est["fid"] - base_value, lv, diff_replicates=np.array(paired[2]),
                                            diff_quarter=np.array(paired[4]))
            alarms[("compare paired, two-size", lv)] = lo > 0 or hi < 0
        (lo, hi), _ = B.difference_test(est["fid"] - base_value, lv, diff_replicates=np.array(paired[2]))
        alarms[("compare paired, half", lv)] = lo > 0 or hi < 0
    return alarms


def prdc_alarms(real, fake, est, args, seed, rng):
    """Do the P/R/D/C checks fail when current and baseline share a distribution? A second fake set
    from the same distribution is the baseline. ``compare paired split``: ``compare``'s test, the
    reference and both fake sets cut together into halves and quarters (``bootstrap.split_piece``),
    the difference's t interval (``difference_test(split=True)``) excluding 0. ``gate``: the regression
    check (``max_increase = 0``, worse = lower) on each run's own split interval, spreads combined in
    quadrature (independent runs)."""
    fake2 = draw(rng, len(fake), fake.shape[1], args.shift)
    n_rep = B.split_replicates(args.prdc_n_rep)
    f1 = est.get("_resample") or prdc_resampler(real, fake, 3, 5)
    f2 = prdc_resampler(real, fake2, 3, 5)
    every = np.arange(len(real)), np.arange(len(fake))
    base = {m: float(v.mean()) for m, v in f2(*every).items()}
    cut_rng, cuts = np.random.default_rng(seed), {}
    diff = {m: [] for m in PRDC}
    own = {m: [] for m in PRDC}        # the baseline's own split replicates, for its gate interval
    for r in range(n_rep):
        ia = B.split_piece(cut_rng, cuts, "real", len(real), r)
        v1 = f1(ia, B.split_piece(cut_rng, cuts, "fake", len(fake), r))
        v2 = f2(ia, B.split_piece(cut_rng, cuts, "fake2", len(fake2), r))
        for m in PRDC:
            diff[m].append(float(v1[m].mean() - v2[m].mean()))
            own[m].append(float(v2[m].mean()))
    cur_split = {m: [] for m in PRDC}

    def stat(ia, ib):
        for m, v in f1(ia, ib).items():
            cur_split[m].append(float(v.mean()))
        return 0.0
    B.replicates(stat, [len(real), len(fake)], args.prdc_n_rep, seed + 7, "split")
    alarms = {}
    for lv in LEVELS:
        for m in PRDC:
            (lo, hi), _ = B.difference_test(est[m] - base[m], lv, diff_replicates=np.array(diff[m]), split=True)
            alarms[(f"compare paired {SPLIT}, {m}", lv)] = lo > 0 or hi < 0
            cur = Result(m, est[m], {"a": len(real), "b": len(fake)}, None,
                         B.split_interval(est[m], np.array(cur_split[m]), lv, bounds(m)), {"ci": lv})
            base_iv = B.split_interval(base[m], np.array(own[m]), lv, bounds(m))
            baseline = {m: base[m], f"{m}_ci_low": base_iv[0], f"{m}_ci_high": base_iv[1], "ci": lv}
            config = {"inputs": {"ci": lv}, "regression": [{"metric": m, "max_increase": 0.0}]}
            alarms[(f"gate on {SPLIT}, {m}", lv)] = not run_checks(config, [cur], baseline)[0].passed
    return alarms


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dims", type=int, nargs="+", default=[64])
    p.add_argument("--ns", type=int, nargs="+", default=[500, 2000])
    p.add_argument("--reps", type=int, default=200)
    p.add_argument("--truth-reps", type=int, default=1000,
                   help="independent draws that simulate E[metric at N]; 0: the leave-one-out mean of the "
                        "repetitions' own estimates (no extra draws)")
    p.add_argument("--n-rep", type=int, default=100, help="resampling replicates per interval")
    p.add_argument("--metrics", nargs="+", default=["fid", "is", "kid", "prdc", "gate"],
                   help="among fid, is, kid, prdc, cmmd, gate, gate-prdc, fid_inf, is_inf (fid_inf, is_inf: 15 "
                        "metrics per replicate; cmmd on the features scaled to unit norm, as CLIP embeddings are; "
                        "gate: false alarms of the FID gate and compare; gate-prdc: the same for P/R/D/C)")
    p.add_argument("--prdc-n-rep", type=int, default=DEFAULTS.n_boot,
                   help="replicates per P/R/D/C interval (each is a k-NN pass); default: the library's n_boot. "
                        "Fewer narrow the pivotal quantiles (40 measured D/C 4-5 points short at 95%%, 100 within 2)")
    p.add_argument("--kid-subsets", type=int, default=10, help="KID subsets (the default 100 costs 10x; E[KID] "
                   "does not depend on it, the interval includes its Monte-Carlo variance)")
    p.add_argument("--kid-subset-size", type=int, default=1000)
    p.add_argument("--kid-truth", choices=["simulated", "exact"], default="simulated",
                   help="E[KID]: from the truth draws, or the closed-form population MMD² (KID is unbiased at "
                        "every N; the sd in the width column then comes from the repetitions)")
    p.add_argument("--with-bootstrap", action="store_true", help="also the bootstrap schemes (slower)")
    p.add_argument("--library-only", action="store_true", help="only the methods the library uses "
                   "(METHODS: FID half-sampling, P/R/D/C split halves and quarters (and the methods before: the "
                   "variance at N/2 from the same replicates, half-sampling), IS "
                   "pivotal bootstrap, KID closed form, compare paired half): no quarter-samples or other old "
                   "schemes, about half the cost")
    p.add_argument("--shift", type=float, default=0.1,
                   help="fake ~ N(shift·1, (1 + shift)² I); 0.1 is every table's pair. At d = 2048 it leaves P/R/D/C "
                        "degenerate (no fake in any real ball); 0.1·sqrt(64/d) = 0.0177 there keeps them "
                        "comparable to d = 64 (precision 0.13, recall 0.81, density 0.12, coverage 0.42)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--report-every", type=int, default=0, help="also print the table every this many reps")
    p.add_argument("--save", metavar="FILE", help="append one JSON line per repetition (estimates, intervals, "
                   "alarms) to FILE, so that runs can be pooled with --pool")
    p.add_argument("--pool", nargs="+", metavar="FILE", help="no new draws: the tables of the repetitions saved "
                   "in these files (several runs, other seeds), E[metric at N] from the repetitions themselves")
    args = p.parse_args()
    if not args.shift > -1:
        p.error(f"--shift must be above -1 (the fake scale is 1 + shift), got {args.shift}")
    if args.truth_reps == 1:
        p.error("--truth-reps must be 0 (E from the repetitions) or at least 2")
    header = ("| d | N | metric | method | E[metric at N] (± s.e.) | sd of metric | coverage 90% | coverage 95% | "
              "mean width 95% / (2·1.96·sd) |\n|---:|---:|---|---|---:|---:|---:|---:|---:|")
    if args.pool:
        records = read_records(args.pool, ("d", "n", "shift", "est", "iv"))
        print(f"pooled: {len(records)} repetitions from {', '.join(args.pool)}; E from the repetitions\n{header}")
        for d, n, shift in sorted({(r["d"], r["n"], r["shift"]) for r in records}):
            rows = [r for r in records if (r["d"], r["n"], r["shift"]) == (d, n, shift)]
            print(f"<!-- d={d} N={n} shift={shift}: {len(rows)} repetitions -->")
            tr = {"kid": (exact_kid(d, shift), 0.0, None)} if args.kid_truth == "exact" else {}
            table(d, n, tr, rows)
        return
    torch.set_num_threads(1)
    print(f"machine: {os.cpu_count()} CPU cores ({platform.machine()}), numpy {np.__version__}; "
          f"reps {args.reps}, truth reps {args.truth_reps}, {args.n_rep} replicates per interval "
          f"({args.prdc_n_rep} for P/R/D/C), fake shift {args.shift}, KID {args.kid_subsets} subsets of "
          f"{args.kid_subset_size} (at most N)", flush=True)
    print(header, flush=True)
    for d in args.dims:
        w = np.random.default_rng(123).normal(size=(d, 100)) / np.sqrt(d)
        for n in args.ns:
            t0 = time.time()
            rng = np.random.default_rng(args.seed + 1000 * d + n)
            tr = truth(d, n, w, args, rng)
            print(f"<!-- d={d} N={n}: truth from {args.truth_reps} draws ({time.time() - t0:.0f} s)"
                  f"{'; E from the repetitions (leave-one-out means)' if not args.truth_reps else ''} -->", flush=True)
            records = []
            for r in range(args.reps):
                real, fake = draw(rng, n, d, args.shift, False), draw(rng, n, d, args.shift)
                est = estimates(real, fake, w, args)
                rec = {"d": d, "n": n, "shift": args.shift, "seed": args.seed, "rep": r,
                       "est": {k: float(v) for k, v in est.items() if not k.startswith("_") and k != "kid_std"},
                       "iv": {f"{metric}|{method}": {str(lv): [float(lo), float(hi)] for lv, (lo, hi) in ivs.items()}
                              for (metric, method), ivs in intervals(real, fake, w, est, args, r).items()},
                       "alarms": {}}
                if "gate" in args.metrics:
                    rec["alarms"] = {f"{name}|{lv}": bool(v)
                                     for (name, lv), v in gate_alarm(real, fake, w, est, args, r, rng).items()}
                if "gate-prdc" in args.metrics:
                    rec["alarms"].update({f"{name}|{lv}": bool(v)
                                          for (name, lv), v in prdc_alarms(real, fake, est, args, r, rng).items()})
                records.append(rec)
                if args.save:
                    with open(args.save, "a") as f:
                        f.write(json.dumps(rec) + "\n")
                if args.report_every and (r + 1) % args.report_every == 0 and r + 1 < args.reps:
                    print(f"<!-- d={d} N={n}: after {r + 1} reps ({time.time() - t0:.0f} s) -->")
                    table(d, n, tr, records)
            print(f"<!-- d={d} N={n}: final, {args.reps} reps -->")
            table(d, n, tr, records)
            print(f"<!-- d={d} N={n}: {time.time() - t0:.0f} s -->", flush=True)


def read_records(files, keys) -> list[dict]:
    """The JSON lines of ``--save`` runs (``.gz``: gzip-compressed, as the committed runs under
    benchmarks/results/ are); a missing, unreadable or foreign file stops the script with one line
    naming it and the line."""
    records = []
    for name in files:
        i = 0
        try:
            with (gzip.open(name, "rt") if str(name).endswith(".gz") else open(name)) as f:
                for i, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    rec = json.loads(line)
                    if not isinstance(rec, dict) or any(k not in rec for k in keys):
                        raise ValueError(f"not a saved repetition (needs {', '.join(keys)})")
                    records.append(rec)
        except (OSError, ValueError, EOFError) as err:
            where = f"line {i}: " if i else ""
            sys.exit(f"--pool {name}: {where}{err or type(err).__name__}")
    return records


def table(d, n, tr, records):
    """Coverage rows from the repetitions' records. E[metric at N]: ``tr[metric]`` (mean, s.e., sd;
    sd None: from the repetitions) where given, else the mean of the *other* repetitions'
    estimates (leave-one-out, so a draw's own estimate does not pull its target towards it)."""
    keys = sorted({k for r in records for k in r["iv"]})
    for key, metric in [(k, m) for k in keys for m in (k.split("|")[0], POPULATION)
                        if m != POPULATION or k.startswith("fid_inf|")]:
        method = key.split("|", 1)[1]
        rows = [r for r in records if key in r["iv"]]
        base = "fid_inf" if metric == POPULATION else metric
        ests = np.array([r["est"][base] for r in rows])
        if len(rows) < 2:
            continue
        if metric == POPULATION:      # FID_inf estimates the population FID: 0.02 d here
            targets, mean, se = np.full(len(rows), 0.02 * d), 0.02 * d, 0.0
            sd = tr[base][2] if base in tr and tr[base][2] is not None else float(np.std(ests, ddof=1))
        elif metric in tr:
            mean, se, sd = tr[metric]
            targets = np.full(len(rows), mean)
            if sd is None:   # an exact expectation: the spread from the repetitions
                sd = float(np.std(ests, ddof=1))
        else:
            targets = (ests.sum() - ests) / (len(ests) - 1)
            mean, sd = float(ests.mean()), float(np.std(ests, ddof=1))
            se = sd / np.sqrt(len(ests))
        if sd == 0:  # e.g. P/R/D/C at d = 2048 with --shift 0.1: precision 0, recall 1 in every draw
            print(f"| {d} | {n} | {metric} | {method} | {mean:.6g} in every draw: degenerate, "
                  "no coverage to measure | | | | |", flush=True)
            continue
        cover = {lv: np.mean([lo <= t <= hi for r, t in zip(rows, targets) for lo, hi in [r["iv"][key][lv]]])
                 for lv in ("0.9", "0.95")}
        width = np.mean([r["iv"][key]["0.95"][1] - r["iv"][key]["0.95"][0] for r in rows]) / (2 * 1.959964 * sd)
        label = metric if len(rows) == len(records) else f"{metric} ({len(rows)} reps)"
        print(f"| {d} | {n} | {label} | {method} | {mean:.6g} (± {se:.2g}) | {sd:.3g} | {cover['0.9']:.1%} | "
              f"{cover['0.95']:.1%} | {width:.2f} |", flush=True)
    for name in sorted({k for r in records for k in r["alarms"]}):
        alarm, lv = name.rsplit("|", 1)
        print(f"| {d} | {n} | false alarm, {alarm} | level {float(lv):.0%} | - | - | "
              f"{np.mean([r['alarms'][name] for r in records if name in r['alarms']]):.1%} "
              f"(allowed {1 - float(lv):.0%}) | | |", flush=True)


if __name__ == "__main__":
    main()
