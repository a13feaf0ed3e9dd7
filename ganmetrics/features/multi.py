"""Several feature spaces from one decode pass: ``--features inception-v3-fid,dinov2-vitl14,clip-vitl14-336``.

``MultiExtractor`` holds one extractor per space and hands each decoded uint8 batch to all of
them (each applies its own preprocessing), so the images are read and decoded once however many
networks see them. Its outputs are named ``<space>/<role>`` (``dinov2-vitl14/features``,
``inception-v3-fid/logits``); ``features`` is the first space's, so single-space code keeps
working. ``split`` turns one such output dict back into one (metadata, {role: array}) per space,
which ``evaluate`` compares space by space (and refuses to mix, as for single spaces).
"""
from __future__ import annotations

import torch

from ..errors import InputError
from .base import Extractor


class MultiExtractor(Extractor):
    """The extractors ``parts`` (distinct names, one device) behind one call (module docstring)."""

    def __init__(self, parts: list[Extractor]):
        names = [p.name for p in parts]
        if len(set(names)) != len(names):
            raise InputError(f"--features {','.join(names)}: a feature space is named twice")
        devices = {str(p.device) for p in parts}
        if len(devices) != 1:
            raise InputError(f"--features {','.join(names)}: the networks are on different devices {sorted(devices)}")
        self.parts = list(parts)
        self.name = ",".join(names)
        self.device = parts[0].device
        self.outputs, self.roles = {}, {}
        for p in parts:
            for role, out in p.roles.items():
                self.outputs[f"{p.name}/{role}"] = p.outputs[out]
                self.roles[f"{p.name}/{role}"] = f"{p.name}/{role}"
        self.roles["features"] = f"{parts[0].name}/features"
        self.input_size = parts[0].input_size
        self.preprocessing = ";".join(p.preprocessing for p in parts)
        self.weights_sha256 = ";".join(str(p.weights_sha256) for p in parts)

    @torch.inference_mode()
    def __call__(self, images) -> dict[str, torch.Tensor]:
        out = {}
        for p in self.parts:
            got = p(images)
            for role, name in p.roles.items():
                out[f"{p.name}/{role}"] = got[name]
        return out

    def metadata(self) -> dict:
        return {"extractor": self.name, "weights_sha256": self.weights_sha256, "resize": self.preprocessing,
                "layout": ";".join(p.metadata().get("layout", "") for p in self.parts)}

    def split(self, outputs: dict) -> list[tuple[dict, dict]]:
        """``{<space>/<role>: array}`` -> ``[(space metadata, {role: array}), ...]`` in ``parts`` order."""
        return [(p.metadata(), {role: outputs[f"{p.name}/{role}"] for role in p.roles}) for p in self.parts]


__all__ = ["MultiExtractor"]
