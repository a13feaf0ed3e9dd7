"""CI quality gates: absolute thresholds, regressions against a baseline, minimum sample counts.

A gate is a TOML file (or the same keys from the CLI)::

    [inputs]
    real = "real.npz"            # folder, array, stats file; or ref = "cifar10-train"
    fake = "samples/"
    metrics = ["fid", "kid"]     # what to compute (one extraction per input)
    ci = 0.95                    # optional: bootstrap intervals make the checks noise-aware
    n_boot = 50

    [[threshold]]                # absolute: fid <= 25
    metric = "fid"
    max = 25.0

    [[threshold]]
    metric = "precision"
    min = 0.6

    [baseline]                   # regressions against a previous results JSON (ganmetrics eval --json)
    file = "baseline.json"

    [[regression]]
    metric = "fid"
    max_increase = 1.0           # may not rise by more than this (absolute)

    [samples]
    min_n = 10000                # refuse to judge on fewer images

Not flapping: when ``ci`` is set, every metric carries an interval for E[metric at this N]
that contains its estimate (``ganmetrics.metrics.bootstrap``). A threshold fails only if the
*whole* interval lies beyond it (the metric is worse than the limit with the stated confidence),
and its message says how sure the pass or fail is (the normal-approximation probability that
E[metric] meets the limit). A regression is judged on the *difference* current - baseline: it
fails only if the ``ci``-level interval of the difference lies entirely above ``max_increase``,
the difference's spread being the current and baseline spreads combined in quadrature (the
baseline's from its ``<metric>_ci_low/high``, else assumed equal to the current one). That is
conservative when both share the reference set (the pairing correlation is positive); the
measured false-alarm rate is in docs/gate.md. Re-running a gate on its baseline's own inputs
therefore passes, and two sample sets from one distribution fail at most 1 - ci of the time.
Without ``ci`` the point values are compared.

Exit codes: 0 all checks pass, 1 a check fails, 2 the gate cannot run (bad config, missing input).
"""
from __future__ import annotations

import json
import os
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..io import atomic_write
from ..metrics.bootstrap import difference_test, sd_from_interval
from ..result import LOWER_IS_BETTER, Result

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib



@dataclass
class Check:
    name: str
    passed: bool
    message: str


def load_config(path: str | os.PathLike) -> dict:
    try:
        with open(path, "rb") as f:
            config = tomllib.load(f)
    except FileNotFoundError:
        raise InputError(f"{path}: no such gate config") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: not valid TOML ({e})") from None
    inputs = config.get("inputs")
    if not isinstance(inputs, dict) or "fake" not in inputs or not ("real" in inputs or "ref" in inputs):
        raise InputError(f"{path}: [inputs] needs fake and real (or ref)")
    for section in ("threshold", "regression"):
        for item in config.get(section, []):
            metric = item.get("metric")
            if metric not in LOWER_IS_BETTER:
                raise InputError(f"{path}: [[{section}]] metric {metric!r} is not one of {', '.join(LOWER_IS_BETTER)}")
            keys = {"min", "max"} if section == "threshold" else {"max_increase"}
            if not keys & set(item) or any(not isinstance(item[k], (int, float)) for k in keys & set(item)):
                raise InputError(f"{path}: [[{section}]] for {metric} needs a number for {' or '.join(sorted(keys))}")
    if config.get("regression") and "file" not in config.get("baseline", {}):
        raise InputError(f"{path}: [[regression]] checks need [baseline] file = ...")
    return config


def _worst(result: Result, lower_is_better: bool, noise_aware: bool) -> float:
    """The value a threshold judges: the interval's better end when noise-aware, else the point value."""
    if noise_aware and result.interval is not None:
        return result.interval[0] if lower_is_better else result.interval[1]
    return result.value


def _sure(result: Result, level: float, limit: float, lower_is_better: bool) -> str:
    """'; P(meets) ≈ 0.83' from the normal approximation of the interval, or '' without one."""
    from statistics import NormalDist
    sd = sd_from_interval(result.interval, level)
    if not sd:
        return ""
    margin = (limit - result.value) if lower_is_better else (result.value - limit)
    return f"; P(meets) ≈ {NormalDist().cdf(margin / sd):.2f}"


