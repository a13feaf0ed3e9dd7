"""Float32 precision during feature extraction: full IEEE float32 unless TF32 is asked for.

On Ampere and newer NVIDIA GPUs PyTorch lets cuDNN convolutions run in TF32 by default (10-bit
mantissa), which moves Inception features by about 1e-3 relative and FID with them; a caller's
``torch.set_float32_matmul_precision("medium")`` also lets oneDNN run CPU matmuls in bfloat16.
``float32_precision`` sets the precision for the duration of a forward pass and restores the
caller's settings afterwards, whatever they were and whichever API set them.

PyTorch has two APIs for this. The current one (PyTorch >= 2.9) is per backend:
``torch.backends.{cuda.matmul, cudnn.conv, mkldnn.matmul, mkldnn.conv}.fp32_precision``
("ieee", "tf32", "bf16" or "none" = inherit); reading the legacy flags after setting these
raises in recent releases, so only the new API is touched when it exists. Older releases use
``torch.backends.cuda.matmul.allow_tf32``, ``torch.backends.cudnn.allow_tf32`` and
``torch.get/set_float32_matmul_precision``.
"""
from __future__ import annotations

from contextlib import contextmanager

import torch

#: (backend, operation) pairs of the per-backend API, and the value each gets with TF32 on
_GPU_OPS = (("cuda", "matmul"), ("cudnn", "conv"))
_CPU_OPS = (("mkldnn", "matmul"), ("mkldnn", "conv"))


def _handles():
    """The per-backend precision objects that exist in this PyTorch, with their TF32 value."""
    out = []
    for ops, tf32_value in ((_GPU_OPS, "tf32"), (_CPU_OPS, "ieee")):
        for backend, op in ops:
            obj = getattr(getattr(torch.backends, backend, None), op, None)
            if obj is not None and hasattr(obj, "fp32_precision"):
                out.append((obj, tf32_value))
    return out


def new_api() -> bool:
    """True when this PyTorch has the per-backend ``fp32_precision`` settings."""
    return bool(_handles())


def current_settings() -> dict:
    """The settings ``float32_precision`` changes, as a dict (for tests and diagnostics)."""
    if new_api():
        return {f"{b}.{o}": getattr(getattr(torch.backends, b), o).fp32_precision
                for b, o in (*_GPU_OPS, *_CPU_OPS) if hasattr(getattr(getattr(torch.backends, b, None), o, None),
                                                              "fp32_precision")}
    return {"cuda.matmul.allow_tf32": torch.backends.cuda.matmul.allow_tf32,
            "cudnn.allow_tf32": torch.backends.cudnn.allow_tf32,
            "float32_matmul_precision": torch.get_float32_matmul_precision()}


@contextmanager
def float32_precision(tf32: bool = False):
    """Run the block with full float32 convolutions and matmuls (``tf32=False``) or with TF32
    allowed on the GPU (``tf32=True``; CPU oneDNN ops stay in IEEE float32 either way), then
    restore the caller's settings, also when the block raises."""
    handles = _handles()
    if handles:
        saved = [(obj, obj.fp32_precision) for obj, _ in handles]
        try:
            for obj, tf32_value in handles:
                obj.fp32_precision = tf32_value if tf32 else "ieee"
            yield
        finally:
            for obj, value in saved:
                obj.fp32_precision = value
        return
    saved_legacy = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32,
                    torch.get_float32_matmul_precision())
    try:
        torch.set_float32_matmul_precision("high" if tf32 else "highest")
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved_legacy[:2]
        torch.set_float32_matmul_precision(saved_legacy[2])  # last: it also decides matmul.allow_tf32
