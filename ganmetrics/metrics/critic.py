"""Learned estimates of W1 (a WGAN critic) and of the Jensen–Shannon divergence (a GAN discriminator).

Critic (Arjovsky, Chintala, Bottou, "Wasserstein GAN", ICML 2017; Gulrajani et al., "Improved
Training of Wasserstein GANs", NeurIPS 2017): by Kantorovich–Rubinstein duality

    W1(P, Q) = sup_{||f||_L ≤ 1} E_P f - E_Q f,

so a critic f trained to maximise E_P f - E_Q f under a Lipschitz constraint gives an estimate.
Two constraints, with the papers' optimisers:

* ``gp``: gradient penalty λ E[(||∇f(x̂)||₂ - 1)²] on random interpolates x̂, λ = 10,
  Adam(lr 1e-4, betas (0, 0.9)), no batch norm in the critic;
* ``clip``: weights clipped to [-0.01, 0.01], RMSProp(lr 5e-5). The critic is then K-Lipschitz
  for an unknown K, so the raw estimate is ≈ K·W1: compare the normalised estimate.

The critic is trained on a training split and the estimate E_P f - E_Q f is taken on a
**held-out** split (an estimate on the training data is biased upwards). Stopping rule: the
held-out estimate is evaluated every ``eval_every`` steps; training stops at ``steps`` or when
the best value of the last ``patience`` evaluations does not exceed the best before them by more
than ``tol`` (relative): a plateau. The measured Lipschitz constant L is the largest gradient norm
of f on held-out real, fake and interpolated points; ``normalized = estimate / L``.

Discriminator (Goodfellow et al., NeurIPS 2014): with the optimal D*,
V(G, D*) = E_P log D* + E_Q log(1 - D*) = 2 JS(P, Q) - 2 log 2, so a discriminator trained to
(near) optimality gives JS ≈ (V + 2 log 2) / 2 on a held-out split. It saturates at log 2 for
disjoint supports: the WGAN paper's point.

Everything is seeded and deterministic on the CPU.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..errors import InputError
from .bootstrap import bootstrap_interval


def mlp(dim: int, hidden: int = 128, depth: int = 3) -> nn.Module:
    """The toy-experiment critic: ``depth`` hidden ReLU layers, no normalisation, scalar output."""
    layers, width = [], dim
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    return nn.Sequential(*layers, nn.Linear(width, 1))


def dcgan_critic(channels: int = 3, size: int = 32, width: int = 64) -> nn.Module:
    """DCGAN-style convolutional critic (Radford et al. 2016) for 32x32 or 64x64 images, without
    batch norm (WGAN-GP forbids it in the critic): stride-2 4x4 convs with LeakyReLU(0.2)."""
    if size not in (32, 64):
        raise InputError(f"the convolutional critic needs 32x32 or 64x64 images, got {size}x{size}")
    layers, c_in, c_out, s = [], channels, width, size
    while s > 4:
        layers += [nn.Conv2d(c_in, c_out, 4, 2, 1), nn.LeakyReLU(0.2)]
        c_in, c_out, s = c_out, c_out * 2, s // 2
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(c_in * 16, 1))


@dataclass
class CriticEstimate:
    value: float                       # held-out E_P f - E_Q f
    lipschitz: float                   # largest gradient norm measured on held-out points
    normalized: float                  # value / lipschitz
    interval: tuple[float, float] | None
    steps: int                         # steps actually run
    method: str
    history: list[tuple[int, float]] = field(default_factory=list)   # (step, held-out estimate)


def _split(x: torch.Tensor, holdout: float, g: torch.Generator):
    perm = torch.randperm(len(x), generator=g)
    k = max(1, int(round(len(x) * (1 - holdout))))
    if k >= len(x):
        raise InputError(f"{len(x)} samples cannot be split into a training and a held-out part")
    return x[perm[:k]], x[perm[k:]]


def _as_tensor(x, name) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(x, dtype=np.float32))
    if t.ndim < 2:
        raise InputError(f"{name}: expected N x d vectors (or N x C x H x W images), got shape {tuple(t.shape)}")
    if len(t) < 4:
        raise InputError(f"{name}: {len(t)} samples; a learned estimate needs at least 4")
    if not torch.isfinite(t).all():
        raise InputError(f"{name}: contains NaN or infinite values")
    return t


def _prepare(x, y):
    tx, ty = _as_tensor(x, "a"), _as_tensor(y, "b")
    if tx.shape[1:] != ty.shape[1:]:
        raise InputError(f"the samples have different shapes per item: {tuple(tx.shape[1:])} and {tuple(ty.shape[1:])}")
    return tx, ty


def _default_net(shape) -> nn.Module:
    return mlp(shape[0]) if len(shape) == 1 else dcgan_critic(shape[0], shape[-1])


def _interpolate(a: torch.Tensor, b: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    eps = torch.rand((len(a),) + (1,) * (a.ndim - 1), generator=g, device="cpu").to(a.device)
    return eps * a + (1 - eps) * b


def _grad_norm(f: nn.Module, x: torch.Tensor, create_graph: bool = False) -> torch.Tensor:
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(x).sum(), x, create_graph=create_graph)
    return grad.flatten(1).norm(dim=1)


def lipschitz_constant(f: nn.Module, x: torch.Tensor, y: torch.Tensor, g: torch.Generator) -> float:
    """Largest gradient norm of ``f`` on x, y and random interpolates between them."""
    m = min(len(x), len(y))
    points = torch.cat([x, y, _interpolate(x[:m], y[:m], g)])
    return float(max(_grad_norm(f, chunk).max() for chunk in points.split(1024)))


def _setup(x, y, holdout: float, seed: int, device: str, net: nn.Module | None):
    """Validated tensors split into training and held-out halves, a seeded sampling generator,
    and the network (the default one initialised from ``seed`` without touching the global RNG)."""
    tx, ty = _prepare(x, y)
    g = torch.Generator().manual_seed(seed)
    (x_tr, x_te), (y_tr, y_te) = _split(tx, holdout, g), _split(ty, holdout, g)
    dev = torch.device(device)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = (net or _default_net(tx.shape[1:])).to(dev)
    return g, net, tuple(t.to(dev) for t in (x_tr, x_te, y_tr, y_te)), dev


def _plateaued(history, patience: int, tol: float) -> bool:
    if len(history) <= patience:
        return False
    before = max(v for _, v in history[:-patience])
    recent = max(v for _, v in history[-patience:])
    return recent <= before + tol * abs(before)


def wasserstein_critic(x, y, method: str = "gp", steps: int = 3000, batch_size: int = 256, seed: int = 0,
                       holdout: float = 0.5, eval_every: int = 100, patience: int = 5, tol: float = 0.01,
                       critic: nn.Module | None = None, ci: float | None = None, n_boot: int = 1000,
                       device: str = "cpu", gp_lambda: float = 10.0, clip: float = 0.01,
                       lr: float | None = None) -> CriticEstimate:
    """Held-out critic estimate of W1(P_x, P_y). See the module docstring for the method.

    ``lr``: the optimiser's learning rate; None is the paper's (1e-4 for gp, 5e-5 for clip).
    """
    if method not in ("gp", "clip"):
        raise InputError(f"method={method!r}: use 'gp' (gradient penalty) or 'clip' (weight clipping)")
    g, f, (x_tr, x_te, y_tr, y_te), dev = _setup(x, y, holdout, seed, device, critic)
    if method == "gp":
        opt = torch.optim.Adam(f.parameters(), lr=lr or 1e-4, betas=(0.0, 0.9))
    else:
        opt = torch.optim.RMSprop(f.parameters(), lr=lr or 5e-5)

    def held_out() -> float:
        with torch.no_grad():
            return float(f(x_te).mean() - f(y_te).mean())

    history, step = [], 0
    for step in range(1, steps + 1):
        xb = x_tr[torch.randint(0, len(x_tr), (batch_size,), generator=g).to(dev)]
        yb = y_tr[torch.randint(0, len(y_tr), (batch_size,), generator=g).to(dev)]
        loss = f(yb).mean() - f(xb).mean()         # the critic maximises E_P f - E_Q f
        if method == "gp":
            loss = loss + gp_lambda * ((_grad_norm(f, _interpolate(xb, yb, g), create_graph=True) - 1) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if method == "clip":
            with torch.no_grad():
                for p in f.parameters():
                    p.clamp_(-clip, clip)
        if step % eval_every == 0:
            history.append((step, held_out()))
            if _plateaued(history, patience, tol):
                break
    value = held_out()
    lip = lipschitz_constant(f, x_te, y_te, g)
    interval = None
    if ci is not None:
        with torch.no_grad():
            fx, fy = f(x_te).squeeze(1).double().cpu().numpy(), f(y_te).squeeze(1).double().cpu().numpy()
        interval = bootstrap_interval(lambda i, j: float(fx[i].mean() - fy[j].mean()), [len(fx), len(fy)],
                                      n_boot, ci, seed)
    return CriticEstimate(value, lip, value / lip if lip > 0 else math.nan, interval, step,
                          f"critic-{method}", history)


@dataclass
class JSEstimate:
    value: float          # (V + 2 log 2) / 2 on the held-out split
    v: float              # held-out V(G, D) = E_P log D + E_Q log(1 - D)
    steps: int


def js_discriminator(x, y, steps: int = 2000, batch_size: int = 256, seed: int = 0, holdout: float = 0.5,
                     lr: float = 2e-4, discriminator: nn.Module | None = None, device: str = "cpu") -> JSEstimate:
    """Jensen–Shannon estimate from a GAN discriminator trained with the binary cross-entropy
    (Adam lr 2e-4, betas (0.5, 0.999), as DCGAN), evaluated on a held-out split."""
    g, d, (x_tr, x_te, y_tr, y_te), dev = _setup(x, y, holdout, seed, device, discriminator)  # d outputs a logit
    opt = torch.optim.Adam(d.parameters(), lr=lr, betas=(0.5, 0.999))
    bce = nn.functional.binary_cross_entropy_with_logits
    for _ in range(steps):
        xb = x_tr[torch.randint(0, len(x_tr), (batch_size,), generator=g).to(dev)]
        yb = y_tr[torch.randint(0, len(y_tr), (batch_size,), generator=g).to(dev)]
        lx, ly = d(xb), d(yb)
        loss = bce(lx, torch.ones_like(lx)) + bce(ly, torch.zeros_like(ly))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    with torch.no_grad():
        # log D = logsigmoid(l), log(1 - D) = logsigmoid(-l): stable at saturation
        v = float(nn.functional.logsigmoid(d(x_te)).mean() + nn.functional.logsigmoid(-d(y_te)).mean())
    return JSEstimate((v + 2 * math.log(2)) / 2, v, steps)
