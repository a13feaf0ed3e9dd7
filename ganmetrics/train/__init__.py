"""Reference trainers: GAN (minimax), non-saturating GAN, WGAN and WGAN-GP, with metric curves.

    from ganmetrics.train import TrainConfig, train
    train(TrainConfig(algo="wgan-gp", data="8gaussians", steps=5000, out="runs/wgangp-8g"))
"""
from .algorithms import ALGORITHMS
from .loop import TrainConfig, train

__all__ = ["ALGORITHMS", "TrainConfig", "train"]
