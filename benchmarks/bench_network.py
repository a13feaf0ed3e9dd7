"""The FID Inception network alone, each way ganmetrics can run it on this device, side by side
in one process: rounds interleaved (so a slower spell of a shared machine hits every row alike),
the best round reported, and every row's features compared with the peers' path.

Rows:
  * ``NCHW, unfused`` -- the peers' op sequence (pytorch-fid / torch-fidelity; ``--no-channels-last``)
    on batches of ``--batch``;
  * ``channels_last, folded`` -- the fast path's network (batch norms folded, pooling branches
    pooled after their convolution) on batches of ``--batch``;
  * ``channels_last, folded, CPU schedule`` -- the same network as ganmetrics runs it on a CPU:
    the stem on ``STEM_MICRO_BATCH`` images at a time, the blocks on ``BLOCKS_MICRO_BATCH``
    (``ganmetrics.features.inception.cpu_schedule``);
  * with ``--sweep``, the schedule's other choices (stem/blocks micro-batch sizes), to show
    where the defaults come from.

Random weights (the network's cost does not depend on their values) and random inputs already
at 299 px: decoding and resizing are ``bench_extract.py``'s business.

    python benchmarks/bench_network.py --n 100 --rounds 3
    python benchmarks/bench_network.py --n 64 --rounds 2 --sweep 1/8 2/16 4/16 8/8 16/16
"""
from __future__ import annotations

import argparse
import copy
import os
import platform
import time

import torch

from ganmetrics.features import inception as inc


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=100, help="images per round")
    p.add_argument("--batch", type=int, default=50, help="the batch of the unscheduled rows (pytorch-fid's 50)")
    p.add_argument("--size", type=int, default=inc.INCEPTION_SIZE, help="input size in px (299 for FID)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=None, help="torch threads [default: torch's choice]")
    p.add_argument("--sweep", nargs="*", default=[], metavar="STEM/BLOCKS",
                   help="extra schedules to time, e.g. 1/8 4/16")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    gen = torch.Generator().manual_seed(0)
    model = inc.FIDInceptionV3().eval().requires_grad_(False)
    for name, t in model.state_dict().items():  # He-scaled convolutions, perturbed batch norms
        if name.endswith("conv.weight"):
            t.copy_(torch.randn(t.shape, generator=gen) * (2 / t[0].numel()) ** 0.5)
        elif name.endswith(("running_var", "bn.weight")):
            t.copy_(torch.rand(t.shape, generator=gen) + 0.5)
        elif t.dtype.is_floating_point:
            t.copy_(torch.randn(t.shape, generator=gen) * 0.1)
    folded = inc.fold_batch_norm(copy.deepcopy(model)).to(memory_format=torch.channels_last)
    x = torch.rand(args.n, 3, args.size, args.size, generator=gen) * 2 - 1
    x_nhwc = x.contiguous(memory_format=torch.channels_last)

    def batched(net, inp):
        return torch.cat([net(chunk)[0] for chunk in inp.split(args.batch)])

    def scheduled(stem: int, blocks: int):
        def run(net, inp):
            return torch.cat([inc.cpu_schedule(net, chunk, stem, blocks)[0] for chunk in inp.split(args.batch)])
        return run

    default = f"{inc.STEM_MICRO_BATCH}/{inc.BLOCKS_MICRO_BATCH}"
    rows = {f"NCHW, unfused, batch {args.batch} (the peers')": (model, x, batched),
            f"channels_last, folded, batch {args.batch}": (folded, x_nhwc, batched),
            f"channels_last, folded, CPU schedule {default} (ganmetrics)": (folded, x_nhwc,
                                                                           scheduled(inc.STEM_MICRO_BATCH,
                                                                                     inc.BLOCKS_MICRO_BATCH))}
    for s in args.sweep:
        stem, blocks = (int(v) for v in s.split("/"))
        if f"{stem}/{blocks}" != default:
            rows[f"channels_last, folded, CPU schedule {stem}/{blocks}"] = (folded, x_nhwc, scheduled(stem, blocks))

    times = {name: [] for name in rows}
    out = {}
    with torch.inference_mode():
        for name, (net, inp, run) in rows.items():  # warm-up, and the features to compare
            out[name] = run(net, inp)
        for _ in range(args.rounds):
            for name, (net, inp, run) in rows.items():
                start = time.perf_counter()
                run(net, inp)
                times[name].append(time.perf_counter() - start)

    ref_name = next(iter(rows))
    ref, base = out[ref_name], min(times[ref_name])
    cpu = platform.processor() or platform.machine()
    print(f"machine: {os.cpu_count()} CPU cores ({cpu}), torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"{args.n} images at {args.size} px, best of {args.rounds} interleaved rounds")
    print("| network | seconds | images/s | speed-up over the peers' path | max rel. diff of pool3 to it |")
    print("|---|---:|---:|---:|---:|")
    for name in rows:
        best = min(times[name])
        diff = ((out[name] - ref).abs().max() / ref.abs().max()).item()
        print(f"| {name} | {best:.2f} | {args.n / best:.1f} | {base / best:.2f}x | {diff:.1e} |", flush=True)


if __name__ == "__main__":
    main()
