"""Pinned numbers: the values of FID, IS, KID, P/R, D/C, W1 and a trainer's curve on the test
fixtures, recorded before the middle layer was rebuilt (issue 16), so that moving code can be
shown to change no number. The float64 numerics of our own (exact, sliced and 1-d W1) must match
bit for bit (compared as float.hex()). Numbers that pass through float32 torch kernels (the
Inception network behind FID, IS, KID, P/R, D/C; the critic and the trainer) must match to
``FLOAT32_RTOL``: oneDNN picks its kernels by the CPU's instruction set, so the same code gives
other roundings on another CPU (pinned on an AMD EPYC; on an Intel Xeon FID moved by 2.6e-7
relative, IS's std over 3 splits by 1.1e-5, a trainer loss by 2e-7). A change of code that moves
a number (a resize, a layer, a formula) moves it by far more.

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
#: the numbers computed in float64 by our own code alone: equal bit for bit on any CPU
EXACT = ("w1_exact", "w1_sliced", "w1_1d")
#: relative tolerance for numbers through float32 torch kernels (module docstring)
FLOAT32_RTOL = 1e-4


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
    moved = {k: (float.fromhex(pinned[k]), float.fromhex(v)) for k, v in got.items()
             if v != pinned[k] and (k in EXACT or not np.isclose(float.fromhex(v), float.fromhex(pinned[k]),
                                                                 rtol=FLOAT32_RTOL, atol=0))}
    assert not moved, f"numbers moved (pinned, now): {moved}"


def test_pins_tell_a_code_change_from_a_cpu_rounding(weights_file, image_sets):
    """The tolerance lets through the Intel-vs-AMD roundings seen, and not a change of code: FID on
    the same fixtures with pytorch-fid's resize instead of tf1 (one preprocessing step changed)
    is outside it."""
    pinned = {k: float.fromhex(v) for k, v in json.loads(PINS.read_text()).items()}
    xeon = {"fid": 2975.955081094783, "is_std": 0.07127771148793238, "train_g_loss_2": -0.03944072686135769}
    assert all(np.isclose(v, pinned[k], rtol=FLOAT32_RTOL, atol=0) for k, v in xeon.items())
    other = ganmetrics.fid(image_sets["real"], image_sets["fake"], weights=weights_file, device="cpu", workers=0,
                           sqrtm="eigvals", resize="pytorch-fid").value
    assert not np.isclose(other, pinned["fid"], rtol=FLOAT32_RTOL, atol=0), (other, pinned["fid"])
    assert set(EXACT) <= set(pinned)
