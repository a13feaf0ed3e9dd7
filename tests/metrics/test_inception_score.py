import numpy as np
import pytest
import torch

from ganmetrics import inception_score
from ganmetrics.errors import InputError


def test_uniform_predictions_give_one():
    mean, std = inception_score(np.zeros((100, 1008)), splits=10)  # logits 0 -> uniform
    assert mean == pytest.approx(1.0, abs=1e-12) and std == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("k", [2, 5, 10])
def test_confident_predictions_spread_over_k_classes_give_k(k):
    probs = np.zeros((20 * k, 1008))
    probs[np.arange(20 * k), np.arange(20 * k) % k] = 1.0  # each consecutive block of k covers all k classes
    assert inception_score(probs, splits=1)[0] == pytest.approx(k, rel=1e-12)
    mean, std = inception_score(probs, splits=20)
    assert mean == pytest.approx(k, rel=1e-12) and std == pytest.approx(0, abs=1e-9)


def test_logits_and_probs_agree():
    logits = np.random.default_rng(0).normal(0, 3, (50, 20))
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    assert inception_score(logits, 5)[0] == pytest.approx(inception_score(probs, 5)[0], rel=1e-10)


def test_parity_with_torch_fidelity_unshuffled():
    isc = pytest.importorskip("torch_fidelity.metric_isc")
    logits = np.random.default_rng(1).normal(0, 4, (103, 1008))  # N not divisible by splits
    theirs = isc.isc_features_to_metric(torch.from_numpy(logits), splits=10, shuffle=False)
    mean, std = inception_score(logits, splits=10)
    assert mean == pytest.approx(theirs["inception_score_mean"], rel=1e-12)
    assert std == pytest.approx(theirs["inception_score_std"], rel=1e-9)


def test_split_order_matters_like_the_original():
    # class 0 in the first half, class 1 in the second: each split is one class -> IS 1 with 2 splits
    probs = np.zeros((10, 3))
    probs[:5, 0] = probs[5:, 1] = 1
    assert inception_score(probs, splits=2)[0] == pytest.approx(1.0)
    assert inception_score(probs, splits=1)[0] == pytest.approx(2.0)


@pytest.mark.parametrize("x, splits, match", [
    (np.zeros((5, 10)), 10, "at least 10 samples"),
    (np.full((20, 10), np.nan), 2, "NaN"),
    (np.zeros((20, 1)), 2, "at least 2 classes"),
    (np.zeros(20), 2, "N x d"),
])
def test_bad_inputs(x, splits, match):
    with pytest.raises(InputError, match=match):
        inception_score(x, splits)
