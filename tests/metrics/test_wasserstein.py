"""Exact transport, the critic and discriminator estimates, and the WGAN reproductions."""
import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.spatial.distance import cdist
from scipy.stats import norm

from ganmetrics.cli import main
from ganmetrics.errors import InputError
from ganmetrics.metrics import wasserstein as W
from ganmetrics.metrics.critic import js_discriminator, wasserstein_critic
from ganmetrics.metrics.divergences import gaussians_1d, parallel_lines


def lines(n, theta, seed):
    return np.stack([np.full(n, theta), np.random.default_rng(seed).random(n)], 1)


# ----------------------------------------------------------------------------- exact

@pytest.mark.parametrize("shift", [[0.3, 0.0, 0.0], [1.0, -2.0, 0.5]])
def test_translated_samples_give_the_translation_length(shift):
    x = np.random.default_rng(0).normal(size=(150, 3))
    result = W.wasserstein_exact(x, x + shift)
    assert result.method == "assignment"
    assert result.value == pytest.approx(np.linalg.norm(shift), rel=1e-12)


def test_one_dimensional_closed_form_equals_the_linear_program():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=40), rng.normal(1, 2, size=55)
    wx, wy = rng.random(40), rng.random(55)
    closed = W.wasserstein_exact(x[:, None], y[:, None], wx, wy)
    lp = W.wasserstein_exact(x[:, None], y[:, None], wx, wy, potentials=True)
    assert closed.method == "1d-closed-form" and lp.method == "linear-program"
    assert closed.value == pytest.approx(lp.value, abs=1e-8)
    # equal sizes, uniform: the sorted-samples formula
    assert W.wasserstein_1d(x, y[:40]) == pytest.approx(np.mean(np.abs(np.sort(x) - np.sort(y[:40]))), rel=1e-12)


def test_dual_potentials_are_1_lipschitz_and_strong_duality_holds():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(60, 4)), rng.normal(0.5, 1.5, size=(45, 4))
    a, b = rng.random(60), rng.random(45)
    r = W.wasserstein_exact(x, y, a, b, potentials=True)
    a, b = a / a.sum(), b / b.sum()
    assert a @ r.potential_x - b @ r.potential_y == pytest.approx(r.value, abs=1e-8)
    points, phi = np.vstack([x, y]), np.concatenate([r.potential_x, r.potential_y])
    assert (np.abs(phi[:, None] - phi[None, :]) - cdist(points, points)).max() <= 1e-9


def test_sliced_is_a_lower_bound_and_exact_in_one_dimension():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(200, 5)), rng.normal(0.7, 1, size=(200, 5))
    assert W.wasserstein_sliced(x, y) < W.wasserstein_exact(x, y).value
    assert W.wasserstein_sliced(x[:, :1], y[:, :1], n_projections=3) == pytest.approx(
        W.wasserstein_1d(x[:, 0], y[:, 0]), rel=1e-12)


def test_exact_refuses_what_does_not_fit(monkeypatch):
    monkeypatch.setattr(W, "MAX_ASSIGNMENT", 10)
    x = np.zeros((11, 2))
    with pytest.raises(InputError, match="too large.*sliced"):
        W.wasserstein_exact(x, x + 1)
    monkeypatch.setattr(W, "MAX_LP_VARIABLES", 50)
    with pytest.raises(InputError, match="too large"):
        W.wasserstein_exact(np.zeros((9, 2)), np.ones((8, 2)))


@pytest.mark.parametrize("x, y, match", [
    (np.zeros((5, 2)), np.zeros((5, 3)), "dimensions differ"),
    (np.full((5, 2), np.nan), np.zeros((5, 2)), "NaN"),
])
def test_exact_bad_inputs(x, y, match):
    with pytest.raises(InputError, match=match):
        W.wasserstein_exact(x, y)


# ----------------------------------------------------------------------------- critic and discriminator

@pytest.fixture(scope="module")
def line_estimates():
    return {theta: wasserstein_critic(lines(1000, 0.0, 1), lines(1000, theta, 2), steps=1500, seed=0)
            for theta in (1.0, 0.5, 0.25)}


@pytest.mark.parametrize("theta", [0.25, 0.5, 1.0])
def test_critic_on_parallel_lines_within_ten_percent(line_estimates, theta):
    est = line_estimates[theta]
    assert est.value == pytest.approx(theta, rel=0.10)
    assert 0.9 < est.lipschitz < 1.5 and est.normalized == pytest.approx(est.value / est.lipschitz)


def test_critic_shrinks_as_the_fake_approaches_the_real(line_estimates):
    values = [line_estimates[t].value for t in (1.0, 0.5, 0.25)]
    assert values[0] > values[1] > values[2] > 0


def test_critic_on_gaussians_within_ten_percent_and_deterministic():
    rng = np.random.default_rng(4)
    x, y = rng.normal(0, 1, (2000, 1)), rng.normal(0.8, 1, (2000, 1))
    est = wasserstein_critic(x, y, steps=1500, seed=1, ci=0.95, n_boot=200)
    assert est.value == pytest.approx(0.8, rel=0.10)
    assert est.interval[0] < est.value < est.interval[1]
    again = wasserstein_critic(x, y, steps=1500, seed=1)
    assert again.value == est.value and again.steps == est.steps


