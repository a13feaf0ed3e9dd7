"""The fast path: batch-norm folding (``fold_batch_norm``) against its formula and the unfused network, the
pooling branches that pool after their convolution, and the CPU micro-batch schedule."""
import copy

import torch

from ganmetrics.features import inception
from ganmetrics.features.inception import (BLOCKS_MICRO_BATCH, STEM_MICRO_BATCH, BasicConv2d, FIDInceptionV3,
                                           _avg_pool_3x3, _avg_pool_branch, cpu_schedule, fold_batch_norm,
                                           load_inception)
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


def _folded_random_model(seed: int) -> tuple[FIDInceptionV3, FIDInceptionV3]:
    model = FIDInceptionV3()
    model.load_state_dict(random_inception_state_dict(seed))
    model.eval().requires_grad_(False)
    return model, fold_batch_norm(copy.deepcopy(model)).to(memory_format=torch.channels_last)


def test_folded_pooling_branch_pools_after_its_convolution():
    """avg_pool then 1x1 conv (the graph's order) equals 1x1 conv then avg_pool once the batch norm
    is folded (affine per pixel; the pool's weights sum to 1 at the borders too, padding excluded)."""
    model, folded = _folded_random_model(4)
    block, fblock = model.Mixed_5b, folded.Mixed_5b
    x = torch.randn(2, 192, 9, 9, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        graph_order = block.branch_pool(_avg_pool_3x3(x))       # unfolded: pool, conv, bn, relu
        swapped = _avg_pool_branch(fblock.branch_pool, x)         # folded: conv (+bias), pool, relu
        pooled_first = fblock.branch_pool(_avg_pool_3x3(x))       # folded, in the graph's order
    assert swapped.shape == (2, 32, 9, 9)
    torch.testing.assert_close(swapped, graph_order, rtol=0, atol=2e-6 * graph_order.abs().max().item())
    assert not torch.equal(swapped, pooled_first)  # the folded branch really pools after its convolution
    assert _avg_pool_branch(block.branch_pool, x).equal(graph_order)  # the unfolded branch keeps the graph's order


def test_cpu_schedule_is_the_network_in_micro_batches():
    _, folded = _folded_random_model(5)
    # 19 images: micro-batches of STEM_MICRO_BATCH and BLOCKS_MICRO_BATCH that do not divide it;
    # 80 px, just above the network's smallest input, keeps the test fast
    x = torch.rand(19, 3, 80, 80, generator=torch.Generator().manual_seed(2)) * 2 - 1
    x = x.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        pool, logits = folded(x)
        pool_s, logits_s = cpu_schedule(folded, x)
    assert 19 % STEM_MICRO_BATCH and 19 % BLOCKS_MICRO_BATCH
    assert pool_s.shape == (19, 2048) and logits_s.shape == (19, 1008)
    torch.testing.assert_close(pool_s, pool, rtol=0, atol=1e-6 * pool.abs().max().item())
    torch.testing.assert_close(logits_s, logits, rtol=0, atol=1e-6 * logits.abs().max().item())
    assert (pool_s[:-1] - pool_s[1:]).abs().max() > 0  # images stay distinct (and, above, in order)
    pool_3_5, _ = cpu_schedule(folded, x, stem=3, blocks=5)  # other micro-batch sizes: the same network
    torch.testing.assert_close(pool_3_5, pool, rtol=0, atol=1e-6 * pool.abs().max().item())


def test_the_cpu_fast_path_runs_the_schedule(weights_file, monkeypatch):
    calls = []

    def spy(model, x):
        calls.append(len(x))
        return model(x)

    monkeypatch.setattr(inception, "cpu_schedule", spy)
    images = torch.randint(0, 256, (3, 3, 32, 32), dtype=torch.uint8)
    load_inception(weights_file, device="cpu", channels_last=True)(images)
    assert calls == [3]
    load_inception(weights_file, device="cpu", channels_last=False)(images)  # the peers' path: one plain call
    assert calls == [3]
