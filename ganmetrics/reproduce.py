"""Reproductions of the WGAN paper's argument (Arjovsky, Chintala, Bottou 2017), as CSV + PNG.

* ``distances``: Example 1 (parallel lines): analytic TV, KL, JS, W against θ, next to the
  held-out critic estimate of W and the discriminator estimate of JS. W tracks |θ| while JS sits
  at log 2 and KL is infinite away from θ = 0.
* ``critic_vs_discriminator``: Figure 2: two 1-D Gaussians; a GAN discriminator trained to
  optimality saturates (its gradient vanishes away from the overlap) while the WGAN-GP critic
  stays close to linear with a usable gradient everywhere.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .io import atomic_write
from .metrics.critic import js_discriminator, mlp, wasserstein_critic
from .metrics.divergences import parallel_lines


def _lines(n: int, theta: float, rng: np.random.Generator) -> np.ndarray:
    return np.stack([np.full(n, theta), rng.random(n)], 1)


def distances(points: int = 21, n: int = 1000, critic_steps: int = 2000, disc_steps: int = 1000,
              seed: int = 0, progress=None) -> pd.DataFrame:
    """One row per θ in linspace(-1, 1, points): analytic tv/kl/js/w and the two estimates."""
    rows = []
    for i, theta in enumerate(np.linspace(-1, 1, points)):
        rng = np.random.default_rng(seed + i)
        p0, pt = _lines(n, 0.0, rng), _lines(n, float(theta), rng)
        crit = wasserstein_critic(p0, pt, steps=critic_steps, seed=seed)
        js = js_discriminator(p0, pt, steps=disc_steps, seed=seed)
        rows.append({"theta": float(theta), **{f"{k}_analytic": v for k, v in parallel_lines(float(theta)).items()},
                     "w_critic": crit.value, "w_critic_normalized": crit.normalized, "js_discriminator": js.value})
        if progress is not None:
            progress.update(1)
    return pd.DataFrame(rows)


def plot_distances(df: pd.DataFrame, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax_w, ax_js) = plt.subplots(1, 2, figsize=(10, 4))
    # analytic curves on a fine grid with θ = 0 itself, so the jumps at 0 show as jumps
    fine = np.union1d(np.linspace(-1, 1, 400), [0.0])
    exact = pd.DataFrame([parallel_lines(float(t)) for t in fine]).assign(theta=fine)
    ax_w.plot(exact.theta, exact.w, "k-", label="W analytic = |θ|")
    ax_w.plot(df.theta, df.w_critic, "o", label="W critic (GP, held-out)")
    ax_w.plot(exact.theta, exact.tv, "--", label="TV analytic")
    ax_w.set(xlabel="θ", title="Wasserstein tracks the distance")
    ax_js.plot(exact.theta, exact.js, "k-", label="JS analytic")
    ax_js.plot(df.theta, df.js_discriminator, "s", label="JS from discriminator (held-out)")
    ax_js.axhline(math.log(2), color="gray", lw=0.5)
    ax_js.set(xlabel="θ", title="JS saturates at log 2 (KL = ∞ for θ ≠ 0)")
    for ax in (ax_w, ax_js):
        ax.legend(fontsize=8)
    fig.suptitle("P0 = (0, U[0,1]) vs Pθ = (θ, U[0,1])  (Arjovsky et al. 2017, Example 1)")
    _save(fig, path)


def critic_vs_discriminator(mu: float = 4.0, sigma: float = 0.5, n: int = 2000, steps: int = 3000,
                            seed: int = 0) -> pd.DataFrame:
    """Critic and discriminator trained on N(-mu/2, σ²) (real) vs N(mu/2, σ²) (fake), over a grid,
    with their gradients and the optimal discriminator p/(p+q)."""
    rng = np.random.default_rng(seed)
    real = rng.normal(-mu / 2, sigma, (n, 1))
    fake = rng.normal(mu / 2, sigma, (n, 1))
    torch.manual_seed(seed)
    critic_net, disc_net = mlp(1), mlp(1)
    wasserstein_critic(real, fake, steps=steps, seed=seed, critic=critic_net, patience=10 ** 9)
    js_discriminator(real, fake, steps=steps, seed=seed, discriminator=disc_net)
    grid = torch.linspace(-mu * 1.5, mu * 1.5, 301)[:, None].requires_grad_(True)
    f = critic_net(grid)
    d = torch.sigmoid(disc_net(grid))
    (df,) = torch.autograd.grad(f.sum(), grid)
    (dd,) = torch.autograd.grad(d.sum(), grid)
    x = grid.detach().numpy().ravel()
    p = np.exp(-((x + mu / 2) ** 2) / (2 * sigma ** 2))
    q = np.exp(-((x - mu / 2) ** 2) / (2 * sigma ** 2))
    with np.errstate(invalid="ignore"):
        d_opt = np.where(p + q > 0, p / (p + q), np.nan)
    return pd.DataFrame({"x": x, "critic": f.detach().numpy().ravel(), "critic_grad": df.numpy().ravel(),
                         "discriminator": d.detach().numpy().ravel(), "discriminator_grad": dd.numpy().ravel(),
                         "discriminator_optimal": d_opt})


def plot_critic_vs_discriminator(df: pd.DataFrame, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax, ax_g) = plt.subplots(1, 2, figsize=(10, 4))
    ax.plot(df.x, df.discriminator, label="GAN discriminator D(x)")
    ax.plot(df.x, df.discriminator_optimal, "k:", label="optimal D* = p / (p + q)")
    ax.plot(df.x, (df.critic - df.critic.min()) / (df.critic.max() - df.critic.min()), label="WGAN-GP critic (rescaled)")
    ax.set(xlabel="x", title="Discriminator saturates, critic stays linear")
    ax_g.semilogy(df.x, df.discriminator_grad.abs() + 1e-12, label="|dD/dx|")
    ax_g.semilogy(df.x, df.critic_grad.abs() + 1e-12, label="|df/dx| (critic)")
    ax_g.set(xlabel="x", title="Gradients: vanishing vs clean")
    for a in (ax, ax_g):
        a.legend(fontsize=8)
    fig.suptitle("Two Gaussians: GAN discriminator vs WGAN critic (Arjovsky et al. 2017, Figure 2)")
    _save(fig, path)


def _save(fig, path: Path) -> None:
    with atomic_write(path) as f:
        fig.savefig(f, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt
    plt.close(fig)


def save_csv(df: pd.DataFrame, path: Path) -> None:
    with atomic_write(path, "w") as f:
        df.to_csv(f, index=False)
