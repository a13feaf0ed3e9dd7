"""Generators from checkpoints -> uint8 image samples (PNG folder, ``.npz``, or in memory).

A generator is either

* a checkpoint of the bundled trainers (``ganmetrics train``): its config names the model, so
  no factory is needed; or
* a factory ``module:function`` (called with JSON keyword arguments) that returns an
  ``nn.Module``, plus a checkpoint holding its state dict (directly, or under one of the keys
  ``generator``, ``g_ema``, ``state_dict``, ``model``, ``G``, or the one named by ``key``).

Checkpoints load with ``torch.load(weights_only=True)``: tensors and plain containers only.
A checkpoint that needs arbitrary unpickling (e.g. ``torch.save(model)``) is refused unless
``trust=True`` (``--trust-checkpoint``), because unpickling runs any code the file names.

Latents are N(0, I) from a seeded CPU generator (identical on every device); with
``truncation=t`` every latent entry with |z| > t is redrawn (the truncation trick of BigGAN,
Brock et al. 2019). Generator outputs are mapped to uint8 from ``output_range`` (default
[-1, 1], the tanh of DCGAN-style generators) by ``round((x - lo) / (hi - lo) * 255)``, clamped.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import config
from .errors import InputError
from .factories import is_factory_spec, load_factory
from .inputs.sources import INCOMPLETE_MARKER, OUTPUT_RANGES, to_uint8
from .io import atomic_write, check_writable, load_checkpoint, save_npz, write_text
from .train import data as datasets
from .train.loop import TrainConfig, build_models

STATE_DICT_KEYS = config.STATE_DICT_KEYS


@dataclass
class LoadedGenerator:
    module: nn.Module
    z_dim: int
    step: int | None = None                    # training step, when the checkpoint records it
    metadata: dict = field(default_factory=dict)


def load_generator(checkpoint: str | os.PathLike, factory: str | None = None, kwargs: dict | str | None = None,
                   z_dim: int | None = None, key: str | None = None, trust: bool = False,
                   device: str = "cpu") -> LoadedGenerator:
    """A generator module in eval mode, from a bundled-trainer checkpoint or ``factory`` + state dict."""
    ckpt = load_checkpoint(checkpoint, trust)
    meta = {"checkpoint": str(checkpoint), "factory": factory}
    step = ckpt.get("step") if isinstance(ckpt, dict) and isinstance(ckpt.get("step"), int) else None
    if isinstance(ckpt, nn.Module):  # a whole pickled module: only reachable with trust
        module = ckpt
    elif factory is None and isinstance(ckpt, dict) and "config" in ckpt and "generator" in ckpt:
        module, trained_z = _bundled(checkpoint, ckpt)
        z_dim = z_dim or trained_z
        meta["trainer_config"] = json.loads(ckpt["config"])
    elif factory is None:
        raise InputError(f"{checkpoint}: not a checkpoint of 'ganmetrics train'; name the model with "
                         "--generator module:function")
    else:
        module = make_module(factory, kwargs)
        state = _state_dict(checkpoint, ckpt, key)
        try:
            module.load_state_dict(state)
        except RuntimeError as e:
            raise InputError(f"{checkpoint}: does not fit {factory} ({_first_line(e)})") from None
    z_dim = z_dim or getattr(module, "z_dim", None) or getattr(module, "latent_dim", None)
    if not isinstance(z_dim, int) or z_dim < 1:
        raise InputError(f"{checkpoint}: cannot tell the latent dimension; pass --z-dim")
    step = step if step is not None else step_from_name(checkpoint)
    return LoadedGenerator(module.to(device).eval(), z_dim, step, {**meta, "z_dim": z_dim, "step": step})


def _bundled(path, ckpt) -> tuple[nn.Module, int]:
    config = TrainConfig(**json.loads(ckpt["config"]))
    if config.data in datasets.TOYS:
        raise InputError(f"{path}: trained on the 2-D toy {config.data}: it generates points, not images")
    generator, _ = build_models(config)
    generator.load_state_dict(ckpt["generator"])
    return generator, config.z_dim


def make_module(factory: str, kwargs: dict | str | None = None) -> nn.Module:
    """Call ``module:function`` (imported with the working directory on the path) with kwargs."""
    if not is_factory_spec(factory):
        raise InputError(f"--generator {factory}: expected module:function, e.g. mypkg.models:make_generator")
    if isinstance(kwargs, str):
        try:
            kwargs = json.loads(kwargs)
        except ValueError as e:
            raise InputError(f"--kwargs: not valid JSON ({e})") from None
    if kwargs is not None and not isinstance(kwargs, dict):
        raise InputError("--kwargs: must be a JSON object, e.g. '{\"z_dim\": 128}'")
    obj = load_factory(factory, "--generator")
    try:
        module = obj(**(kwargs or {}))
    except TypeError as e:
        raise InputError(f"--generator {factory}: {e}") from None
    if not isinstance(module, nn.Module):
        raise InputError(f"--generator {factory}: returned {type(module).__name__}, not a torch.nn.Module")
    return module


def _state_dict(path, ckpt, key: str | None) -> dict:
    if key is not None:
        if not isinstance(ckpt, dict) or key not in ckpt:
            raise InputError(f"{path}: no key {key!r} (keys: {', '.join(map(str, ckpt)) if isinstance(ckpt, dict) else '-'})")
        return ckpt[key]
    if isinstance(ckpt, dict) and ckpt and all(isinstance(v, torch.Tensor) for v in ckpt.values()):
        return ckpt
    if isinstance(ckpt, dict):
        for k in STATE_DICT_KEYS:
            if isinstance(ckpt.get(k), dict):
                return ckpt[k]
    raise InputError(f"{path}: no state dict found (looked for a dict of tensors or the keys "
                     f"{', '.join(STATE_DICT_KEYS)}); pass --key")


def step_from_name(path) -> int | None:
    """The training step in a name like ``ckpt_0010000.pt`` or ``samples/010000``: its last number."""
    numbers = re.findall(r"\d+", Path(path).stem if Path(path).suffix else Path(path).name)
    return int(numbers[-1]) if numbers else None


def latents(n: int, z_dim: int, seed: int = 0, truncation: float | None = None) -> torch.Tensor:
    """N x z_dim standard normal latents from a CPU generator seeded with ``seed``; with
    ``truncation`` every entry beyond ±truncation is redrawn until none is."""
    if truncation is not None and truncation <= 0:
        raise InputError(f"--truncation must be positive, got {truncation}")
    rng = torch.Generator().manual_seed(seed)
    z = torch.randn(n, z_dim, generator=rng)
    if truncation is not None:
        outside = z.abs() > truncation
        while outside.any():
            z[outside] = torch.randn(int(outside.sum()), generator=rng)
            outside = z.abs() > truncation
    return z


def sample(generator: LoadedGenerator, n: int, seed: int = 0, truncation: float | None = None,
           batch_size: int = 250, output_range: str = "-1,1", progress=None) -> np.ndarray:
    """``n`` images from the generator as uint8 N x 3 x H x W (deterministic in ``seed``)."""
    if n < 1:
        raise InputError(f"--n must be at least 1, got {n}")
    if output_range not in OUTPUT_RANGES:
        raise InputError(f"output range {output_range}: choose from {', '.join(OUTPUT_RANGES)}")
    z = latents(n, generator.z_dim, seed, truncation)
    device = next(generator.module.parameters(), torch.empty(0)).device
    out = []
    with torch.inference_mode():
        for chunk in z.split(batch_size):
            images = generator.module(chunk.to(device))
            if images.ndim != 4 or images.shape[1] not in (1, 3):
                raise InputError(f"the generator returned shape {tuple(images.shape)}, not N x C x H x W images "
                                 "with 1 or 3 channels")
            if images.shape[1] == 1:
                images = images.repeat(1, 3, 1, 1)
            out.append(to_uint8(images, output_range).cpu())
            if progress is not None:
                progress.update(len(chunk))
    return torch.cat(out).numpy()


def check_output(out: str | os.PathLike) -> Path:
    """Refuse an output that cannot take the samples, before any sampling: a path that is
    neither a folder nor ``.npz``, a non-empty folder, or an unwritable place."""
    out = Path(out)
    if out.suffix.lower() == ".npz":
        check_writable(out)
    elif out.suffix:
        raise InputError(f"-o {out}: give a folder for PNGs or a file ending in .npz")
    elif out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out}: exists and is not an empty folder; choose a new one (mixing runs would change N)")
    else:
        check_writable(out / "probe") if out.is_dir() else check_writable(out)
    return out


def save_samples(images: np.ndarray, out: str | os.PathLike) -> Path:
    """uint8 N x 3 x H x W -> ``out.npz`` (key ``images``, N x H x W x 3) or a folder of PNGs
    ``000000.png`` ... (each written atomically)."""
    from PIL import Image
    out = check_output(out)
    hwc = np.ascontiguousarray(images.transpose(0, 2, 3, 1))
    if out.suffix.lower() == ".npz":
        save_npz(out, images=hwc)
        return out
    out.mkdir(parents=True, exist_ok=True)
    # A run killed half-way must not leave a folder that reads as a complete, smaller sample:
    # the marker says it is not, and every reader of image folders refuses it (sources.py).
    marker = out / INCOMPLETE_MARKER
    write_text(marker, f"ganmetrics sample: writing {len(hwc)} images; this folder is incomplete until this "
                       "file is removed at the end of the run\n")
    width = max(6, len(str(len(hwc) - 1)))
    for i, img in enumerate(hwc):
        with atomic_write(out / f"{i:0{width}d}.png") as f:
            Image.fromarray(img).save(f, format="PNG")
    marker.unlink()
    return out


def _first_line(e: BaseException) -> str:
    return str(e).splitlines()[0][:200]
