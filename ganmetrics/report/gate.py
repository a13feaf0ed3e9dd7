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

Every key is checked before any work starts (type, range, finiteness; the file and key named in
one line), and every path in the file (``real``, ``fake``, ``weights``, the baseline ``file``) is
resolved against the config file's folder. Unknown keys are refused (a typo never silently
falls back to a default).

Exit codes: 0 all checks pass, 1 a check fails, 2 the gate cannot run (bad config, missing input).
"""
from __future__ import annotations

import json
import math
import os
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from ..config import DEFAULTS
from ..errors import InputError
from ..evaluation import evaluate
from ..features.weights import _NAMED
from ..io import atomic_write, check_writable
from ..metrics import registry
from ..metrics.bootstrap import difference_test, sd_from_interval
from ..preprocess import RESIZE_MODES
from ..refs import load_reference
from ..result import Result

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass
class Check:
    name: str
    passed: bool
    message: str


@dataclass
class GateReport:
    """What ``run_gate`` returns: every check, the Results they judged, and the config read."""

    checks: list[Check]
    results: list[Result]
    config: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1


# ----------------------------------------------------------------------------- config validation

#: [inputs] key -> (kind, check) ; kind: "path", "str", "int", "number", "bool", "metrics", "level"
_INPUT_KEYS = {
    "real": "path", "fake": "path", "ref": "str", "metrics": "metrics", "ci": "level", "n_boot": ("int", 2),
    "seed": ("int", None), "resize": "resize", "weights": "path", "features": "str", "trust_first_use": "bool",
    "cache": "bool",
}
_SECTIONS = {"inputs", "threshold", "regression", "baseline", "samples"}


def _named_weights(value: str, resolve) -> list[tuple[str, str]]:
    """``[(network, path)]`` of a ``weights = "NAME=PATH[,NAME=PATH]"`` value (as ``--weights``
    reads it, ``features.weights.weights_for``); [] for a plain path, or an existing file."""
    if os.path.isfile(resolve(value)):
        return []
    parts = [p for p in value.split(",") if p]
    if not parts or not all(_NAMED.fullmatch(p) for p in parts):
        return []
    return [tuple(p.split("=", 1)) for p in parts]


def _fail(path, where: str, message: str):
    raise InputError(f"{path}: {where} {message}")


def _number(path, where, v, *, integer=False, minimum=None, open_min=False) -> float:
    ok_type = isinstance(v, int) if integer else isinstance(v, (int, float))
    if isinstance(v, bool) or not ok_type:
        _fail(path, where, f"must be {'an integer' if integer else 'a number'}, got {v!r}")
    if not integer and not math.isfinite(v):
        _fail(path, where, f"must be finite, got {v!r}")
    if minimum is not None and (v <= minimum if open_min else v < minimum):
        _fail(path, where, f"must be {'>' if open_min else '>='} {minimum}, got {v!r}")
    return v


def load_config(path: str | os.PathLike) -> dict:
    """Read and validate a gate TOML file; paths inside it are made absolute against its folder.

    Raises ``InputError`` naming the file and key for anything missing, mistyped, out of range
    or unknown."""
    try:
        with open(path, "rb") as f:
            config = tomllib.load(f)
    except FileNotFoundError:
        raise InputError(f"{path}: no such gate config") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a gate config") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: not valid TOML ({e})") from None
    return validate_config(config, path)


def validate_config(config: dict, path: str | os.PathLike = "<config>") -> dict:
    """Validate a gate config (the TOML's content as a dict); see ``load_config``."""
    base = Path(os.path.abspath(path)).parent
    resolve = lambda p: p if os.path.isabs(p) else str(base / p)  # noqa: E731  relative to the config file
    unknown = set(config) - _SECTIONS
    if unknown:
        _fail(path, f"[{sorted(unknown)[0]}]", f"is not a gate section (use {', '.join(sorted(_SECTIONS))})")
    inputs = config.get("inputs")
    if not isinstance(inputs, dict) or "fake" not in inputs or not ("real" in inputs or "ref" in inputs):
        raise InputError(f"{path}: [inputs] needs fake and real (or ref)")
    metrics = inputs.get("metrics", ["fid"])
    if not isinstance(metrics, list) or not metrics or not all(isinstance(m, str) for m in metrics):
        _fail(path, "[inputs] metrics", f"must be a list of names like [\"fid\", \"kid\"], got {metrics!r}")
    try:
        specs = [registry.get_metric(m) for m in registry.expand(metrics)]
    except InputError as e:
        _fail(path, "[inputs] metrics:", str(e))
    params = registry.param_defaults(specs)
    for key, v in inputs.items():
        where = f"[inputs] {key}"
        kind = _INPUT_KEYS.get(key)
        if kind is None and key in params:
            default = params[key]
            kind = ("int", 1) if isinstance(default, int) and not isinstance(default, bool) else \
                ("number", None) if isinstance(default, float) else "str"
        if kind is None:
            _fail(path, where, f"is not a known key (known: {', '.join(sorted({*_INPUT_KEYS, *params}))})")
        if kind in ("path", "str") and not isinstance(v, str):
            _fail(path, where, f"must be a string, got {v!r}")
        elif kind == "bool" and not isinstance(v, bool):
            _fail(path, where, f"must be true or false, got {v!r}")
        elif kind == "level":
            _number(path, where, v, minimum=0, open_min=True)
            if v >= 1:
                _fail(path, where, f"must be a level in (0, 1) such as 0.95, got {v!r}")
        elif kind == "resize" and v not in RESIZE_MODES:
            _fail(path, where, f"must be one of {', '.join(RESIZE_MODES)}, got {v!r}")
        elif isinstance(kind, tuple):
            _number(path, where, v, integer=kind[0] == "int", minimum=kind[1])
        if key == "sqrtm" and v not in registry.SQRTM_CHOICES:
            _fail(path, where, f"must be one of {', '.join(registry.SQRTM_CHOICES)}, got {v!r}")
    for key in ("real", "fake", "weights"):
        if key == "weights" and key in inputs and _named_weights(inputs[key], resolve):
            inputs[key] = ",".join(f"{name}={resolve(p)}" for name, p in _named_weights(inputs[key], resolve))
        elif key in inputs and ":" not in inputs[key][2:]:  # not a dataset name like cifar10:train
            inputs[key] = resolve(inputs[key])
    computed = {s.name for s in specs}
    for section in ("threshold", "regression"):
        items = config.get(section, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            _fail(path, f"[[{section}]]", "must be an array of tables ([[" + section + "]] blocks)")
        for item in items:
            metric = item.get("metric")
            several = "," in str(inputs.get("features", ""))  # then fid_<space>, kid_<space>, ... (checked once computed)
            if not isinstance(metric, str) or not (metric in computed or
                                                   several and registry.split_key(metric)[0] in computed):
                _fail(path, f"[[{section}]] metric", f"{metric!r} is not among the metrics [inputs] computes "
                      f"({', '.join(sorted(computed))}" + (", suffixed _<space> outside Inception space"
                                                            if several else "") + ")")
            keys = {"min", "max"} if section == "threshold" else {"max_increase"}
            extra = set(item) - keys - {"metric"}
            if extra:
                _fail(path, f"[[{section}]] {sorted(extra)[0]}", f"is not a known key (use metric, {', '.join(sorted(keys))})")
            if not keys & set(item):
                _fail(path, f"[[{section}]] for {metric}", f"needs a number for {' or '.join(sorted(keys))}")
            for k in keys & set(item):
                _number(path, f"[[{section}]] {metric} {k}", item[k], minimum=0 if k == "max_increase" else None)
    baseline = config.get("baseline")
    if baseline is not None:
        if not isinstance(baseline, dict) or not isinstance(baseline.get("file"), str):
            _fail(path, "[baseline] file", "must be a string path")
        baseline["file"] = resolve(baseline["file"])
    if config.get("regression") and baseline is None:
        raise InputError(f"{path}: [[regression]] checks need [baseline] file = ...")
    samples = config.get("samples", {})
    if not isinstance(samples, dict) or set(samples) - {"min_n"}:
        _fail(path, "[samples]", "takes only min_n")
    if "min_n" in samples:
        _number(path, "[samples] min_n", samples["min_n"], integer=True, minimum=1)
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
    by_name = registry.keyed(results)  # fid, or fid_dinov2-vitl14 when [inputs] features names several spaces
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
            raise InputError(f"threshold on {metric}, which [inputs] metrics does not compute (computed: "
                             f"{', '.join(by_name)})")
        r, lower = by_name[metric], registry.lower_is_better(metric)
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
        r, lower = by_name[metric], registry.lower_is_better(metric)
        if not isinstance(baseline[metric], (int, float)) or isinstance(baseline[metric], bool) \
                or not math.isfinite(baseline[metric]):
            raise InputError(f"baseline: {metric} = {baseline[metric]!r} is not a finite number")
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
                            f"{metric} = {r.value:.6g} vs baseline {baseline[metric]:.6g}: "
                            f"{'worse' if worse_by > 0 else 'better'} by {abs(worse_by):.6g} "
                            f"(allowed worse by {item['max_increase']}){how}"))
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


