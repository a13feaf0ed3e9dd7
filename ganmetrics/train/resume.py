"""Which settings a run continues with: the run's own (its config.json), overridden by the
options given again. What ``ganmetrics train --resume`` does, callable from Python."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from ..errors import InputError, display_name
from .loop import TrainConfig, run_config


def config_for(options: dict, given: set[str], resume: bool = False, beta1: float | None = None,
               beta2: float | None = None) -> TrainConfig:
    """A ``TrainConfig`` from option values (``TrainConfig`` field names) of which ``given`` were
    set explicitly. With ``resume``, fields not given are taken from the run in ``options["out"]``
    (``train`` then checks that the given ones are compatible with the run). ``beta1``/``beta2``
    replace one Adam beta each, keeping the other (the run's, else the algorithm's).

    Raises ``InputError`` when a new run lacks ``algo`` or ``data``, or ``--resume`` finds no run."""
    saved = run_config(options["out"]) if resume else None
    if resume and saved is None:
        raise InputError(f"--resume: {display_name(options['out'])} holds no run to continue (no config.json); "
                         "to start one there, give --algo and --data")
    if saved:
        fields = {f.name for f in dataclasses.fields(TrainConfig)} - {"out"}
        options = {**{k: v for k, v in saved.items() if k in fields},
                   **{k: v for k, v in options.items() if k in given or k == "out"}}
    elif options.get("algo") is None or options.get("data") is None:
        raise InputError("--algo and --data are required (only --resume of an existing run can omit them)")
    if beta1 is not None or beta2 is not None:  # a beta not given: the run's, else resolved() fills it in
        run_beta1, run_beta2 = options.get("betas") or (None, None)
        options["betas"] = (run_beta1 if beta1 is None else beta1, run_beta2 if beta2 is None else beta2)
    if isinstance(options.get("betas"), list):
        options["betas"] = tuple(options["betas"])
    return TrainConfig(**options)


__all__ = ["config_for"]
