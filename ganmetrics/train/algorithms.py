"""The four algorithms, exactly as published, as loss functions on discriminator outputs.

D(x) below is the discriminator's *logit* (GAN) or the critic's score (WGAN); σ is the sigmoid.

| algorithm | discriminator / critic minimises | generator minimises | defaults |
|---|---|---|---|
| ``gan`` (Goodfellow 2014, minimax) | -log σ(D(x)) - log(1 - σ(D(G(z)))) | log(1 - σ(D(G(z)))) | Adam 2e-4, (0.5, 0.999), n_critic 1, batch 128 |
| ``nsgan`` (non-saturating) | same | -log σ(D(G(z))) | same |
| ``wgan`` (Arjovsky 2017) | D(G(z)) - D(x), weights clipped to [-c, c], c = 0.01 | -D(G(z)) | RMSProp 5e-5, n_critic 5, batch 64 |
| ``wgan-gp`` (Gulrajani 2017) | D(G(z)) - D(x) + λ (‖∇D(x̂)‖ - 1)², λ = 10 | -D(G(z)) | Adam 1e-4, (0, 0.9), n_critic 5, batch 64, no batch norm in the critic |

The published WGAN-GP toy scripts differ from the paper (λ = 0.1, Adam beta1 = 0.5 in places);
these defaults follow the papers. log(1 - σ(l)) = -softplus(l) and -log σ(l) = softplus(-l) keep
the losses finite when the discriminator saturates.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Algorithm:
    name: str
    optimizer: str          # "adam" or "rmsprop"
    lr: float
    betas: tuple[float, float]
    n_critic: int
    batch_size: int
    wasserstein: bool       # critic scores (True) or discriminator logits (False)


ALGORITHMS = {
    "gan": Algorithm("gan", "adam", 2e-4, (0.5, 0.999), 1, 128, False),
    "nsgan": Algorithm("nsgan", "adam", 2e-4, (0.5, 0.999), 1, 128, False),
    "wgan": Algorithm("wgan", "rmsprop", 5e-5, (0.0, 0.0), 5, 64, True),
    "wgan-gp": Algorithm("wgan-gp", "adam", 1e-4, (0.0, 0.9), 5, 64, True),
}

# Named sets of overrides for ``--preset``. "paper" is the table above. "toy" is what trains
# WGAN-GP on the 2-D toys within 5,000 steps (docs/training.md): the authors' published toy
# script (gan_toy.py: λ = 0.1, Adam β = (0.5, 0.9), batch 256) plus the linear learning-rate
# decay of their CIFAR-10 code. Options given explicitly override a preset.
# "progan" is Progressive GAN's (Karras et al. 2018, Sec. A.1 and their code): WGAN-GP with λ 10,
# Adam 1e-3, β (0, 0.99), one critic step per generator step, and the drift term
# ε_drift·E[D(x)²], ε_drift = 0.001, added to the critic loss.
PRESETS = {
    "paper": {},
    "toy": {"gp_lambda": 0.1, "betas": (0.5, 0.9), "batch_size": 256, "lr_decay": "linear"},
    "progan": {"lr": 1e-3, "betas": (0.0, 0.99), "n_critic": 1, "drift": 0.001},
}
PRESET_ALGOS = {"paper": tuple(ALGORITHMS), "toy": ("wgan-gp",), "progan": ("wgan-gp",)}


def discriminator_loss(algo: str, d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """The discriminator/critic loss without the gradient penalty."""
    if algo in ("gan", "nsgan"):
        # -log σ(D(x)) - log(1 - σ(D(G(z))))  =  softplus(-D(x)) + softplus(D(G(z)))
        return F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
    return d_fake.mean() - d_real.mean()


def generator_loss(algo: str, d_fake: torch.Tensor) -> torch.Tensor:
    if algo == "gan":
        return -F.softplus(d_fake).mean()          # log(1 - σ(D(G(z)))): saturates when D wins
    if algo == "nsgan":
        return F.softplus(-d_fake).mean()          # -log σ(D(G(z)))
    return -d_fake.mean()


def gradient_penalty(critic, real: torch.Tensor, fake: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """E[(‖∇D(x̂)‖₂ - 1)²] on x̂ = ε x + (1 - ε) G(z), ε ~ U[0, 1] per sample."""
    eps = torch.rand((len(real),) + (1,) * (real.ndim - 1), generator=g).to(real.device)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def make_optimizer(algo: Algorithm, params, lr: float | None = None, betas=None):
    lr = algo.lr if lr is None else lr
    if algo.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    return torch.optim.Adam(params, lr=lr, betas=tuple(betas or algo.betas))
