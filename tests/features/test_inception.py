"""The fast path's batch-norm folding (``fold_batch_norm``) against its formula and the unfused network."""
import copy

import torch

from ganmetrics.features.inception import BasicConv2d, FIDInceptionV3, fold_batch_norm, load_inception
from helpers import random_inception_state_dict


def test_folded_convolution_is_the_batch_norm_formula_and_the_network_output_is_unchanged():
    model = FIDInceptionV3()
    model.load_state_dict(random_inception_state_dict(3))
    model.eval()
    layer = model.Mixed_6b.branch7x7_2  # a 1x7 convolution, away from the input
    w, bn = layer.conv.weight.clone(), copy.deepcopy(layer.bn)
    folded = fold_batch_norm(copy.deepcopy(model))

    scale = bn.weight / torch.sqrt(bn.running_var + 1e-3)  # eps of the 2015 graph
    got = folded.Mixed_6b.branch7x7_2.conv
    torch.testing.assert_close(got.weight, w * scale[:, None, None, None], rtol=1e-6, atol=0)
    torch.testing.assert_close(got.bias, bn.bias - bn.running_mean * scale, rtol=1e-6, atol=1e-7)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    assert sum(isinstance(m, BasicConv2d) for m in folded.modules()) == 94

    x = torch.rand(2, 3, 299, 299, generator=torch.Generator().manual_seed(0)) * 2 - 1
    with torch.inference_mode():
        (pool, logits), (pool_f, logits_f) = model(x), folded(x)
    assert (pool - pool_f).abs().max() <= 2e-6 * pool.abs().max()
    assert (logits - logits_f).abs().max() <= 2e-6 * logits.abs().max()
    assert (pool - pool_f).abs().max() > 0  # it really is a different computation


def test_only_the_fast_path_is_folded(weights_file):
    fast = load_inception(weights_file, device="cpu", channels_last=True).model
    peers = load_inception(weights_file, device="cpu", channels_last=False).model
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fast.modules())
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in peers.modules()) == 94
