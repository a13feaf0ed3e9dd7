"""Pinned numbers: the values of FID, IS, KID, P/R, D/C, W1 and a trainer's curve on the test
fixtures, recorded before the middle layer was rebuilt (issue 16), so that moving code can be
shown to change no number. Every value must match bit for bit (compared as float.hex()).

To re-pin after an *intended* numeric change: ``GANMETRICS_REPIN=1 pytest tests/test_pinned.py``
and say in the commit message which number moved and why.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import ganmetrics
from ganmetrics.metrics.critic import wasserstein_critic
from ganmetrics.metrics.wasserstein import wasserstein_1d, wasserstein_exact, wasserstein_sliced
from ganmetrics.train.loop import TrainConfig, train

PINS = Path(__file__).parents[1] / "data" / "pinned.json"


def _metrics(weights_file, image_sets) -> dict[str, float]:
    results = ganmetrics.evaluate(image_sets["real"], image_sets["fake"], ["fid", "is", "kid", "prdc"],
                                  splits=3, kid_subsets=10, kid_subset_size=6, k_pr=3, k_dc=3,
                                  weights=weights_file, device="cpu", workers=0, sqrtm="eigvals",
                                  is_order="file")  # the original split order (the default's is in test_faults)
    out = {r.metric: r.value for r in results}
    out.update({f"{r.metric}_std": r.std for r in results if r.std is not None})
    out["fid_api"] = ganmetrics.fid(image_sets["real"], image_sets["fake"], weights=weights_file, device="cpu",
                                    workers=0, sqrtm="eigvals").value
    return out


def _wasserstein() -> dict[str, float]:
    rng = np.random.default_rng(7)
    x, y = rng.normal(0, 1, (60, 2)), rng.normal(0.5, 1.2, (50, 2))
    crit = wasserstein_critic(x, y, steps=30, batch_size=32, seed=3)
    return {"w1_exact": wasserstein_exact(x, y).value, "w1_sliced": wasserstein_sliced(x, y, 50, seed=1),
            "w1_1d": wasserstein_1d(x[:, 0], y[:, 0]), "w1_critic": crit.value}


def _trainer(tmp_path) -> dict[str, float]:
    cfg = TrainConfig(algo="wgan-gp", data="8gaussians", out=str(tmp_path / "run"), steps=4, batch_size=32,
                      gp_lambda=10.0, betas=(0.0, 0.9), lr_decay="none", preset="paper", eval_samples=200,
                      eval_critic_steps=20, eval_every=2, device="cpu")
    curve = train(cfg, log=open(os.devnull, "w"))
    return {f"train_{col}_{int(s)}": float(v) for s, row in curve.set_index("step").iterrows()
            for col, v in row.items() if col in ("d_loss", "g_loss", "w1_exact", "w1_critic")}


def test_numbers_are_pinned(weights_file, image_sets, tmp_path):
    got = {**_metrics(weights_file, image_sets), **_wasserstein(), **_trainer(tmp_path)}
    got = {k: float(v).hex() for k, v in sorted(got.items())}
    if os.environ.get("GANMETRICS_REPIN"):
        PINS.write_text(json.dumps(got, indent=1) + "\n")
    pinned = json.loads(PINS.read_text())
    assert set(got) == set(pinned)
    moved = {k: (float.fromhex(pinned[k]), float.fromhex(v)) for k, v in got.items() if v != pinned[k]}
    assert not moved, f"numbers moved (pinned, now): {moved}"