def test_weight_clipping_critic_is_scaled_but_ordered():
    near = wasserstein_critic(lines(600, 0, 1), lines(600, 0.25, 2), method="clip", steps=400, seed=0)
    far = wasserstein_critic(lines(600, 0, 1), lines(600, 1.0, 2), method="clip", steps=400, seed=0)
    assert 0 < near.value < far.value
    assert far.lipschitz < 0.5  # clipped weights: a small, unknown K


def test_discriminator_js_saturates_on_disjoint_supports_and_vanishes_on_equal_ones():
    disjoint = js_discriminator(lines(1000, 0, 1), lines(1000, 0.5, 2), steps=800)
    assert disjoint.value == pytest.approx(math.log(2), abs=0.02)
    same = js_discriminator(lines(1000, 0, 1), lines(1000, 0, 2), steps=800)
    assert abs(same.value) < 0.02


@pytest.mark.parametrize("x, y, match", [
    (np.zeros((1, 2)), np.zeros((10, 2)), "at least 4"),
    (np.full((10, 2), np.inf), np.zeros((10, 2)), "NaN"),
    (np.zeros((10, 2)), np.zeros((10, 3)), "different shapes"),
])
def test_critic_bad_inputs(x, y, match):
    with pytest.raises(InputError, match=match):
        wasserstein_critic(x, y, steps=1)


# ----------------------------------------------------------------------------- closed forms

def test_closed_forms():
    assert parallel_lines(0.3) == {"tv": 1.0, "kl": math.inf, "js": math.log(2), "w": 0.3}
    assert parallel_lines(0.0) == {"tv": 0.0, "kl": 0.0, "js": 0.0, "w": 0.0}
    g = gaussians_1d(0, 1, 1.5, 1)
    assert g["w"] == pytest.approx(1.5, rel=1e-6)
    assert g["kl"] == pytest.approx(1.5 ** 2 / 2)
    assert g["tv"] == pytest.approx(2 * norm.cdf(0.75) - 1, rel=1e-6)
    assert 0 < g["js"] < math.log(2)
    assert gaussians_1d(0, 1, 0, 2)["w"] == pytest.approx(math.sqrt(2 / math.pi), rel=1e-5)  # E|2Z - Z|


# ----------------------------------------------------------------------------- CLI

def test_wasserstein_cli_exact_with_baseline(tmp_path):
    rng = np.random.default_rng(5)
    np.save(tmp_path / "a.npy", rng.normal(size=(300, 2)))
    np.save(tmp_path / "b.npy", rng.normal(size=(300, 2)) + [1.0, 0.0])
    r = CliRunner().invoke(main, ["wasserstein", str(tmp_path / "a.npy"), str(tmp_path / "b.npy"),
                                  "--method", "exact", "--json"])
    out = json.loads(r.stdout)
    assert out["on"] == "vectors" and out["n_a"] == 300
    assert out["w1"] == pytest.approx(1.0, abs=0.25) and out["baseline"] < out["w1"] / 2
    bad = CliRunner().invoke(main, ["wasserstein", str(tmp_path / "a.npy"), str(tmp_path / "missing.npy")])
    assert bad.exit_code == 2 and "missing.npy" in bad.stderr


def test_reproduce_distances_and_critic_figure(tmp_path):
    r = CliRunner().invoke(main, ["reproduce", "distances", "-o", str(tmp_path / "d.png"), "--points", "3",
                                  "--steps", "300"])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(tmp_path / "d.csv")
    assert list(df.theta) == [-1.0, 0.0, 1.0]
    assert df.js_discriminator[0] == pytest.approx(math.log(2), abs=0.05) and abs(df.js_discriminator[1]) < 0.05
    assert df.w_critic[2] > 0.8 and abs(df.w_critic[1]) < 0.1
    assert (tmp_path / "d.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_critic_vs_discriminator_matches_exact_w1_and_saturates(tmp_path):
    """WGAN Figure 2: the critic's held-out W1 is within 10% of the exact 4, its gradient norm is
    within 0.2 of 1 on the segment between the modes, and the discriminator's gradient at the
    modes is below 1e-3; the CSV and the printed summary say the same."""
    r = CliRunner().invoke(main, ["reproduce", "critic-vs-discriminator", "-o", str(tmp_path / "c.png")])
    assert r.exit_code == 0, r.output
    w1, exact = map(float, re.search(r"critic W1 ([-\d.]+) \(exact ([\d.]+)\)", r.stdout).groups())
    assert exact == 4.0 and abs(w1 - exact) <= 0.1 * exact
    c = pd.read_csv(tmp_path / "c.csv")
    between = c[np.abs(c.x) <= 2.0 + 1e-6]
    assert len(between) > 50 and (np.abs(between.critic_grad.abs() - 1) <= 0.2).all()
    modes = c.iloc[[np.abs(c.x + 2).argmin(), np.abs(c.x - 2).argmin()]]
    assert modes.discriminator_grad.abs().max() < 1e-3
    # the discriminator matches the optimal p / (p + q) away from the overlap (saturated at 0 and 1)
    far = c[np.abs(c.x) > 1]
    assert np.abs(far.discriminator - far.discriminator_optimal).max() < 0.05
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
