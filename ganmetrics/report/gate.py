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

Not flapping: when ``ci`` is set, a threshold fails only if the *whole* interval lies beyond it
(the metric is worse than the limit with the stated confidence), and a regression fails only
if the interval's better end is worse than the baseline by more than ``max_increase``. Two sample
sets from one distribution therefore pass (tested). Without ``ci`` the point values are compared.

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
    """The value a check judges: the interval's better end when noise-aware, else the point value."""
    if noise_aware and result.interval is not None:
        return result.interval[0] if lower_is_better else result.interval[1]
    return result.value


def run_checks(config: dict, results: list[Result], baseline: dict | None) -> list[Check]:
    by_name = {r.metric: r for r in results}
    noise_aware = config["inputs"].get("ci") is not None
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
        how = f" (judged on the CI end {judged:.6g})" if judged != r.value else ""
        checks.append(Check(f"threshold.{metric}", ok, f"{metric} = {r.value:.6g} {'meets' if ok else 'fails'} "
                                                      f"{bound}{how}"))
    for item in config.get("regression", []):
        metric = item["metric"]
        if metric not in by_name or baseline is None or metric not in baseline:
            raise InputError(f"regression on {metric}: missing in the results or in the baseline file")
        r, lower = by_name[metric], LOWER_IS_BETTER[metric]
        judged = _worst(r, lower, noise_aware)
        worse_by = (judged - baseline[metric]) if lower else (baseline[metric] - judged)
        ok = worse_by <= item["max_increase"]
        checks.append(Check(f"regression.{metric}", ok,
                            f"{metric} = {r.value:.6g} vs baseline {baseline[metric]:.6g}: worse by "
                            f"{max(worse_by, 0):.6g} (allowed {item['max_increase']})"))
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
    return [f"::error title={_escape_property('ganmetrics gate ' + c.name)}::{_escape_data(c.message)}"
            for c in checks if not c.passed]


def _escape_data(text: str) -> str:
    """A workflow command's message, escaped as the GitHub Actions toolkit does (% CR LF), so a
    name inside it can neither end the line nor start a new command."""
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


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
