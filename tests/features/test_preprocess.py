import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ganmetrics.errors import InputError
from ganmetrics.preprocess import preprocess, resize_clean, resize_tf1


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
    pixels = torch.randint(0, 256, shape, dtype=torch.uint8)
    x = pixels.float()
    theirs = tf.interpolate_bilinear_2d_like_tensorflow1x(x, size=(299, 299), align_corners=False)
    assert torch.equal(resize_tf1(x), theirs)
    assert torch.equal(resize_tf1(pixels), theirs)  # the uint8 path (gathered, then converted) is the same
    assert torch.equal(preprocess(pixels, "tf1"), (theirs - 128) / 128)


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


def test_clean_mode_identity_size_clip_and_constants():
    # 299 x 299: the resize is the identity, so clean and tf1 feed the network the same tensor
    x = torch.randint(0, 256, (2, 3, 299, 299), dtype=torch.uint8)
    assert torch.equal(preprocess(x, "clean"), preprocess(x, "tf1"))
    # bicubic overshoots at a 0/255 edge; clean-fid clips to [0, 255] before normalising
    edge = torch.zeros(1, 3, 32, 32, dtype=torch.uint8)
    edge[..., 16:] = 255
    y = resize_clean(edge)
    assert y.min() == 0 and y.max() == 255 and ((y > 0) & (y < 255)).any()
    # Pillow's filter weights sum to 1: a constant image stays constant (to float32 rounding)
    flat = torch.full((1, 3, 40, 24), 200, dtype=torch.uint8)
    assert (resize_clean(flat) - 200).abs().max() < 1e-3
    # antialiasing: downsampling a 1-pixel checkerboard averages it (tf1's bilinear samples it)
    board = ((torch.arange(598)[:, None] + torch.arange(598)[None]) % 2 * 255).to(torch.uint8).expand(1, 3, 598, 598)
    inner = resize_clean(board)[..., 2:-2, 2:-2]  # the borders see a truncated filter
    assert (inner - 127.5).abs().max() < 0.1 and (resize_tf1(board.float()) - 127.5).abs().min() > 100
