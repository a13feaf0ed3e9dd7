"""``module:function`` specs, the one convention for user code named on the command line
(``--generator`` of ``sample``/``compare``, ``--features``): the module is imported with the
working directory on the path, like ``python -m``."""
from __future__ import annotations

import importlib
import os
import re
import sys
from typing import Callable

from .errors import InputError

_SPEC = re.compile(r"[\w.]+:[\w.]+")


def is_factory_spec(spec) -> bool:
    """True for a well-formed ``module:function`` (``mypkg.models:make_generator``)."""
    return isinstance(spec, str) and _SPEC.fullmatch(spec) is not None


def load_factory(spec: str, flag: str) -> Callable:
    """The callable ``spec`` names; ``InputError`` naming ``flag`` and the culprit when the spec is
    malformed, the module cannot be imported, the attribute is missing or not callable."""
    if not is_factory_spec(spec):
        raise InputError(f"{flag} {spec}: expected module:function, e.g. mypkg.models:make")
    module_name, attr = spec.split(":")
    if os.getcwd() not in sys.path:  # like `python -m`: the user's own module in the working directory
        sys.path.insert(0, os.getcwd())
    try:
        obj = importlib.import_module(module_name)
    except ImportError as e:
        raise InputError(f"{flag} {spec}: cannot import {module_name} ({e})") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise InputError(f"{flag} {spec}: {module_name} has no attribute {attr}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise InputError(f"{flag} {spec}: {attr} is not callable")
    return obj


__all__ = ["is_factory_spec", "load_factory"]