def run_checks(config: dict, results: list[Result], baseline: dict | None) -> list[Check]:
    by_name = {r.metric: r for r in results}
    level = config["inputs"].get("ci")
    noise_aware = level is not None
    checks: list[Check] = []
    min_n = config.get("samples", {}).get("min_n")
    if min_n is not None:
        n = min(v for r in results for v in r.n.values() if v)
        checks.append(Check("samples.min_n", n >= min_n, f"n = {n} {'>=' if n >= min_n else '<'} {min_n}"))
    for item in config.get("threshold", []):
        metric = item["metric"]
        if metric not in by_name:
            raise InputError(f"threshold on {metric}, which [inputs] metrics does not compute")
        r, lower = by_name[metric], LOWER_IS_BETTER[metric]
        judged = _worst(r, lower, noise_aware)
        ok = (item.get("max") is None or judged <= item["max"]) and (item.get("min") is None or judged >= item["min"])
        bound = f"<= {item['max']}" if "max" in item else f">= {item['min']}"
        how = ""
        if noise_aware and r.interval is not None:
            limit = item["max"] if "max" in item else item["min"]
            how = (f" ({level:.0%} CI [{r.interval[0]:.6g}, {r.interval[1]:.6g}]"
                   f"{_sure(r, level, limit, 'max' in item)}; fails only if the whole interval is beyond)")
        checks.append(Check(f"threshold.{metric}", ok, f"{metric} = {r.value:.6g} {'meets' if ok else 'fails'} "
                                                      f"{bound}{how}"))
    for item in config.get("regression", []):
        metric = item["metric"]
        if metric not in by_name or baseline is None or metric not in baseline:
            raise InputError(f"regression on {metric}: missing in the results or in the baseline file")
        r, lower = by_name[metric], LOWER_IS_BETTER[metric]
        worse_by = (r.value - baseline[metric]) if lower else (baseline[metric] - r.value)
        how = ""
        judged = worse_by
        if noise_aware and r.interval is not None:
            sd_cur = sd_from_interval(r.interval, level)
            base_iv = (baseline.get(f"{metric}_ci_low"), baseline.get(f"{metric}_ci_high"))
            sd_base = sd_from_interval(base_iv, baseline.get("ci", level)) if None not in base_iv else None
            sd = (sd_cur ** 2 + (sd_base if sd_base is not None else sd_cur) ** 2) ** 0.5
            (judged, hi), p = difference_test(worse_by, level, sd=sd)
            how = (f"; {level:.0%} CI of the difference [{judged:.6g}, {hi:.6g}], p = {p:.3g}"
                   f"{'' if sd_base is not None else ' (baseline spread assumed equal to the current one)'}")
        ok = judged <= item["max_increase"]
        checks.append(Check(f"regression.{metric}", ok,
                            f"{metric} = {r.value:.6g} vs baseline {baseline[metric]:.6g}: worse by "
                            f"{max(worse_by, 0):.6g} (allowed {item['max_increase']}){how}"))
    return checks


def write_junit(path: str | os.PathLike, checks: list[Check]) -> None:
    suite = ET.Element("testsuite", name="ganmetrics-gate", tests=str(len(checks)),
                       failures=str(sum(not c.passed for c in checks)))
    for c in checks:
        case = ET.SubElement(suite, "testcase", classname="ganmetrics.gate", name=c.name)
        if not c.passed:
            ET.SubElement(case, "failure", message=c.message).text = c.message
        else:
            ET.SubElement(case, "system-out").text = c.message
    with atomic_write(path) as f:
        ET.ElementTree(suite).write(f, encoding="utf-8", xml_declaration=True)


def github_annotations(checks: list[Check]) -> list[str]:
    """``::error`` workflow commands for failed checks (GitHub Actions shows them on the run)."""
    return [f"::error title=ganmetrics gate {c.name}::{c.message}" for c in checks if not c.passed]


def load_baseline(path: str | os.PathLike) -> dict:
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputError(f"{path}: baseline file not found") from None
    except ValueError as e:
        raise InputError(f"{path}: baseline is not JSON ({e})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: baseline must be a JSON object like 'ganmetrics eval --json' prints")
    return data