def run_gate(config, *, weights: str | None = None, device: str = DEFAULTS.device, workers: int | None = None,
             junit: str | os.PathLike | None = None, runner=None) -> GateReport:
    """Run a gate: validate ``config`` (a TOML path or an already validated dict), compute its
    metrics (one extraction per input), judge every check, and write ``junit`` when given.

    ``weights``/``device``/``workers`` override the config's ``weights`` and the defaults. Output
    paths are checked before the extraction. Raises ``InputError`` for a bad config or input."""
    config = load_config(config) if isinstance(config, (str, os.PathLike)) else config
    if junit is not None:
        check_writable(junit)
    inputs = config["inputs"]
    real = load_reference(inputs["ref"], inputs.get("trust_first_use", False)) if "ref" in inputs else inputs["real"]
    baseline = load_baseline(config["baseline"]["file"]) if "baseline" in config else None
    specs = [registry.get_metric(m) for m in registry.expand(inputs.get("metrics", ["fid"]))]
    params = {k: inputs[k] for k in registry.param_defaults(specs) if k in inputs and k != "seed"}
    settings = {k: v for k, v in {"weights": weights or inputs.get("weights"), "device": device, "workers": workers,
                                  "resize": inputs.get("resize"), "features": inputs.get("features")}.items()
                if v is not None}
    results = evaluate(real, inputs["fake"], [s.name for s in specs], ci=inputs.get("ci"),
                       n_boot=inputs.get("n_boot", DEFAULTS.n_boot), seed=inputs.get("seed", DEFAULTS.seed),
                       cache=inputs.get("cache", False), runner=runner, **({} if runner else settings), **params)
    checks = run_checks(config, results, baseline)
    if junit is not None:
        write_junit(junit, checks)
    return GateReport(checks, results, config)
