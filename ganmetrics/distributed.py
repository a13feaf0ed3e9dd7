"""torch.distributed support: ranks, sharding of inputs, and the reduction of statistics.

Launched with torchrun (``torchrun --nproc_per_node K -m ganmetrics stats ...``), every rank
reads a disjoint, strided shard of each input (rank r takes images r, r + K, r + 2K, ...: no
image is read twice, none is skipped, uneven tails just give some ranks one image fewer),
accumulates float64 sums, and the sums are all-reduced, so every rank holds the statistics of
the whole input; rank 0 alone prints and writes. NCCL is used on GPUs, gloo on CPUs.
"""
from __future__ import annotations

import os

import torch
import torch.distributed as dist

from .inputs.sources import ImageSource
from .stats import GaussianStats


def launched() -> bool:
    """True when started by torchrun (or another launcher that sets WORLD_SIZE > 1)."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def active() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def init_from_env(device: str = "auto") -> str:
    """Initialise the process group from torchrun's environment; return this rank's device."""
    cuda = torch.cuda.is_available() and device in ("auto", "cuda")
    if cuda:
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        device = f"cuda:{local}"
    elif device == "auto":
        device = "cpu"
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if cuda else "gloo")
    return device


def rank() -> int:
    return dist.get_rank() if active() else 0


def world_size() -> int:
    return dist.get_world_size() if active() else 1


def is_main() -> bool:
    return rank() == 0


def shard(source: ImageSource) -> ImageSource:
    """This rank's strided share of ``source`` (the whole source outside distributed runs)."""
    if not active():
        return source
    r, k = rank(), world_size()
    if source.files is not None:
        return ImageSource(source.name, files=list(source.files)[r::k])
    return ImageSource(source.name, array=source.array[r::k])


def all_reduce_sums(n: int, s: torch.Tensor, outer: torch.Tensor) -> tuple[int, torch.Tensor, torch.Tensor]:
    """Sum (n, Σx, Σxxᵀ) over ranks, in float64, on the backend's device."""
    if not active():
        return n, s, outer
    dev = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else torch.device("cpu")
    buf = [torch.tensor([float(n)], dtype=torch.float64, device=dev), s.to(dev).clone(), outer.to(dev).clone()]
    for t in buf:
        dist.all_reduce(t)
    return int(buf[0].item()), buf[1], buf[2]


def gather_rows(x: torch.Tensor) -> torch.Tensor:
    """Concatenate per-rank N_r x d tensors in rank order (ranks may hold different N_r)."""
    if not active():
        return x
    parts = [None] * world_size()
    dist.all_gather_object(parts, x.cpu())
    return torch.cat(parts)


def gather_strided(x: torch.Tensor) -> torch.Tensor:
    """Undo ``shard``: gather every rank's rows and interleave them back into input order."""
    if not active():
        return x
    parts = [None] * world_size()
    dist.all_gather_object(parts, x.cpu())
    out = torch.empty((sum(len(p) for p in parts),) + tuple(x.shape[1:]), dtype=x.dtype)
    for r, part in enumerate(parts):
        out[r::world_size()] = part
    return out


def reduce_stats(stats):
    """A GaussianStats holding the sums of every rank's GaussianStats."""
    if not active():
        return stats
    n, s, outer = all_reduce_sums(*stats.sums())
    total = GaussianStats(stats.dim, stats.metadata, device=s.device)
    total.n, total._sum, total._outer = n, s, outer
    return total
