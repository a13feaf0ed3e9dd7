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
    mean, std = inception_score(probs, splits=20, order="file")
    assert mean == pytest.approx(k, rel=1e-12) and std == pytest.approx(0, abs=1e-9)


def test_logits_and_probs_agree():
    logits = np.random.default_rng(0).normal(0, 3, (50, 20))
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    assert inception_score(logits, 5)[0] == pytest.approx(inception_score(probs, 5)[0], rel=1e-10)


def test_parity_with_torch_fidelity_unshuffled():
    isc = pytest.importorskip("torch_fidelity.metric_isc")
    logits = np.random.default_rng(1).normal(0, 4, (103, 1008))  # N not divisible by splits
    theirs = isc.isc_features_to_metric(torch.from_numpy(logits), splits=10, shuffle=False)
    mean, std = inception_score(logits, splits=10, order="file")
    assert mean == pytest.approx(theirs["inception_score_mean"], rel=1e-12)
    assert std == pytest.approx(theirs["inception_score_std"], rel=1e-9)


def test_split_order_matters_like_the_original():
    # class 0 in the first half, class 1 in the second: each split is one class -> IS 1 with 2 splits
    probs = np.zeros((10, 3))
    probs[:5, 0] = probs[5:, 1] = 1
    assert inception_score(probs, splits=2, order="file")[0] == pytest.approx(1.0)
    assert inception_score(probs, splits=1, order="file")[0] == pytest.approx(2.0)


def _sorted_by_class(n_per_class=10, classes=4, seed=0):
    """Confident logits, rows sorted class by class (as per-class sample folders list)."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(classes), n_per_class)
    logits = rng.normal(0, 0.3, (len(labels), 10))
    logits[np.arange(len(labels)), labels] += 8
    return logits


def test_default_order_does_not_depend_on_row_order():
    """Issue 21 item 1: the same 40 images gave IS 1.02 sorted by class and 3.06 shuffled."""
    logits = _sorted_by_class()
    sorted_is = inception_score(logits, splits=10)[0]
    for seed in range(5):  # any renaming of the files = any permutation of the rows
        shuffled = logits[np.random.default_rng(seed).permutation(len(logits))]
        assert inception_score(shuffled, splits=10) == pytest.approx(inception_score(logits, splits=10), rel=1e-12)
    file_order = inception_score(logits, splits=10, order="file")[0]
    assert file_order < 1.3 < 2.3 < sorted_is  # 4 confident classes: IS near 4 once the splits are mixed


def test_random_order_is_seeded_and_the_seed_matters():
    logits = np.random.default_rng(3).normal(0, 3, (60, 12))
    assert inception_score(logits, 6, seed=1) == inception_score(logits, 6, seed=1)
    assert inception_score(logits, 6, seed=1) != inception_score(logits, 6, seed=2)
    # one split sees every row: the order cannot matter
    assert inception_score(logits, 1, seed=1)[0] == pytest.approx(inception_score(logits, 1, order="file")[0], rel=1e-12)
    with pytest.raises(InputError, match="order='name'"):
        inception_score(logits, 6, order="name")


@pytest.mark.parametrize("x, splits, match", [
    (np.zeros((5, 10)), 10, "at least 10 samples"),
    (np.full((20, 10), np.nan), 2, "NaN"),
    (np.zeros((20, 1)), 2, "at least 2 classes"),
    (np.zeros(20), 2, "N x d"),
])
def test_bad_inputs(x, splits, match):
    with pytest.raises(InputError, match=match):
        inception_score(x, splits)
