import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ganmetrics.errors import InputError
from ganmetrics.preprocess import preprocess, resize_tf1


def test_tf1_resize_hand_computed():
    # TF1 resize_bilinear(align_corners=False): src = dst * in/out, clamped at the far edge.
    x = torch.tensor([[0.0, 1.0], [2.0, 3.0]]).view(1, 1, 2, 2)
    expected = torch.tensor([[0.0, 0.5, 1.0, 1.0],
                             [1.0, 1.5, 2.0, 2.0],
                             [2.0, 2.5, 3.0, 3.0],
                             [2.0, 2.5, 3.0, 3.0]])
    assert torch.equal(resize_tf1(x, 4)[0, 0], expected)


def test_tf1_resize_downsampling_picks_every_other_pixel():
    x = torch.arange(16.0).view(1, 1, 4, 4)
    assert torch.equal(resize_tf1(x, 2)[0, 0], torch.tensor([[0.0, 2.0], [8.0, 10.0]]))


@pytest.mark.parametrize("shape", [(2, 3, 32, 32), (1, 3, 17, 40), (1, 3, 500, 350), (1, 3, 299, 299)])
def test_tf1_resize_bit_identical_to_torch_fidelity(shape):
    tf = pytest.importorskip("torch_fidelity.interpolate_compat_tensorflow")
    x = torch.randint(0, 256, shape).float()
    theirs = tf.interpolate_bilinear_2d_like_tensorflow1x(x, size=(299, 299), align_corners=False)
    assert torch.equal(resize_tf1(x), theirs)


def test_modes_and_ranges():
    x = torch.randint(0, 256, (2, 3, 40, 30), dtype=torch.uint8)
    tf1 = preprocess(x, "tf1")
    pt = preprocess(x, "pytorch-fid")
    assert tf1.shape == pt.shape == (2, 3, 299, 299)
    assert -1 <= pt.min() and pt.max() <= 1
    expected = F.interpolate(x.float() / 255, size=(299, 299), mode="bilinear", align_corners=False) * 2 - 1
    assert torch.equal(pt, expected)
    # identity size: only the normalisation differs ((x - 128)/128 vs x/127.5 - 1)
    y = torch.full((1, 3, 299, 299), 255, dtype=torch.uint8)
    assert np.isclose(preprocess(y, "tf1").max().item(), 127 / 128)
    assert np.isclose(preprocess(y, "pytorch-fid").max().item(), 1.0)


def test_bad_mode_and_dtype():
    x = torch.zeros(1, 3, 8, 8, dtype=torch.uint8)
    with pytest.raises(InputError, match="unknown mode"):
        preprocess(x, "bicubic")
    with pytest.raises(InputError, match="uint8"):
        preprocess(x.float(), "tf1")
