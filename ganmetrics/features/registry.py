"""The registry of feature networks: name -> factory.

A factory is called as ``factory(weights=..., device=..., **options)`` and returns an
``Extractor`` (see ``features/base.py``); ``options`` are the Extraction settings the factory's
signature names (``resize``, ``channels_last``), so a network that has no resize mode is never
handed one. Built in: ``inception-v3-fid``, and (``features/vit.py``) ``dinov2-vitl14``,
``dinov2-vitb14``, ``clip-vitl14-336``, ``clip-vitb32``. From Python, ``register_extractor(name, factory)``;
from the CLI, ``--features NAME`` or ``--features module:function`` (imported with the working
directory on the path, the convention ``ganmetrics sample --generator`` uses).
"""
from __future__ import annotations

import inspect
import re
from typing import Callable

from ..config import DEFAULTS, Extraction, resolve_device
from ..errors import InputError
from ..factories import is_factory_spec, load_factory
from .base import Extractor
from .inception import load_inception
from .multi import MultiExtractor
from .vit import FACTORIES as VIT_FACTORIES

_FACTORIES: dict[str, Callable[..., Extractor]] = {}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@+-]*")


def register_extractor(name: str, factory: Callable[..., Extractor], *, replace: bool = False) -> None:
    """Make ``factory`` available as ``--features name`` / ``Extraction(features=name)``.

    ``factory(weights=None, device=torch.device, [resize=..., channels_last=...])`` -> Extractor.
    Raises ``InputError`` for a malformed name, or a taken one unless ``replace``."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or ":" in name:
        raise InputError(f"extractor name {name!r}: use letters, digits and . _ - + @")
    if name in _FACTORIES and not replace:
        raise InputError(f"extractor {name!r} is already registered (pass replace=True to override it)")
    if not callable(factory):
        raise InputError(f"extractor {name!r}: the factory must be callable")
    _FACTORIES[name] = factory


def extractor_names() -> list[str]:
    """The registered feature networks."""
    return list(_FACTORIES)


def _resolve_factory(spec: str) -> Callable[..., Extractor]:
    if spec in _FACTORIES:
        return _FACTORIES[spec]
    if not is_factory_spec(spec):
        raise InputError(f"--features {spec!r}: unknown (available: {', '.join(_FACTORIES)}; or module:function)")
    return load_factory(spec, "--features")


def get_extractor(extraction: Extraction | None = None, **changes) -> Extractor:
    """Load the network ``extraction.features`` names, with its weights, on its device; several
    names separated by commas give a ``MultiExtractor`` (one decode pass, every network; ``--resize``
    goes to the networks that have a resize mode)."""
    extraction = (extraction or Extraction()).replace(**changes) if changes else (extraction or Extraction())
    if "," in extraction.features:
        names = [n.strip() for n in extraction.features.split(",") if n.strip()]
        parts = []
        for n in names:
            takes_resize = "resize" in inspect.signature(_resolve_factory(n)).parameters
            parts.append(get_extractor(extraction.replace(
                features=n, resize=extraction.resize if takes_resize else DEFAULTS.resize)))
        return MultiExtractor(parts)
    factory = _resolve_factory(extraction.features)
    options = {"resize": extraction.resize, "channels_last": extraction.channels_last}
    params = inspect.signature(factory).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    given = {k: v for k, v in options.items() if takes_any or k in params}
    if extraction.resize != DEFAULTS.resize and "resize" not in given:
        raise InputError(f"--resize {extraction.resize}: the features {extraction.features!r} have their own "
                         "preprocessing (--resize applies to Inception only)")
    ext = factory(weights=extraction.weights, device=resolve_device(extraction.device), **given)
    if not isinstance(ext, Extractor):
        raise InputError(f"--features {extraction.features}: the factory returned {type(ext).__name__}, not an "
                         "Extractor (wrap a torch module with ganmetrics.features.base.ModuleExtractor)")
    if "features" not in ext.roles:
        raise InputError(f"--features {extraction.features}: the extractor declares no 'features' output")
    ext.tf32 = extraction.tf32  # every extractor: full float32 unless asked (base.Extractor.__call__)
    return ext


register_extractor(DEFAULTS.features, load_inception)
for _name, _factory in VIT_FACTORIES.items():  # dinov2-vitl14, dinov2-vitb14, clip-vitl14-336, clip-vitb32
    register_extractor(_name, _factory)

__all__ = ["register_extractor", "get_extractor", "extractor_names"]
