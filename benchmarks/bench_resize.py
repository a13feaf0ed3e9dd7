"""Preprocessing throughput per --resize mode (uint8 batch -> the network's 299x299 input).

Times ``ganmetrics.preprocess.preprocess`` alone (no decoding, no network) on a batch of random
uint8 images, best of ``--repeats``; ``clean`` is Pillow, per image and channel, on the CPU.

    python benchmarks/bench_resize.py --sizes 32 256 --n 100 --device cpu
"""
from __future__ import annotations

import argparse
import platform
import time

import torch

from ganmetrics.preprocess import preprocess
from ganmetrics.config import RESIZE_MODES


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[32, 256])
    p.add_argument("--n", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=50)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    print(f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"device {dev}, n={args.n}, batch {args.batch_size}")
    print("size  mode         images/s")
    for size in args.sizes:
        images = torch.randint(0, 256, (args.n, 3, size, size), dtype=torch.uint8, device=dev)
        for mode in RESIZE_MODES:
            best = float("inf")
            for _ in range(args.repeats):
                start = time.perf_counter()
                for i in range(0, args.n, args.batch_size):
                    preprocess(images[i:i + args.batch_size], mode)
                if dev.type == "cuda":
                    torch.cuda.synchronize()
                best = min(best, time.perf_counter() - start)
            print(f"{size:4d}  {mode:11s}  {args.n / best:8.0f}")


if __name__ == "__main__":
    main()
